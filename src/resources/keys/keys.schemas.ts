import { Type } from 'typebox'
import { FreeText, NameParam } from '../../http/schemas.ts'
import { MASK } from '../../sealed.ts'
import { DeploymentResultSchema } from '../environments/in-effect.ts'
import { KEY_TYPES } from './keys.material.ts'

/** A PEM or base64 key is a few KiB; RSA 16384 is under 13 KiB of PEM. */
const KEY_TEXT_MAX = 16 * 1024
export const ENVIRONMENTS_MAX = 50

export const KeyEnvironmentInput = Type.Object(
  {
    environmentName: NameParam,
    publicKey: Type.Optional(
      Type.Union([Type.String({ minLength: 1, maxLength: KEY_TEXT_MAX }), Type.Null()], {
        description: 'PEM, or base64 of PEM or of DER (SubjectPublicKeyInfo)',
      }),
    ),
    privateKey: Type.Optional(
      Type.Union([Type.String({ minLength: 1, maxLength: KEY_TEXT_MAX }), Type.Null()], {
        description: `PEM, or base64 of PEM or of DER (PKCS#8, PKCS#1, SEC1), unencrypted; encrypted at rest and never answered. On update, "${MASK}" keeps the stored one`,
      }),
    ),
  },
  { additionalProperties: false },
)

const KeyType = Type.Unsafe<(typeof KEY_TYPES)[number]>({ type: 'string', enum: [...KEY_TYPES] })

export const KeyBody = Type.Object(
  {
    name: NameParam,
    description: Type.Optional(FreeText(1000)),
    projectId: Type.Optional(
      Type.String({ maxLength: 100, description: 'As a read answers it; ignored' }),
    ),
    keyType: KeyType,
    cryptoKeyInfoEnvironmentList: Type.Array(KeyEnvironmentInput, {
      minItems: 1,
      maxItems: ENVIRONMENTS_MAX,
    }),
  },
  { additionalProperties: false },
)

export const UpdateQuery = Type.Object(
  {
    updateReferencedJwks: Type.Optional(Type.Boolean({ default: false })),
    updateScope: Type.Optional(
      Type.Unsafe<'SAME_PROJECT' | 'ALL_PROJECTS'>({
        type: 'string',
        enum: ['SAME_PROJECT', 'ALL_PROJECTS'],
      }),
    ),
  },
  { additionalProperties: false },
)

export const KeySchema = Type.Object({
  name: Type.String(),
  description: Type.String(),
  projectId: Type.String(),
  keyType: KeyType,
  cryptoKeyInfoEnvironmentList: Type.Array(
    Type.Object({
      environmentName: Type.String(),
      publicKey: Type.Union([Type.String(), Type.Null()], {
        description: 'Base64 of the DER SubjectPublicKeyInfo',
      }),
      privateKey: Type.Union([Type.Literal(MASK), Type.Null()], {
        description: 'The mask when a private key is stored; it is never answered',
      }),
    }),
  ),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
})

export const OneKeyBody = Type.Object({
  status: Type.Literal('SUCCESS'),
  success: Type.Literal(true),
  resultList: Type.Array(KeySchema, { minItems: 1, maxItems: 1 }),
})

/** An apiops addition to an update's answer when updateReferencedJwks=true. */
export const ReferencedJwksSchema = Type.Object(
  {
    updateScope: Type.Union([Type.Literal('SAME_PROJECT'), Type.Literal('ALL_PROJECTS')]),
    refreshed: Type.Array(
      Type.Object({
        projectName: Type.String(),
        jwkName: Type.String(),
        sourceType: Type.String(),
        kid: Type.Union([Type.String(), Type.Null()]),
      }),
    ),
    notRefreshed: Type.Array(
      Type.Object({ projectName: Type.String(), jwkName: Type.String(), reason: Type.String() }),
    ),
  },
  {
    description:
      'The JWKs made from this object, derived again from it as updated (refreshed), and those made before apiops kept their inputs, which cannot be (notRefreshed)',
  },
)

export const KeyWriteBody = Type.Object({
  status: Type.Literal('SUCCESS'),
  success: Type.Literal(true),
  deploymentResult: DeploymentResultSchema,
  referencedJwks: Type.Optional(ReferencedJwksSchema),
})

export const ProjectParams = Type.Object({ projectName: NameParam })
export const KeyParams = Type.Object({ projectName: NameParam, keyName: NameParam })
