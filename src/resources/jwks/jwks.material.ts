import { createHash, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto'
import { errors } from '../../errors.ts'
import {
  ALGORITHMS,
  checkAlgorithm,
  type KeyFacts,
  type KeyType,
  type UseType,
} from './jwks.algorithms.ts'

/*
 * A JWK as apiops keeps it: the public members (stored as they are) and the private
 * ones (sealed at rest, shown only as the mask). Every key that comes in, pasted,
 * fetched or read from a certificate, is checked by node:crypto building a key from
 * it, so what is stored is a key, not a JSON object that looks like one.
 */

export type Jwk = Record<string, unknown>

export interface Material {
  type: KeyType
  /** kty, kid, use, alg, x5c... and the key type's public members. */
  publicJwk: Jwk
  /** d, p, q, dp, dq, qi (RSA), d (EC, OKP), k (oct); null for a public key. */
  privateJwk: Record<string, string> | null
  facts: KeyFacts
}

const KTY: Record<string, { type: KeyType; public: string[]; private: string[] }> = {
  RSA: { type: 'RSA', public: ['n', 'e'], private: ['d', 'p', 'q', 'dp', 'dq', 'qi'] },
  EC: { type: 'EC', public: ['crv', 'x', 'y'], private: ['d'] },
  OKP: { type: 'OKP', public: ['crv', 'x'], private: ['d'] },
  oct: { type: 'OCT', public: [], private: ['k'] },
}

/** Every member that never leaves in clear, whatever the key type. */
export const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'] as const

/** Members kept besides the key's own: identification, use and the certificate chain. */
const KEPT = ['kid', 'use', 'alg', 'key_ops', 'x5c', 'x5t', 'x5t#S256'] as const

const CURVES: Record<string, readonly string[]> = {
  EC: ['P-256', 'P-384', 'P-521', 'secp256k1'],
  OKP: ['Ed25519', 'X25519'],
}
const BASE64URL = /^[A-Za-z0-9_-]+$/
export const MIN_RSA_BITS = 2048

const bad = (field: string, message: string) => errors.validationFailed([{ field, message }])

function keyOf(field: string, kty: string, jwk: Jwk, isPrivate: boolean): KeyObject {
  try {
    // biome-ignore lint/suspicious/noExplicitAny: node takes the JWK as a plain object
    const key = { key: jwk as any, format: 'jwk' as const }
    return isPrivate ? createPrivateKey(key) : createPublicKey(key)
  } catch {
    throw bad(field, `holds ${kty} members that do not make a ${kty} key`)
  }
}

function checkStrings(field: string, jwk: Jwk, names: readonly string[], required: boolean): void {
  for (const name of names) {
    const value = jwk[name]
    if (value === undefined && !required) continue
    if (typeof value !== 'string' || (name !== 'crv' && !BASE64URL.test(value))) {
      throw bad(field, `needs "${name}" as a base64url string`)
    }
  }
}

/** Key size and curve checks node:crypto leaves to the caller. */
function factsOf(field: string, kty: string, jwk: Jwk, key: KeyObject | null): KeyFacts {
  const type = (KTY[kty] as { type: KeyType }).type
  if (type === 'OCT') {
    const bits = Buffer.from(jwk.k as string, 'base64url').length * 8
    if (bits < 128 || bits > 4096) throw bad(field, 'needs a symmetric key of 128 to 4096 bits')
    return { type, bits }
  }
  const crv = jwk.crv as string | undefined
  if (CURVES[kty] && !CURVES[kty].includes(crv as string)) {
    throw bad(field, `has curve '${crv}'; apiops takes ${CURVES[kty].join(', ')}`)
  }
  const bits = key?.asymmetricKeyDetails?.modulusLength
  if (type === 'RSA' && (bits ?? 0) < MIN_RSA_BITS) {
    throw bad(field, `holds an RSA key of ${bits} bits; at least ${MIN_RSA_BITS} are needed`)
  }
  return { type, crv, bits }
}

/** A private key's public members must be the ones it came with. */
function checkPair(field: string, kty: string, jwk: Jwk, key: KeyObject): void {
  const derived = createPublicKey(key).export({ format: 'jwk' }) as Jwk
  for (const name of (KTY[kty] as { public: string[] }).public) {
    if (derived[name] !== jwk[name])
      throw bad(field, `has "${name}" that does not belong to its private key`)
  }
}

function checkUseAndAlg(field: string, jwk: Jwk, facts: KeyFacts): void {
  if (jwk.use !== undefined && jwk.use !== 'sig' && jwk.use !== 'enc') {
    throw bad(field, 'has "use" other than "sig" or "enc"')
  }
  if (jwk.alg === undefined) return
  if (typeof jwk.alg !== 'string') throw bad(field, 'has "alg" that is not a string')
  const use: UseType = ALGORITHMS[facts.type].SIGNATURE.includes(jwk.alg)
    ? 'SIGNATURE'
    : 'ENCRYPTION'
  if (jwk.use !== undefined && (jwk.use === 'sig') !== (use === 'SIGNATURE')) {
    throw bad(field, `has "alg" ${jwk.alg}, which does not fit "use" ${jwk.use}`)
  }
  checkAlgorithm(field, jwk.alg, use, facts)
}

/** Checks one JWK (a JSON object) and splits it; every problem is a 400 naming `field`. */
export function readJwk(field: string, value: unknown): Material {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw bad(field, 'must be a JWK (a JSON object) or a JWK set ({"keys": [...]})')
  }
  const jwk = value as Jwk
  const kty = jwk.kty
  const shape = typeof kty === 'string' ? KTY[kty] : undefined
  if (!shape) throw bad(field, 'needs "kty" RSA, EC, oct or OKP')
  if (jwk.oth !== undefined) throw bad(field, 'has "oth": multi-prime RSA keys are not supported')
  checkStrings(field, jwk, shape.public, true)
  const present = shape.private.filter((n) => jwk[n] !== undefined)
  const isPrivate = present.length > 0
  checkStrings(field, jwk, shape.private, shape.type === 'OCT' || isPrivate)
  if (jwk.kid !== undefined && (typeof jwk.kid !== 'string' || jwk.kid.length > 200)) {
    throw bad(field, 'has "kid" that is not a string of at most 200 characters')
  }
  const key = shape.type === 'OCT' ? null : keyOf(field, kty as string, jwk, isPrivate)
  if (key && isPrivate) checkPair(field, kty as string, jwk, key)
  const facts = factsOf(field, kty as string, jwk, key)
  checkUseAndAlg(field, jwk, facts)
  const publicJwk: Jwk = { kty }
  for (const name of [...shape.public, ...KEPT])
    if (jwk[name] !== undefined) publicJwk[name] = jwk[name]
  const privateJwk = isPrivate
    ? Object.fromEntries(shape.private.map((n) => [n, jwk[n] as string]))
    : null
  return { type: shape.type, publicJwk, privateJwk, facts }
}

