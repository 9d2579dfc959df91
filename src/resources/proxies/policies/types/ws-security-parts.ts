import { type TSchema, Type } from 'typebox'
import { matching } from '../../../../http/schemas.ts'
import { enumOf, strict } from '../../settings/settings.fields.ts'
import type { PolicyIssue } from './definition.ts'
import { Flag, has, list, maybe, need, optional, RefName, Text } from './shared-b.ts'

/*
 * What the WS-Security pages share: the parts a signature or an encryption covers, the
 * algorithm lists, and the encryption and signature field groups, which the encrypt and
 * sign pages document on their own and the to-target page documents again together.
 */

const KEY_ID_TYPES = [
  'BINARY_SECURITY_TOKEN',
  'ISSUER_NAME_AND_SERIAL_NUMBER',
  'X509_CERTIFICATE',
  'SUBJECT_KEY_IDENTIFIER',
  'THUMBPRINT_SHA1_IDENTIFIER',
  'EMBEDDED_KEY_INFO',
  'EMBED_SECURITY_TOKEN_REFERENCE',
  'CUSTOM_KEY_INFO',
] as const
const SYMMETRIC_ALGORITHMS = ['AES_128_CBC', 'AES_192_CBC', 'AES_256_CBC'] as const
const KEY_ENCRYPTION_ALGORITHMS = ['RSA', 'OAEP'] as const
const SIGNATURE_ALGORITHMS = [
  'RSA_SHA1',
  'RSA_SHA256',
  'RSA_SHA384',
  'RSA_SHA512',
  'DSA_SHA1',
  'DSA_SHA256',
  'ECDSA_SHA1',
  'ECDSA_SHA256',
  'ECDSA_SHA384',
  'ECDSA_SHA512',
  'HMAC_SHA1',
  'HMAC_SHA256',
  'HMAC_SHA384',
  'HMAC_SHA512',
] as const
const CANONICALIZATIONS = [
  'C14N_OMIT_COMMENTS',
  'C14N_WITH_COMMENTS',
  'C14N_EXCL_OMIT_COMMENTS',
  'C14N_EXCL_WITH_COMMENTS',
  'C14N_11_OMIT_COMMENTS',
  'C14N_11_WITH_COMMENTS',
] as const
const DIGEST_ALGORITHMS = [
  'SHA1',
  'SHA256',
  'SHA384',
  'SHA512',
  'HMAC_SHA1',
  'HMAC_SHA256',
  'HMAC_SHA384',
  'HMAC_SHA512',
  'HMAC_MD5',
  'MD5',
] as const
export const PasswordType = enumOf(['PasswordText', 'PasswordDigest'])
/** Seconds a timestamp stays valid: zero or more, as both timestamp pages say. */
export const TimeToLive = Type.Integer({ minimum: 0, maximum: 31_536_000 })

/** One part of a SOAP message (WsSecurityToTargetPart): an element by name and namespace. */
const Part = Type.Object(
  {
    name: Type.String({
      minLength: 1,
      maxLength: 200,
      ...matching('^[A-Za-z_][A-Za-z0-9._-]*$', 'must be an XML element name such as Body'),
    }),
    namespace: Type.String({
      minLength: 1,
      maxLength: 1000,
      ...matching(
        '^[A-Za-z][A-Za-z0-9+.-]*:[^\\s\\p{Cc}]+$',
        'must be a namespace URI such as http://schemas.xmlsoap.org/soap/envelope/',
      ),
    }),
    encodeType: enumOf(['CONTENT', 'ELEMENT']),
  },
  strict,
)
const Parts = list(Part, 50)

const requiredOr = (required: boolean, schema: TSchema) => (required ? schema : maybe(schema))

/** The encryption settings; the keystore is required where the page says so. */
export const encryptionFields = (keyStoreRequired: boolean) => ({
  encPartList: optional(Parts),
  encEmbeddedKeyName: maybe(Text(200)),
  encKeyIdType: maybe(enumOf(KEY_ID_TYPES)),
  encSymEncAlgorithm: maybe(enumOf(SYMMETRIC_ALGORITHMS)),
  encKeyEncAlgorithm: maybe(enumOf(KEY_ENCRYPTION_ALGORITHMS)),
  encKeyStoreName: requiredOr(keyStoreRequired, RefName),
})

/** The signature settings; the sign page requires the algorithms and the keystore. */
export const signatureFields = (required: boolean) => ({
  sigPartList: optional(Parts),
  sigCustomKeyIdentifier: maybe(Text(1000)),
  sigCustomKeyIdentifierValueType: maybe(Text(1000)),
  sigKeyIdType: maybe(enumOf(KEY_ID_TYPES)),
  sigSigAlgorithm: requiredOr(required, enumOf(SIGNATURE_ALGORITHMS)),
  sigC14n: requiredOr(required, enumOf(CANONICALIZATIONS)),
  sigDigAlgorithm: requiredOr(required, enumOf(DIGEST_ALGORITHMS)),
  sigUseSingleCert: Flag,
  sigWsiBSPCompliant: Flag,
  sigKeyStoreName: requiredOr(required, RefName),
})

type Fields = Readonly<Record<string, unknown>>

/** An embedded key identifier names its key. */
export function encryptionIssues(policy: Fields): PolicyIssue[] {
  const embedded = policy.encKeyIdType === 'EMBEDDED_KEY_INFO'
  return need(policy, 'policy', 'encEmbeddedKeyName', embedded, 'encKeyIdType is EMBEDDED_KEY_INFO')
}

/** A custom key identifier is given, and with its value type. */
export function signatureIssues(policy: Fields): PolicyIssue[] {
  const custom = policy.sigKeyIdType === 'CUSTOM_KEY_INFO'
  return [
    ...need(policy, 'policy', 'sigCustomKeyIdentifier', custom, 'sigKeyIdType is CUSTOM_KEY_INFO'),
    ...need(
      policy,
      'policy',
      'sigCustomKeyIdentifierValueType',
      has(policy.sigCustomKeyIdentifier),
      'sigCustomKeyIdentifier is set',
    ),
  ]
}
