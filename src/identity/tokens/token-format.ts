import { createHmac, randomBytes } from 'node:crypto'
import { createDecoder, createSigner, createVerifier, TokenError } from 'fast-jwt'
import { errors } from '../../errors.ts'
import type { KeyRing, TokenKey } from '../../keys.ts'
import { type Expiry, NEVER_EXPIRES } from './expiry.ts'

/**
 * The token string: a JWT, HS256, header exactly {alg, typ, kid}. Claims: sub (user id),
 * jti (128 random bits, hex), iat, exp (only when it expires), iss and aud.
 *
 * Verification is a chain of small steps, each failing with its own message, so a
 * caller can tell which troubleshooting step applies. Signature and claim checks are
 * fast-jwt's; this module only decides which inputs it is ever given.
 */

export const MAX_TOKEN_LENGTH = 1024
const TOKEN_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/
const JTI_SHAPE = /^[0-9a-f]{32}$/
const HEADER_KEYS = ['alg', 'kid', 'typ']
/** Tolerance for a future nbf; exp is checked to the second (both ends are our own clock). */
const NBF_LEEWAY_S = 60
/** The range of a JavaScript Date, in seconds. */
const MAX_DATE_SECONDS = 8.64e12

export interface TokenClaims {
  sub: string
  jti: string
  iat: number
  exp?: number
  iss: string
  aud: string
}

export interface VerifiedToken {
  claims: TokenClaims
  key: TokenKey
  /** hashToken(token, key), computed once per token string. */
  hash: string
}

/** Authorization headers already verified, so a busy client's token is decoded and hashed once. */
const VERIFIED_CACHE_SIZE = 10_000
/** An HS256 signature in base64url: 32 bytes, always 43 characters, always last. */
const SIGNATURE_CHARS = 43

/** The signature of a token in a header, or 43 other characters if it holds no token. */
const signatureKey = (header: string) => header.slice(-SIGNATURE_CHARS)

export function newTokenId(): string {
  return randomBytes(16).toString('hex')
}

/** HMAC-SHA-256 under the key's pepper: the only form in which a token is ever stored. */
export function hashToken(token: string, key: TokenKey): string {
  return createHmac('sha256', key.pepper).update(token).digest('base64url')
}

const decodeComplete = createDecoder({ complete: true })

export class TokenCodec {
  private readonly signers = new Map<string, (payload: object) => string>()
  private readonly verifiers = new Map<string, (token: string) => unknown>()
  // A hit is the exact Authorization header whose token passed every check below, so
  // only time (exp, nbf) is judged again. Every request brings a fresh string to hash:
  // the key is the signature (its last 43 characters, cut without searching for the
  // dot), which hashes faster than the whole ~300. A hit is confirmed by comparing the
  // whole header; both strings are flat, so that is one memory comparison. Only a caller
  // who already holds the full signature ever reaches that comparison, so its early exit
  // tells nobody anything secret. Holds nothing the request did not.
  private readonly verified = new Map<string, { header: string; value: VerifiedToken }>()

  constructor(
    private readonly keys: KeyRing,
    private readonly issuer: string,
  ) {
    for (const key of keys.byKid.values()) {
      this.verifiers.set(
        key.kid,
        createVerifier({
          key: key.signing,
          algorithms: ['HS256'],
          allowedIss: issuer,
          allowedAud: issuer,
          requiredClaims: ['sub', 'jti', 'iat', 'iss', 'aud'],
          checkTyp: 'jwt',
          // Time is judged against the injected clock below, not Date.now().
          ignoreExpiration: true,
          ignoreNotBefore: true,
        }),
      )
    }
    const current = keys.current
    this.signers.set(
      current.kid,
      createSigner({ key: current.signing, algorithm: 'HS256', kid: current.kid }),
    )
  }

  get currentKey(): TokenKey {
    return this.keys.current
  }

  sign(claims: { sub: string; jti: string; iat: Date; exp: Expiry }): string {
    const sign = this.signers.get(this.keys.current.kid) as (payload: object) => string
    const payload: TokenClaims = {
      sub: claims.sub,
      jti: claims.jti,
      iat: Math.floor(claims.iat.getTime() / 1000),
      iss: this.issuer,
      aud: this.issuer,
    }
    if (claims.exp !== NEVER_EXPIRES) payload.exp = Math.floor(claims.exp.getTime() / 1000)
    return sign(payload)
  }

