import { type TSchema, Type } from 'typebox'
import { FreeText, HttpUrl, Label, matching, NameParam } from '../../http/schemas.ts'
import { MASK } from '../../sealed.ts'
import { DeploymentResultSchema } from '../environments/in-effect.ts'

export const ProjectParams = Type.Object({ projectName: NameParam })
export const JwkParams = Type.Object({ projectName: NameParam, jwkName: NameParam })

/** A pasted JWK or JWK set: far above a set of a dozen 4096-bit RSA keys. */
export const MAX_JWK_TEXT = 64 * 1024
/** The most a JWK set URL may answer (the docs' default; the operator's spec limit caps it). */
export const MAX_URL_BYTES = 1_048_576

const SOURCE_TYPES = [
  'URL',
  'COPY_PASTE',
  'CERTIFICATE',
  'PUBLIC_KEY',
  'PRIVATE_KEY',
  'KEYSTORE',
  'GENERATE',
] as const
const USE_TYPES = ['SIGNATURE', 'ENCRYPTION'] as const
const KEY_TYPES = ['RSA', 'EC', 'OCT', 'OKP'] as const
const KEY_ID_TYPES = ['TIMESTAMP', 'SHA256', 'SHA1', 'ISO_DATE', 'NONE'] as const

const oneOf = (values: readonly string[], description?: string) =>
  Type.Union(
    values.map((v) => Type.Literal(v)),
    description ? { description } : {},
  )
const sizes = (values: readonly number[]) => Type.Union(values.map((v) => Type.Literal(v)))

const Description = Type.Optional(Type.Union([FreeText(1000), Type.Null()]))
const Kid = Type.String({ minLength: 1, maxLength: 200 })
const Algorithm = Type.String({
  minLength: 1,
  maxLength: 32,
  ...matching('^[A-Za-z0-9_+-]+$', 'must be an algorithm name such as RS256 or ECDH-ES+A128KW'),
})

const UrlOptions = {
  url: HttpUrl(),
  urlOptionConnectTimeout: Type.Optional(Type.Integer({ minimum: 1, maximum: 60_000 })),
  urlOptionReadTimeout: Type.Optional(Type.Integer({ minimum: 1, maximum: 60_000 })),
  urlOptionSizeLimit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_URL_BYTES })),
  kid: Type.Optional(Kid),
}
const Derived = {
  environmentName: NameParam,
  useType: oneOf(USE_TYPES),
  algorithm: Algorithm,
}
const base = { name: NameParam, description: Description }
const strict = { additionalProperties: false }

export const UrlBody = Type.Object({ ...base, ...UrlOptions }, strict)
export const ClipboardBody = Type.Object(
  {
    ...base,
    jwkStr: Type.String({ minLength: 1, maxLength: MAX_JWK_TEXT }),
    kid: Type.Optional(Kid),
  },
  strict,
)
export const CertificateBody = Type.Object(
  { ...base, certificateName: NameParam, ...Derived },
  strict,
)
export const KeyBody = Type.Object({ ...base, keyName: NameParam, ...Derived }, strict)
export const KeystoreBody = Type.Object(
  { ...base, keyStoreName: NameParam, aliasName: Label(200), ...Derived },
  strict,
)

/** Create: every source's fields, each optional; the service asks for what the source needs. */
export const CreateBody = Type.Object(
  {
    ...base,
    sourceType: oneOf(SOURCE_TYPES),
    url: Type.Optional(UrlOptions.url),
    urlOptionConnectTimeout: UrlOptions.urlOptionConnectTimeout,
    urlOptionReadTimeout: UrlOptions.urlOptionReadTimeout,
    urlOptionSizeLimit: UrlOptions.urlOptionSizeLimit,
    kid: Type.Optional(Kid),
    jwkStr: Type.Optional(ClipboardBody.properties.jwkStr),
    certificateName: Type.Optional(NameParam),
    keyName: Type.Optional(NameParam),
    keyStoreName: Type.Optional(NameParam),
    aliasName: Type.Optional(Label(200)),
    environmentName: Type.Optional(NameParam),
    useType: Type.Optional(oneOf(USE_TYPES)),
    algorithm: Type.Optional(Algorithm),
  },
  strict,
)

