import { Type } from 'typebox'
import { FreeText, matching, NAME, NameParam } from '../../http/schemas.ts'
import { MASK } from '../../sealed.ts'
import { DeploymentResultSchema } from '../environments/in-effect.ts'
import { ReferencedJwksSchema } from '../keys/keys.schemas.ts'

/** Upload limits: one certificate and one key are a few KiB; these leave ample room. */
export const UPLOAD_LIMITS = {
  /** Bytes per file part, and per text field (a PEM may arrive as either). */
  fileSize: 64 * 1024,
  fieldSize: 64 * 1024,
  files: 2,
  fields: 8,
  parts: 10,
  fieldNameSize: 100,
} as const

export const VALIDITY = ['VALID', 'NOT_YET_VALID', 'EXPIRED'] as const
export type Validity = (typeof VALIDITY)[number]

const Pem = (description: string) =>
  Type.String({ maxLength: UPLOAD_LIMITS.fileSize, format: 'binary', description })

/** ASCII only, so comparing aliases ignoring case means the same on every engine. */
const Alias = Type.String({
  minLength: 1,
  maxLength: 100,
  ...matching(
    '^[A-Za-z0-9][A-Za-z0-9._@+-]*$',
    'must be letters, digits and . _ @ + - only, starting with a letter or digit',
  ),
  description:
    'Keystore alias, unique in the project ignoring case (as keystores compare them); default: the name',
})

const uploadFields = {
  description: Type.Optional(FreeText(1000)),
  alias: Type.Optional(Alias),
  pemEncodedFile: Pem('PEM text of exactly one X.509 certificate that has not expired'),
  privateKeyFile: Type.Optional(
    Pem('PEM text of its unencrypted private key; encrypted at rest, never answered'),
  ),
  environmentList: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 2000,
      description:
        'Environment names separated by commas (production,staging); default: every environment of the project',
    }),
  ),
}

const ALIASES_NOTE =
  'multipart/form-data. The Apinizer field names certificateName and certificateDescription are accepted for name and description.'

export const CreateCertificateForm = Type.Object(
  { name: NameParam, ...uploadFields },
  { additionalProperties: false, description: ALIASES_NOTE },
)

export const ReplaceCertificateForm = Type.Object(
  {
    name: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 100,
        ...NAME,
        description: 'If sent, must equal the name in the path (renaming is not supported)',
      }),
    ),
    ...uploadFields,
    removePrivateKey: Type.Optional(
      Type.Unsafe<'true' | 'false'>({
        type: 'string',
        enum: ['true', 'false'],
        description:
          'true: drop the stored private key. Without it and without privateKeyFile, the stored key is kept if it matches the new certificate',
      }),
    ),
  },
  { additionalProperties: false, description: ALIASES_NOTE },
)

export const CertificateSchema = Type.Object({
  name: Type.String(),
  description: Type.String(),
  alias: Type.String(),
  subject: Type.String({ description: 'Distinguished name, e.g. C=TR, O=Acme, CN=api.acme.com' }),
  issuer: Type.String(),
  serialNumber: Type.String({ description: 'Hexadecimal, uppercase' }),
  notBefore: Type.String({ format: 'date-time' }),
  notAfter: Type.String({ format: 'date-time' }),
  validity: Type.Unsafe<Validity>({
    type: 'string',
    enum: [...VALIDITY],
    description: "Judged by the server's clock at the time of the answer",
  }),
  fingerprintSha256: Type.String({ description: 'AA:BB:... as openssl x509 -fingerprint -sha256' }),
  sha1Thumbprint: Type.String({ description: 'SHA-1 fingerprint, AA:BB:...' }),
  hasPrivateKey: Type.Boolean(),
  privateKey: Type.Union([Type.Literal(MASK), Type.Null()], {
    description: 'The mask when a private key is stored; it is never answered',
  }),
  pem: Type.String({ description: 'The certificate, PEM' }),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
  certificateEnvironmentList: Type.Array(
    Type.Object({
      environmentName: Type.String(),
      startDate: Type.String({ format: 'date-time' }),
      endDate: Type.String({ format: 'date-time' }),
      base64EncodedContent: Type.String({ description: 'The certificate, base64 of its DER' }),
      sha1Thumbprint: Type.String({ description: 'Hexadecimal, no separators' }),
      subjectDn: Type.String(),
      alias: Type.String(),
    }),
    { description: 'One per environment the certificate is in (as documented)' },
  ),
})

const Success = { status: Type.Literal('SUCCESS'), success: Type.Literal(true) }

/** A write's answer: the documented success and deploymentResult, and the certificate. */
export const CertificateWriteSchema = Type.Object({
  ...Success,
  deploymentResult: DeploymentResultSchema,
  referencedJwks: Type.Optional(ReferencedJwksSchema),
  ...CertificateSchema.properties,
})

/** A read: the documented resultList of one, and the certificate's fields at the top as before. */
export const OneCertificateSchema = Type.Object({
  ...Success,
  resultList: Type.Array(CertificateSchema, { minItems: 1, maxItems: 1 }),
  ...CertificateSchema.properties,
})

export const CertificateDeleteSchema = Type.Object({
  ...Success,
  deploymentResult: DeploymentResultSchema,
})

export const TruststoreParams = Type.Object({ projectName: NameParam, environmentName: NameParam })

export const CertificateParams = Type.Object({ projectName: NameParam, name: NameParam })
export const ProjectParams = Type.Object({ projectName: NameParam })