/**
 * The key a pasted or fetched document holds: a JWK, or one key of a JWK set, picked by
 * `kid` when the set holds more than one. The kid given must match the key's, if it has one.
 */
export function pickJwk(field: string, document: unknown, kid: string | undefined): Material {
  const keys = (document as { keys?: unknown } | null)?.keys
  if (!Array.isArray(keys)) {
    const material = readJwk(field, document)
    const own = material.publicJwk.kid
    if (kid !== undefined && own !== undefined && own !== kid) {
      throw bad('kid', `is '${kid}', but the key's own kid is '${own}'`)
    }
    if (kid !== undefined) material.publicJwk.kid = kid
    return material
  }
  if (keys.length === 0) throw bad(field, 'holds a JWK set with no keys')
  if (keys.length > 100) throw bad(field, 'holds a JWK set of more than 100 keys')
  const kids = keys.map((k) => (k as Jwk | null)?.kid)
  if (kid === undefined) {
    if (keys.length === 1) return readJwk(`${field}.keys[0]`, keys[0])
    throw bad(
      'kid',
      `is required: the JWK set holds ${keys.length} keys (kids: ${kids.join(', ')})`,
    )
  }
  const at = kids.indexOf(kid)
  if (at < 0) throw bad('kid', `'${kid}' is not in the JWK set (kids: ${kids.join(', ')})`)
  return readJwk(`${field}.keys[${at}]`, keys[at])
}

/** A JSON document from text, or a 400 naming `field`. */
export function parseJson(field: string, text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    throw bad(field, 'is not JSON')
  }
}

/**
 * A node:crypto key as a JWK (its private members too, for a private key), with `extra`
 * members; checked as a pasted one is. A key with no JWK form is a 400 naming `field`.
 */
export function keyObjectJwk(field: string, key: KeyObject, extra: Jwk = {}): Material {
  let jwk: Jwk
  try {
    jwk = key.export({ format: 'jwk' }) as Jwk
  } catch {
    throw bad(
      field,
      `holds a ${key.asymmetricKeyType ?? 'symmetric'} key, which has no JWK form apiops takes (RSA, EC, Ed25519, X25519)`,
    )
  }
  return readJwk(field, { ...jwk, ...extra })
}

/** x5c and x5t#S256 members for a certificate. */
export function certificateMembers(der: Buffer): Jwk {
  return {
    x5c: [der.toString('base64')],
    'x5t#S256': createHash('sha256').update(der).digest('base64url'),
  }
}

/** The public key of a certificate as a JWK, with the certificate as its x5c and x5t#S256. */
export function certificateJwk(
  publicKey: KeyObject,
  der: Buffer,
  field = 'certificateName',
  extra: Jwk = {},
): Material {
  return keyObjectJwk(field, publicKey, { ...certificateMembers(der), ...extra })
}

/** RFC 7638 thumbprint: the hash of the required members, in order, as JSON. */
export function thumbprint(material: Material, hash: 'sha256' | 'sha1'): string {
  const all = { ...material.publicJwk, ...material.privateJwk }
  const kty = all.kty as string
  const members = kty === 'oct' ? ['k'] : (KTY[kty] as { public: string[] }).public
  const required = Object.fromEntries(['kty', ...members].sort().map((n) => [n, all[n]]))
  return createHash(hash).update(JSON.stringify(required)).digest('base64url')
}
