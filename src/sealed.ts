import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'

/**
 * Secrets at rest (connection and credential passwords, webhook header and query
 * values, private keys): AES-256-GCM with a fresh 96-bit nonce each time. The row's
 * identity is bound in as additional data, so a ciphertext copied into another row (or
 * another column) fails to open.
 * Format: "v1." + base64url(nonce | tag | ciphertext).
 */
const VERSION = 'v1.'

export function seal(key: Buffer, plaintext: string, context: string): string {
  const nonce = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', key, nonce)
  cipher.setAAD(Buffer.from(context))
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
  return VERSION + Buffer.concat([nonce, cipher.getAuthTag(), body]).toString('base64url')
}

/**
 * Opens with the first key that fits: the current key, then those of former master
 * secrets (APIOPS_PREVIOUS_SECRET_KEYS), so a rotation does not lock stored secrets away.
 */
export function unseal(keys: Buffer | readonly Buffer[], sealed: string, context: string): string {
  const candidates = Buffer.isBuffer(keys) ? [keys] : keys
  let failure: unknown = new Error('no key to open the sealed secret')
  for (const key of candidates) {
    try {
      return unsealWith(key, sealed, context)
    } catch (error) {
      failure = error
    }
  }
  throw failure
}

function unsealWith(key: Buffer, sealed: string, context: string): string {
  if (!sealed.startsWith(VERSION)) throw new Error('unknown sealed-secret format')
  const raw = Buffer.from(sealed.slice(VERSION.length), 'base64url')
  const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12))
  decipher.setAAD(Buffer.from(context))
  decipher.setAuthTag(raw.subarray(12, 28))
  return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8')
}

/** What a read shows in place of a secret that is set. Sending it back means "unchanged". */
export const MASK = '********'