  /**
   * verify() again for an Authorization header whose token passed it before, with time
   * judged anew; undefined for a header never seen (or no header).
   */
  verifyKnownHeader(header: string | undefined, nowMs: number): VerifiedToken | undefined {
    if (header === undefined) return undefined
    const entry = this.verified.get(signatureKey(header))
    if (entry === undefined || entry.header !== header) return undefined
    checkTime(entry.value.claims, nowMs)
    return entry.value
  }

  /**
   * Shape, header, signature, claims, time: everything that needs no database. With
   * `header`, the Authorization header the token came in, a success is remembered for
   * verifyKnownHeader.
   */
  verify(token: string, now: Date, header?: string): VerifiedToken {
    const fresh = this.verifyFully(token)
    checkTime(fresh.claims, now.getTime())
    if (header !== undefined) {
      if (this.verified.size >= VERIFIED_CACHE_SIZE) this.verified.clear()
      this.verified.set(signatureKey(header), { header, value: fresh })
    }
    return fresh
  }

  private verifyFully(token: string): VerifiedToken {
    if (token.length > MAX_TOKEN_LENGTH || !TOKEN_SHAPE.test(token)) throw errors.tokenMalformed()
    const key = this.checkHeader(token)
    const verifier = this.verifiers.get(key.kid) as (token: string) => unknown
    let claims: TokenClaims
    try {
      claims = verifier(token) as TokenClaims
    } catch (error) {
      throw mapVerifyError(error)
    }
    if (
      typeof claims.sub !== 'string' ||
      typeof claims.jti !== 'string' ||
      !JTI_SHAPE.test(claims.jti)
    ) {
      throw errors.tokenMalformed()
    }
    return { claims, key, hash: hashToken(token, key) }
  }

  /**
   * Only the exact header apiops issues is accepted: HS256 (so never "none" or an
   * asymmetric algorithm), typ JWT, a kid from the fixed key map. Any other member,
   * such as jku, jwk, x5u or crit, means the token did not come from us.
   */
  private checkHeader(token: string): TokenKey {
    let header: Record<string, unknown>
    try {
      header = (decodeComplete(token) as { header: Record<string, unknown> }).header
    } catch {
      throw errors.tokenMalformed()
    }
    const keys = Object.keys(header).sort()
    if (keys.length !== HEADER_KEYS.length || keys.some((k, i) => k !== HEADER_KEYS[i])) {
      throw errors.tokenSignatureInvalid()
    }
    if (header.alg !== 'HS256' || header.typ !== 'JWT' || typeof header.kid !== 'string') {
      throw errors.tokenSignatureInvalid()
    }
    const key = this.keys.byKid.get(header.kid)
    if (!key) throw errors.tokenSignatureInvalid()
    return key
  }
}

/** exp and nbf against the injected clock: judged on every use, cached or not. */
function checkTime(claims: TokenClaims, nowMs: number): void {
  const nowS = nowMs / 1000
  if (claims.exp !== undefined) {
    // A number Date cannot hold (e.g. -1e20) is as wrong as a string.
    if (typeof claims.exp !== 'number' || !(Math.abs(claims.exp) <= MAX_DATE_SECONDS)) {
      throw errors.tokenClaimsInvalid('the exp claim must be a date in seconds')
    }
    if (nowS >= claims.exp) throw errors.tokenExpired(new Date(claims.exp * 1000))
  }
  const nbf = (claims as { nbf?: unknown }).nbf
  if (nbf !== undefined && (typeof nbf !== 'number' || nbf > nowS + NBF_LEEWAY_S)) {
    throw errors.tokenNotYetValid()
  }
}

function mapVerifyError(error: unknown): Error {
  if (!(error instanceof TokenError)) return errors.tokenMalformed()
  switch (error.code) {
    case TokenError.codes.invalidSignature:
    case TokenError.codes.invalidAlgorithm:
    case TokenError.codes.invalidKey:
      return errors.tokenSignatureInvalid()
    case TokenError.codes.invalidClaimValue:
    case TokenError.codes.invalidClaimType:
    case TokenError.codes.missingRequiredClaim:
    case TokenError.codes.invalidType:
      return errors.tokenClaimsInvalid(error.message.replace(/\.$/, ''))
    default:
      return errors.tokenMalformed()
  }
}
