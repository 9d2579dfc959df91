import { Type } from 'typebox'
import { Enum, Nullable, requiredWhen } from '../policy-fields.ts'
import { Variable } from '../policy-variable.ts'
import type { PolicyIssue } from './definition.ts'

/* What the encryption, decryption, sign and verification types share. */

export const CIPHERS = Enum(
  ...['AES', 'DES', 'DESede'].flatMap((c) =>
    ['CBC_NoPadding', 'CBC_PKCS5Padding', 'ECB_NoPadding', 'ECB_PKCS5Padding'].map(
      (m) => `${c}_${m}`,
    ),
  ),
  'RSA_ECB_PKCS1Padding',
  'RSA_ECB_OAEPWithSHA_1AndMGF1Padding',
  'RSA_ECB_OAEPWithSHA_256AndMGF1Padding',
)

export const SIGNATURES = Enum(
  ...['NONE', 'MD2', 'MD5', 'SHA1', 'SHA224', 'SHA256', 'SHA384', 'SHA512'].map(
    (h) => `${h}withRSA`,
  ),
  ...['NONE', 'SHA1', 'SHA224', 'SHA256'].map((h) => `${h}withDSA`),
  ...['NONE', 'SHA1', 'SHA224', 'SHA256', 'SHA384', 'SHA512'].map((h) => `${h}withECDSA`),
)

export const Encoding = Enum('BASE64', 'HEXADECIMAL')
const none = <T extends Parameters<typeof Nullable>[0]>(s: T) => Type.Optional(Nullable(s))

/** The key a definition uses: a crypto key (KEY, the default) or a certificate, by id. */
export const KEY_FIELDS = {
  id: Type.Optional(Type.String()),
  description: Type.Optional(Type.String()),
  sourceVar: Variable,
  enumKeyCertificateType: Type.Optional(Enum('KEY', 'CERTIFICATE')),
  cryptoKeyInfoId: none(Type.String()),
  certificateId: none(Type.String()),
}
export const nullableVariable = none(Variable)
export const nullableEncoding = none(Encoding)

/** Each definition of `list` names the id its key type needs. */
export function keyIssues(policy: Readonly<Record<string, unknown>>, list: string): PolicyIssue[] {
  const defs = (policy[list] as Record<string, unknown>[] | undefined) ?? []
  return defs.flatMap((d, i) =>
    requiredWhen(d, [
      [
        d.enumKeyCertificateType === 'CERTIFICATE',
        'certificateId',
        'when enumKeyCertificateType is CERTIFICATE',
      ],
      [
        d.enumKeyCertificateType !== 'CERTIFICATE',
        'cryptoKeyInfoId',
        'when enumKeyCertificateType is KEY (its default)',
      ],
    ]).map((issue) => ({
      ...issue,
      field: issue.field.replace('policy.', `policy.${list}.${i}.`),
    })),
  )
}