const TimeText = Type.String({ minLength: 1, maxLength: 40 })
const common = {
  keyUseType: Type.Optional(oneOf(USE_TYPES)),
  algorithm: Type.Optional(Algorithm),
  keyIdType: Type.Optional(oneOf(KEY_ID_TYPES)),
  notBeforeTime: Type.Optional(TimeText),
  expirationTime: Type.Optional(TimeText),
}
const typeObject = (fields: Record<string, TSchema>) =>
  Type.Optional(Type.Object({ ...fields, ...common }, strict))

export const GenerateBody = Type.Object(
  {
    ...base,
    type: oneOf(KEY_TYPES),
    kid: Type.Optional(Kid),
    rsa: typeObject({ keySize: Type.Optional(sizes([2048, 3072, 4096])) }),
    ec: typeObject({ curveType: Type.Optional(oneOf(['P256', 'P384', 'P521', 'SECP256K1'])) }),
    oct: typeObject({
      keySize: Type.Optional(sizes([128, 192, 256, 384, 512])),
      passwordSaltLength: Type.Optional(Type.Integer({ minimum: 8, maximum: 1024 })),
      passwordIterationCount: Type.Optional(Type.Integer({ minimum: 1000, maximum: 10_000_000 })),
    }),
    okp: typeObject({ curveType: Type.Optional(oneOf(['ED25519', 'X25519'])) }),
  },
  strict,
)

/** Update: a new name and description; what the path names is the JWK. */
export const UpdateBody = Type.Object(
  { name: Type.Optional(NameParam), description: Description },
  strict,
)

const Nullable = (schema: TSchema) => Type.Union([schema, Type.Null()])

export const JwkSummarySchema = Type.Object({
  name: Type.String(),
  description: Type.String(),
  projectId: Type.String(),
  sourceType: Type.String(),
  sourceId: Nullable(Type.String()),
  sourceUrl: Nullable(Type.String()),
  type: Type.String(),
  kid: Nullable(Type.String()),
  useType: Nullable(Type.String()),
  algorithm: Nullable(Type.String()),
  notBeforeTime: Nullable(Type.String()),
  expirationTime: Nullable(Type.String()),
  hasPrivateKey: Type.Boolean(),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
})

const Secret = Type.Optional(Type.Literal(MASK, { description: 'Set; never answered in clear' }))
const MaterialSchema = Type.Object(
  {
    crv: Type.Optional(Type.String()),
    n: Type.Optional(Type.String()),
    e: Type.Optional(Type.String()),
    x: Type.Optional(Type.String()),
    y: Type.Optional(Type.String()),
    d: Secret,
    p: Secret,
    q: Secret,
    dp: Secret,
    dq: Secret,
    qi: Secret,
    k: Secret,
  },
  { description: 'The key members; private ones read as the mask' },
)

export const JwkSchema = Type.Object({
  ...JwkSummarySchema.properties,
  rsa: Type.Optional(MaterialSchema),
  ec: Type.Optional(MaterialSchema),
  oct: Type.Optional(MaterialSchema),
  okp: Type.Optional(MaterialSchema),
  publicJwk: Type.Record(Type.String(), Type.Unknown(), {
    description: 'The JWK without its private members, as a JWK set would publish it',
  }),
})

export const JwkAnswer = Type.Object({
  status: Type.Literal('SUCCESS'),
  success: Type.Literal(true),
  resultList: Type.Array(JwkSchema),
})

export const JwkWriteAnswer = Type.Object({
  status: Type.Literal('SUCCESS'),
  success: Type.Literal(true),
  jwk: Type.Optional(JwkSummarySchema),
  deploymentResult: DeploymentResultSchema,
})
