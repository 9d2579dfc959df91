import { Type } from 'typebox'
import { FreeText, Label, NAME, NameParam } from '../../http/schemas.ts'
import { MASK } from '../../sealed.ts'
import { DeploymentResultSchema } from '../environments/in-effect.ts'

export const PASSWORD_MIN = 8
export const PASSWORD_MAX = 1024
export const IP_LIST_MAX = 100

const Password = Type.String({
  minLength: PASSWORD_MIN,
  maxLength: PASSWORD_MAX,
  description: 'Encrypted at rest; never answered',
})

const Fields = {
  email: Type.String({ maxLength: 320, format: 'email' }),
  fullName: Label(200),
  description: Type.Optional(FreeText(1000)),
  enabled: Type.Optional(Type.Boolean({ description: 'Default true' })),
  ipList: Type.Optional(
    Type.Array(Type.String({ minLength: 1, maxLength: 64 }), {
      maxItems: IP_LIST_MAX,
      uniqueItems: true,
      description:
        'Addresses (IPv4 or IPv6) and CIDR ranges the credential may be used from; empty: anywhere',
    }),
  ),
  roleNameList: Type.Optional(
    Type.Array(Type.String({ minLength: 1, maxLength: 100, ...NAME }), {
      maxItems: 50,
      uniqueItems: true,
      description:
        'Gateway-side roles the credential carries, for policies that authorize by role (not apiops roles)',
    }),
  ),
  // One schema with a type list rather than a union, so a bad date is one error, not three.
  expireDate: Type.Optional(
    Type.Unsafe<string | null>({
      type: ['string', 'null'],
      format: 'date-time',
      maxLength: 40,
      description:
        'ISO 8601 date-time after which the credential stops working; null: never. A past date is stored and reads as expired',
    }),
  ),
}

export const CreateCredentialBody = Type.Object(
  { username: NameParam, ...Fields, password: Password },
  { additionalProperties: false },
)

export const UpdateCredentialBody = Type.Object(
  {
    username: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 100,
        ...NAME,
        description: 'If sent, must equal the username in the path (renaming is not supported)',
      }),
    ),
    ...Fields,
    password: Type.Optional(
      Type.String({
        maxLength: PASSWORD_MAX,
        description: `A new password (at least ${PASSWORD_MIN} characters), or "${MASK}" as a read shows it (or nothing) to keep the stored one`,
      }),
    ),
  },
  { additionalProperties: false },
)

/** The documented update: the credential is named by the body's username. */
export const UpdateNamedCredentialBody = Type.Object(
  { ...UpdateCredentialBody.properties, username: NameParam },
  { additionalProperties: false },
)

export const ChangePasswordBody = Type.Object(
  { password: Password },
  { additionalProperties: false },
)

export const CredentialSchema = Type.Object({
  username: Type.String(),
  email: Type.String(),
  fullName: Type.String(),
  description: Type.String(),
  enabled: Type.Boolean(),
  ipList: Type.Array(Type.String()),
  roleNameList: Type.Array(Type.String()),
  expireDate: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  expired: Type.Boolean({ description: 'expireDate has passed' }),
  password: Type.Literal(MASK, { description: 'Always the mask: the password is never answered' }),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
})

export const CredentialWriteSchema = Type.Object({
  status: Type.Literal('SUCCESS'),
  success: Type.Literal(true),
  credential: CredentialSchema,
  deploymentResult: DeploymentResultSchema,
})

export const CredentialDeleteSchema = Type.Object({
  status: Type.Literal('SUCCESS'),
  success: Type.Literal(true),
  deploymentResult: DeploymentResultSchema,
})

export const CredentialParams = Type.Object({ projectName: NameParam, username: NameParam })
export const ProjectParams = Type.Object({ projectName: NameParam })
