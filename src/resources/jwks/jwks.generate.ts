import { generateKeyPair, randomBytes } from 'node:crypto'
import { promisify } from 'node:util'
import { errors } from '../../errors.ts'
import {
  checkAlgorithm,
  jwkUse,
  type KeyFacts,
  type KeyType,
  type UseType,
} from './jwks.algorithms.ts'
import { type Jwk, type Material, readJwk, thumbprint } from './jwks.material.ts'

/*
 * Fresh keys for the generate route, made by node:crypto (asynchronously: a 4096-bit
 * RSA key takes a second, which the event loop should not wait out).
 */

const generate = promisify(generateKeyPair)

export type KeyIdType = 'TIMESTAMP' | 'SHA256' | 'SHA1' | 'ISO_DATE' | 'NONE'

/** The type's own object (rsa, ec, oct or okp), as the route's schema validated it. */
export interface TypeOptions {
  keySize?: number | undefined
  curveType?: string | undefined
  keyUseType?: UseType | undefined
  algorithm?: string | undefined
  keyIdType?: KeyIdType | undefined
  notBeforeTime?: string | undefined
  expirationTime?: string | undefined
  passwordSaltLength?: number | undefined
  passwordIterationCount?: number | undefined
}

export interface GenerateInput {
  name: string
  description?: string | null | undefined
  type: KeyType
  kid?: string | undefined
  rsa?: TypeOptions | undefined
  ec?: TypeOptions | undefined
  oct?: TypeOptions | undefined
  okp?: TypeOptions | undefined
}

export interface Generated {
  material: Material
  use: UseType
  algorithm: string | null
  notBefore: string
  expiresAt: string
}

const OBJECT_OF = { RSA: 'rsa', EC: 'ec', OCT: 'oct', OKP: 'okp' } as const
const EC_CURVES: Record<string, string> = {
  P256: 'P-256',
  P384: 'P-384',
  P521: 'P-521',
  SECP256K1: 'secp256k1',
}
const YEAR_MS = 365 * 24 * 3600 * 1000

const bad = (field: string, message: string) => errors.validationFailed([{ field, message }])

/** The options object the type asks for; the others must be absent. */
function optionsOf(input: GenerateInput): { field: string; options: TypeOptions } {
  const field = OBJECT_OF[input.type]
  for (const other of Object.values(OBJECT_OF)) {
    if (other !== field && input[other] !== undefined) {
      throw bad(other, `must be absent when type is ${input.type}; send "${field}" instead`)
    }
  }
  const options = input[field]
  if (!options) throw bad(field, `is required when type is ${input.type}`)
  return { field, options }
}

async function privateJwk(type: KeyType, field: string, options: TypeOptions): Promise<Jwk> {
  if (type === 'OCT')
    return { kty: 'oct', k: randomBytes((options.keySize as number) / 8).toString('base64url') }
  if (type === 'RSA') {
    const { privateKey } = await generate('rsa', { modulusLength: options.keySize as number })
    return privateKey.export({ format: 'jwk' }) as Jwk
  }
  if (type === 'EC') {
    const namedCurve = EC_CURVES[options.curveType as string] as string
    return (await generate('ec', { namedCurve })).privateKey.export({ format: 'jwk' }) as Jwk
  }
  if (options.curveType === 'X25519') {
    return (await generate('x25519')).privateKey.export({ format: 'jwk' }) as Jwk
  }
  if (options.curveType !== 'ED25519') throw bad(`${field}.curveType`, 'must be ED25519 or X25519')
  return (await generate('ed25519')).privateKey.export({ format: 'jwk' }) as Jwk
}

/** Signing or encryption, defaulting to what the key can do (X25519 cannot sign). */
function chosenUse(type: KeyType, field: string, options: TypeOptions): UseType {
  const x25519 = type === 'OKP' && options.curveType === 'X25519'
  const use = options.keyUseType ?? (x25519 ? 'ENCRYPTION' : 'SIGNATURE')
  if (type === 'OKP' && x25519 !== (use === 'ENCRYPTION')) {
    throw bad(
      `${field}.keyUseType`,
      `cannot be ${use} for ${options.curveType}: Ed25519 keys sign, X25519 keys encrypt`,
    )
  }
  return use
}

function instant(field: string, value: string | undefined, fallback: Date): Date {
  if (value === undefined) return fallback
  const at = new Date(value)
  if (Number.isNaN(at.getTime())) throw bad(field, 'must be an ISO 8601 date and time')
  return at
}

function validity(field: string, options: TypeOptions, now: Date) {
  const notBefore = instant(`${field}.notBeforeTime`, options.notBeforeTime, now)
  const fallback = new Date(notBefore.getTime() + YEAR_MS)
  const expiresAt = instant(`${field}.expirationTime`, options.expirationTime, fallback)
  if (expiresAt <= notBefore) throw bad(`${field}.expirationTime`, 'must be after notBeforeTime')
  return { notBefore: notBefore.toISOString(), expiresAt: expiresAt.toISOString() }
}

function kidOf(input: GenerateInput, options: TypeOptions, material: Material, now: Date) {
  if (input.kid !== undefined) return input.kid
  switch (options.keyIdType ?? 'TIMESTAMP') {
    case 'TIMESTAMP':
      return String(now.getTime())
    case 'ISO_DATE':
      return now.toISOString()
    case 'SHA256':
      return thumbprint(material, 'sha256')
    case 'SHA1':
      return thumbprint(material, 'sha1')
    default:
      return undefined
  }
}

/** What the key will be, from the options alone. */
function plannedFacts(type: KeyType, options: TypeOptions): KeyFacts {
  if (type === 'EC') return { type, crv: EC_CURVES[options.curveType as string] }
  if (type === 'OKP') return { type, crv: options.curveType === 'X25519' ? 'X25519' : 'Ed25519' }
  return { type, bits: options.keySize }
}

/** A new key as the body asks; a combination that cannot work is a 400 naming its field. */
export async function generateKey(input: GenerateInput, now: Date): Promise<Generated> {
  const { field, options } = optionsOf(input)
  if ((input.type === 'RSA' || input.type === 'OCT') && options.keySize === undefined) {
    throw bad(`${field}.keySize`, `is required when type is ${input.type}`)
  }
  if ((input.type === 'EC' || input.type === 'OKP') && options.curveType === undefined) {
    throw bad(`${field}.curveType`, `is required when type is ${input.type}`)
  }
  if (input.type === 'EC' && !EC_CURVES[options.curveType as string]) {
    throw bad(`${field}.curveType`, `must be one of ${Object.keys(EC_CURVES).join(', ')}`)
  }
  const use = chosenUse(input.type, field, options)
  const times = validity(field, options, now)
  // Checked before the key is made: a refusal should not cost a 4096-bit RSA key.
  const algorithm =
    options.algorithm === undefined
      ? null
      : checkAlgorithm(
          `${field}.algorithm`,
          options.algorithm,
          use,
          plannedFacts(input.type, options),
        )
  const material = readJwk('type', await privateJwk(input.type, field, options))
  const kid = kidOf(input, options, material, now)
  material.publicJwk.use = jwkUse(use)
  if (algorithm) material.publicJwk.alg = algorithm
  if (kid !== undefined) material.publicJwk.kid = kid
  return { material, use, algorithm, ...times }
}
