import { Type } from 'typebox'
import { FreeText, NameParam } from '../../http/schemas.ts'
import { MASK } from '../../sealed.ts'
import { DeploymentResultSchema } from '../environments/in-effect.ts'
import { ReferencedJwksSchema } from '../keys/keys.schemas.ts'
import { KEYSTORE_TYPES, type KeystoreType } from './keystore.worker.ts'

/** Base64 characters of one keystore file: 192 KiB of file, far more than a keystore. */
export const FILE_BASE64_MAX = 256 * 1024
export const ENVIRONMENTS_MAX = 20
/** Every entry at its largest, with room for the JSON around them. */
export const BODY_LIMIT = ENVIRONMENTS_MAX * (FILE_BASE64_MAX + 4096) + 16 * 1024

const Type_ = Type.Unsafe<KeystoreType>({ type: 'string', enum: [...KEYSTORE_TYPES] })

export const KeystoreEnvironmentInput = Type.Object(
  {
    environmentName: NameParam,
    type: Type_,
    file: Type.String({
      minLength: 1,
      maxLength: FILE_BASE64_MAX,
      description: `The keystore file, base64. Encrypted at rest and never answered; on update "${MASK}" keeps the stored file and password`,
    }),
    password: Type.Optional(
      Type.String({
        maxLength: 1024,
        description: `The keystore's password (default: empty). Encrypted at rest and never answered; "${MASK}" with a kept file`,
      }),
    ),
  },
  { additionalProperties: false },
)

export const KeystoreBody = Type.Object(
  {
    name: NameParam,
    description: Type.Optional(FreeText(1000)),
    projectId: Type.Optional(
      Type.String({ maxLength: 100, description: 'As a read answers it; ignored' }),
    ),
    keyStoreEnvironmentList: Type.Array(KeystoreEnvironmentInput, {
      minItems: 1,
      maxItems: ENVIRONMENTS_MAX,
    }),
  },
  { additionalProperties: false },
)

const Nullable = (description?: string) =>
  Type.Union([Type.String(), Type.Null()], description ? { description } : {})

export const KeystoreEntrySchema = Type.Object({
  alias: Type.String(),
  kind: Type.Unsafe<'PRIVATE_KEY' | 'TRUSTED_CERTIFICATE'>({
    type: 'string',
    enum: ['PRIVATE_KEY', 'TRUSTED_CERTIFICATE'],
  }),
  subjectDn: Nullable("Of the entry's certificate; null when it has none"),
  issuerDn: Nullable(),
  startDate: Nullable(),
  endDate: Nullable('When the certificate expires'),
  sha1Thumbprint: Nullable(),
})

export const KeystoreSchema = Type.Object({
  name: Type.String(),
  description: Type.String(),
  projectId: Type.String(),
  keyStoreEnvironmentList: Type.Array(
    Type.Object({
      environmentName: Type.String(),
      type: Type_,
      file: Type.Literal(MASK, { description: 'The file is never answered' }),
      password: Type.Literal(MASK),
      entries: Type.Array(KeystoreEntrySchema, { description: 'What the keystore holds' }),
    }),
  ),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
})

export const OneKeystoreBody = Type.Object({
  status: Type.Literal('SUCCESS'),
  success: Type.Literal(true),
  resultList: Type.Array(KeystoreSchema, { minItems: 1, maxItems: 1 }),
})

export const KeystoreWriteBody = Type.Object({
  status: Type.Literal('SUCCESS'),
  success: Type.Literal(true),
  deploymentResult: DeploymentResultSchema,
  referencedJwks: Type.Optional(ReferencedJwksSchema),
})

export const KeystoreParams = Type.Object({ projectName: NameParam, keystoreName: NameParam })
