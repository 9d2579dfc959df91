import { timingSafeEqual } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { Clock } from '../../clock.ts'
import type { ApiTokenRow, Database } from '../../db/schema.ts'
import { errors } from '../../errors.ts'
import type { Principal } from '../policy/permissions.ts'
import { expiryMs } from '../tokens/expiry.ts'
import { MAX_TOKEN_LENGTH, type TokenCodec, type VerifiedToken } from '../tokens/token-format.ts'
import * as repo from '../tokens/tokens.repository.ts'
import { loadCachedUser } from '../users/users.service.ts'
import type { AuthCache, CachedUser } from './auth-cache.ts'
import { CanaryTripped } from './canary.ts'
import { permissionsOfTokenOwner } from './token-permissions.ts'
import type { UsageRecorder } from './usage-recorder.ts'

/*
 * The Bearer check: the chain the hot path runs on every request. Header, token string,
 * signature and claims, then the token row (unknown, revoked, expired), then its owner.
 */

export interface BearerDeps {
  db: Kysely<Database>
  clock: Clock
  cache: AuthCache
  codec: TokenCodec
  usage: UsageRecorder
}

/** Longest Authorization header worth decoding: "Bearer " plus the longest token. */
export const MAX_AUTHORIZATION_LENGTH = 7 + MAX_TOKEN_LENGTH

/** The token from "Bearer <token>"; whitespace inside it is judged by the caller. */
function extractBearer(header: string | undefined): string {
  if (header === undefined || header === '') throw errors.authorizationMissing()
  if (header.length > MAX_AUTHORIZATION_LENGTH)
    throw errors.authorizationTooLong(MAX_AUTHORIZATION_LENGTH)
  // The spelling every client sends needs no lower-casing; the scheme is case-insensitive.
  if (header.startsWith('Bearer ')) return nonEmpty(header.slice(7))
  const space = header.indexOf(' ')
  const scheme = space === -1 ? header : header.slice(0, space)
  if (scheme.toLowerCase() !== 'bearer') throw errors.schemeNotBearer()
  return nonEmpty(header.slice(space + 1))
}

function nonEmpty(token: string): string {
  if (token === '') throw errors.tokenMalformed()
  return token
}

/** A header the codec has not verified: every check, each failing with its own error. */
function verifyHeader(
  codec: TokenCodec,
  authorization: string | undefined,
  nowMs: number,
): VerifiedToken {
  const token = extractBearer(authorization)
  if (/\s/.test(token)) throw errors.tokenHasSpaces()
  return codec.verify(token, new Date(nowMs), authorization)
}

async function loadTokenRow(
  deps: Pick<BearerDeps, 'db' | 'cache'>,
  id: string,
): Promise<ApiTokenRow | undefined> {
  const cached = deps.cache.tokens.get(id)
  if (cached) return cached
  const row = await repo.findTokenById(deps.db, id)
  if (row) deps.cache.tokens.set(id, row)
  return row
}

function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

/**
 * Token strings already matched against a row: the row object they matched, and its
 * expiry in ms. A cached row is never mutated (a change evicts it and a fresh object is
 * loaded), so the same object means the hash comparison and date parsing still hold.
 */
interface Admission {
  row: ApiTokenRow
  expiresAtMs: number
  owner?: CachedUser
  principal?: Principal
}
const admitted = new WeakMap<VerifiedToken, Admission>()

/** Everything about the token row, in the order the errors are documented. */
function checkRow(verified: VerifiedToken, row: ApiTokenRow | undefined, nowMs: number): Admission {
  const known = admitted.get(verified)
  if (known !== undefined && known.row === row) {
    if (known.expiresAtMs <= nowMs) throw errors.tokenExpired(new Date(known.expiresAtMs))
    return known
  }
  const { claims, key, hash } = verified
  if (!row || row.user_id !== claims.sub || row.kid !== key.kid) throw errors.tokenUnknown()
  if (!sameHash(row.token_hash, hash)) throw errors.tokenUnknown()
  if (row.revoked_at !== null) throw errors.tokenRevoked()
  // Never admitted, so every use comes back here and is noticed (auth.hook.ts).
  if (row.kind === 'canary') throw new CanaryTripped(row.id, row.user_id)
  const expiresAtMs = expiryMs(row.expires_at)
  if (expiresAtMs <= nowMs) throw errors.tokenExpired(new Date(expiresAtMs))
  const admission: Admission = { row, expiresAtMs }
  admitted.set(verified, admission)
  return admission
}

function admit(
  deps: BearerDeps,
  admission: Admission,
  owner: CachedUser | undefined,
  nowMs: number,
  clientIp: string,
): Principal {
  if (!owner) throw errors.tokenUnknown()
  if (owner.disabled) throw errors.ownerDisabled()
  const { row } = admission
  // Cached users are never mutated either (a change evicts them), so the same row and
  // owner objects make the same principal: one object per token, not per request.
  let principal = admission.owner === owner ? admission.principal : undefined
  if (principal === undefined) {
    principal = permissionsOfTokenOwner(row, owner)
    admission.owner = owner
    admission.principal = principal
  }
  // Before the use is recorded: a call from elsewhere is no use of the token.
  const allows = principal.limits?.allows
  if (allows && !allows(clientIp)) {
    throw errors.tokenAddressNotAllowed(clientIp, principal.limits?.allowFrom ?? [])
  }
  deps.usage.record(row, owner, nowMs, clientIp)
  return principal
}

/**
 * The Bearer chain: header, token string, signature and claims, token row, owner.
 * With the row and the owner cached (the steady state) it answers synchronously, so
 * the hook adds no promise and no trip through the microtask queue; otherwise the
 * answer is a promise that reads what is missing from the database.
 */
export function authenticateBearer(
  deps: BearerDeps,
  authorization: string | undefined,
  clientIp: string,
): Principal | Promise<Principal> {
  const nowMs = deps.clock.nowMs()
  const verified =
    deps.codec.verifyKnownHeader(authorization, nowMs) ??
    verifyHeader(deps.codec, authorization, nowMs)
  deps.cache.syncWithStore()
  const cachedRow = deps.cache.tokens.get(verified.claims.jti, nowMs)
  if (cachedRow === undefined) return authenticateFromStore(deps, verified, nowMs, clientIp)
  const admission = checkRow(verified, cachedRow, nowMs)
  const owner = deps.cache.users.get(admission.row.user_id, nowMs)
  if (owner === undefined) return authenticateFromStore(deps, verified, nowMs, clientIp)
  return admit(deps, admission, owner, nowMs, clientIp)
}

async function authenticateFromStore(
  deps: BearerDeps,
  verified: VerifiedToken,
  nowMs: number,
  clientIp: string,
): Promise<Principal> {
  const admission = checkRow(verified, await loadTokenRow(deps, verified.claims.jti), nowMs)
  const userId = admission.row.user_id
  const owner = deps.cache.users.get(userId) ?? (await loadCachedUser(deps, userId))
  return admit(deps, admission, owner, nowMs, clientIp)
}
