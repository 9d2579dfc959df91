import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto'
import { errors } from '../../errors.ts'

/*
 * Key material as the docs send it ("base64-encoded"): accepted as PEM text, as base64
 * of PEM text, or as base64 of DER (SubjectPublicKeyInfo for public keys; PKCS#8, or
 * PKCS#1 / SEC1 for private ones). node:crypto reads it; what it cannot read, a key of
 * another type than keyType, or a pair whose halves do not belong together is a 400
 * naming the field.
 */

export const KEY_TYPES = ['RSA', 'EC'] as const
export type KeyType = (typeof KEY_TYPES)[number]

const NODE_TYPE: Record<KeyType, readonly string[]> = { RSA: ['rsa', 'rsa-pss'], EC: ['ec'] }

function refuse(field: string, message: string): never {
  throw errors.validationFailed([{ field, message }])
}

/** PEM text, or DER bytes; undefined when it is neither. */
function decode(text: string): string | Buffer | undefined {
  const trimmed = text.trim()
  if (trimmed.startsWith('-----BEGIN ')) return trimmed
  if (!/^[A-Za-z0-9+/=\s]+$/.test(trimmed)) return undefined
  const bytes = Buffer.from(trimmed, 'base64')
  if (bytes.length === 0) return undefined
  const asText = bytes.toString('latin1')
  return asText.startsWith('-----BEGIN ') ? asText : bytes
}

function attempt(make: () => KeyObject): KeyObject | undefined {
  try {
    return make()
  } catch {
    return undefined
  }
}

function checkType(key: KeyObject, keyType: KeyType, field: string): void {
  if (!NODE_TYPE[keyType].includes(key.asymmetricKeyType ?? '')) {
    refuse(field, `is a ${key.asymmetricKeyType ?? 'unknown'} key, not a ${keyType} key (keyType)`)
  }
}

export function readPublicKey(text: string, keyType: KeyType, field: string): KeyObject {
  const input = decode(text)
  if (input === undefined) refuse(field, 'is neither PEM text nor base64')
  if (typeof input === 'string' && /PRIVATE KEY-----/.test(input)) {
    refuse(field, 'holds a private key; send it as privateKey')
  }
  const key =
    typeof input === 'string'
      ? attempt(() => createPublicKey(input))
      : attempt(() => createPublicKey({ key: input, format: 'der', type: 'spki' }))
  if (!key) refuse(field, 'is not a public key node:crypto can read (PEM or base64 DER SPKI)')
  checkType(key, keyType, field)
  return key
}

export function readPrivateKey(text: string, keyType: KeyType, field: string): KeyObject {
  const input = decode(text)
  if (input === undefined) refuse(field, 'is neither PEM text nor base64')
  if (typeof input === 'string' && /ENCRYPTED|Proc-Type:\s*4,ENCRYPTED/.test(input)) {
    refuse(field, 'is encrypted with a passphrase; send it decrypted (it is encrypted at rest)')
  }
  const key =
    typeof input === 'string'
      ? attempt(() => createPrivateKey(input))
      : (['pkcs8', keyType === 'RSA' ? 'pkcs1' : 'sec1'] as const)
          .map((type) => attempt(() => createPrivateKey({ key: input, format: 'der', type })))
          .find((k) => k !== undefined)
  if (key?.type !== 'private') {
    refuse(field, 'is not a private key node:crypto can read (PEM or base64 DER PKCS#8)')
  }
  checkType(key, keyType, field)
  return key
}

const publicOf = (key: KeyObject) => (key.type === 'public' ? key : createPublicKey(key))
const spki = (key: KeyObject) => publicOf(key).export({ type: 'spki', format: 'der' })

export function checkPair(publicKey: KeyObject, privateKey: KeyObject, field: string): void {
  if (!spki(publicKey).equals(spki(privateKey))) {
    refuse(field, 'does not belong to the publicKey of the same entry')
  }
}

/** What is stored for a public key: SPKI PEM. */
export const publicPem = (key: KeyObject) =>
  publicOf(key).export({ type: 'spki', format: 'pem' }).toString()

/** What is sealed for a private key: PKCS#8 PEM. */
export const privatePem = (key: KeyObject) =>
  key.export({ type: 'pkcs8', format: 'pem' }).toString()

/** What a read answers for a stored public key: base64 of its DER, as documented. */
export const publicBase64 = (pem: string) => spki(createPublicKey(pem)).toString('base64')
