import { timingSafeEqual } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { AuditSink } from '../../audit/audit.recorder.ts'
import type { Clock } from '../../clock.ts'
import type { EventBus } from '../../cluster/events.ts'
import type { ApiTokenRow, Database, TokenSource } from '../../db/schema.ts'
import { errors } from '../../errors.ts'
import { INVISIBLE, LABEL } from '../../http/schemas.ts'
import type { AuthCache, CachedUser } from '../bearer/auth-cache.ts'
import { authorize, type Principal } from '../policy/permissions.ts'
import { loadCachedUser } from '../users/users.service.ts'
import {
  hashToken,
  MAX_TOKEN_LENGTH,
  newTokenId,
  type TokenCodec,
  type VerifiedToken,
} from './token-format.ts'
import * as repo from './tokens.repository.ts'

export interface TokensDeps {
  db: Kysely<Database>
  clock: Clock
  events: EventBus
  cache: AuthCache
  codec: TokenCodec
  usage: UsageRecorder
  audit: AuditSink
}

/** Whose tokens: the id they belong to, the name the audit log shows. */
export interface TokenOwner {
  id: string
  username: string
}

export const TOKEN_NAME_MAX = 100
/** Far enough for any real plan, near enough that a typo like year 20260 is caught. */
const MAX_EXPIRY_YEARS = 100

export type TokenStatus = 'active' | 'expired' | 'revoked'

export interface TokenView {
  id: string
  name: string
  source: TokenSource
  createdAt: string
  expiresAt: string | null
  lastUsedAt: string | null
  lastUsedFrom: string | null
  revokedAt: string | null
  status: TokenStatus
}

export interface IssuedToken {
  /** The token string: shown once, never stored. */
  token: string
  view: TokenView
}

export function tokenStatus(row: ApiTokenRow, now: Date): TokenStatus {
  if (row.revoked_at !== null) return 'revoked'
  if (row.expires_at !== null && row.expires_at <= now.toISOString()) return 'expired'
  return 'active'
}

export function tokenView(row: ApiTokenRow, now: Date): TokenView {
  return {
    id: row.id,
    name: row.name,
    source: row.source,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    lastUsedAt: row.last_used_at,
    lastUsedFrom: row.last_used_ip,
    revokedAt: row.revoked_at,
    status: tokenStatus(row, now),
  }
}

export function checkTokenName(name: string): string {
  const trimmed = name.trim()
  if (trimmed.length === 0 || trimmed.length > TOKEN_NAME_MAX || !LABEL.test(name)) {
    throw errors.validationFailed([
      {
        field: 'name',
        message: `must be 1 to ${TOKEN_NAME_MAX} characters, with no ${INVISIBLE}`,
      },
    ])
  }
  return trimmed
}

/**
 * An expiry as a client sends it: an ISO date-time, or a calendar date (YYYY-MM-DD),
 * which means the token works through that whole day, UTC, and stops at the next
 * midnight. Whole seconds only, since the JWT's exp claim has no finer grain.
 */
export function parseExpiry(value: string | null | undefined, now: Date): Date | null {
  if (value === null || value === undefined) return null
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(value)
  const isoDateTime =
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/.test(value)
  const parsed = dateOnly ? new Date(`${value}T00:00:00Z`) : isoDateTime ? new Date(value) : null
  if (
    !parsed ||
    Number.isNaN(parsed.getTime()) ||
    (dateOnly && parsed.toISOString().slice(0, 10) !== value)
  ) {
    throw errors.validationFailed([
      {
        field: 'expiresAt',
        message:
          'must be null (never expires), a date (YYYY-MM-DD) or an ISO 8601 date-time with a time zone',
      },
    ])
  }
  const expires = dateOnly ? new Date(parsed.getTime() + 86_400_000) : parsed
  expires.setUTCMilliseconds(0)
  if (expires.getTime() <= now.getTime()) {
    throw errors.validationFailed([{ field: 'expiresAt', message: 'must be in the future' }])
  }
  const limit = new Date(now)
  limit.setUTCFullYear(limit.getUTCFullYear() + MAX_EXPIRY_YEARS)
  if (expires > limit) {
    throw errors.validationFailed([
      {
        field: 'expiresAt',
        message: `must be within ${MAX_EXPIRY_YEARS} years; use null for a token that never expires`,
      },
    ])
  }
  return expires
}

export async function issueToken(
  deps: Pick<TokensDeps, 'db' | 'clock' | 'codec'>,
  input: { userId: string; name: string; source: TokenSource; expiresAt: Date | null },
): Promise<IssuedToken> {
  const now = deps.clock.now()
  const id = newTokenId()
  const token = deps.codec.sign({ sub: input.userId, jti: id, iat: now, exp: input.expiresAt })
  const key = deps.codec.currentKey
  const row: ApiTokenRow = {
    id,
    user_id: input.userId,
    name: checkTokenName(input.name),
    source: input.source,
    token_hash: hashToken(token, key),
    kid: key.kid,
    created_at: now.toISOString(),
    expires_at: input.expiresAt?.toISOString() ?? null,
    last_used_at: null,
    last_used_ip: null,
    revoked_at: null,
    revoked_by: null,
  }
  await repo.insertToken(deps.db, row)
  return { token, view: tokenView(row, now) }
}

/** A token made on purpose (console, CLI): issued and recorded as token.created. */
export async function createToken(
  deps: Pick<TokensDeps, 'db' | 'clock' | 'codec' | 'audit'>,
  owner: TokenOwner,
  input: { name: string; source: TokenSource; expiresAt: Date | null },
): Promise<IssuedToken> {
  const issued = await issueToken(deps, { ...input, userId: owner.id })
  deps.audit.record('token.created', {
    tokenId: issued.view.id,
    owner: owner.username,
    name: issued.view.name,
    source: input.source,
    expiresAt: issued.view.expiresAt ?? 'never',
  })
  return issued
}

export async function listTokens(
  deps: Pick<TokensDeps, 'db' | 'clock'>,
  userId: string,
): Promise<TokenView[]> {
  const now = deps.clock.now()
  return (await repo.listTokensOfUser(deps.db, userId)).map((row) => tokenView(row, now))
}

/** A token of this owner, or 404: another user's token id is indistinguishable from none. */
async function ownedToken(
  deps: Pick<TokensDeps, 'db'>,
  ownerId: string,
  tokenId: string,
): Promise<ApiTokenRow> {
  const row = /^[0-9a-f]{32}$/.test(tokenId)
    ? await repo.findTokenById(deps.db, tokenId)
    : undefined
  if (!row || row.user_id !== ownerId) throw errors.notFound(`Token '${tokenId}'`)
  return row
}

export async function revokeToken(
  deps: Pick<TokensDeps, 'db' | 'clock' | 'events' | 'audit'>,
  owner: TokenOwner,
  tokenId: string,
  revokedBy: string,
): Promise<TokenView> {
  const row = await ownedToken(deps, owner.id, tokenId)
  const now = deps.clock.now()
  if (await repo.markRevoked(deps.db, row.id, now.toISOString(), revokedBy)) {
    await deps.events.publish({ type: 'token.revoked', tokenId: row.id })
  }
  deps.audit.record('token.revoked', { tokenId: row.id, owner: owner.username })
  return tokenView((await repo.findTokenById(deps.db, row.id)) ?? row, now)
}

export async function revokeAllTokens(
  deps: Pick<TokensDeps, 'db' | 'clock' | 'events' | 'audit'>,
  owner: TokenOwner,
  revokedBy: string,
): Promise<number> {
  const count = await repo.markAllRevoked(
    deps.db,
    owner.id,
    deps.clock.now().toISOString(),
    revokedBy,
  )
  await announceAllTokensRevoked(deps, owner.id)
  deps.audit.record('token.revokedAll', { owner: owner.username, count })
  return count
}

/** Every node drops the owner's cached tokens; for whoever revoked them all, after committing. */
export async function announceAllTokensRevoked(
  deps: Pick<TokensDeps, 'events'>,
  ownerId: string,
): Promise<void> {
  await deps.events.publish({ type: 'user.tokens-revoked', userId: ownerId })
}

/**
 * Who may rotate which token. A token may rotate only itself: rotating another would let
 * a short-lived token (one hour, from the token endpoint) replace a never-expiring one and
 * hold its secret, outliving itself. A console session, opened with the password, may
 * rotate any of its user's tokens.
 */
export function assertMayRotate(principal: Principal, tokenId: string): void {
  if (principal.tokenId !== tokenId) authorize(principal, 'token.rotateOther')
}

/**
 * Replaces a token's secret: the old one is revoked and a new one made with the same
 * name and the same expiry instant, in one transaction, so there is never a moment with
 * both or neither. Rotation never extends a lifetime, and a dead token cannot be rotated.
 */
export async function rotateToken(
  deps: Pick<TokensDeps, 'db' | 'clock' | 'events' | 'codec' | 'audit'>,
  owner: TokenOwner,
  tokenId: string,
  rotatedBy: string,
): Promise<IssuedToken> {
  const ownerId = owner.id
  const row = await ownedToken(deps, ownerId, tokenId)
  const now = deps.clock.now()
  const status = tokenStatus(row, now)
  if (status !== 'active')
    throw errors.conflict(`Token '${tokenId}' is ${status}; only an active token can be rotated.`)
  const issued = await deps.db.transaction().execute(async (trx) => {
    if (!(await repo.markRevoked(trx, row.id, now.toISOString(), rotatedBy))) {
      throw errors.conflict(
        `Token '${tokenId}' was revoked meanwhile; only an active token can be rotated.`,
      )
    }
    return issueToken(
      { ...deps, db: trx as unknown as Kysely<Database> },
      {
        userId: ownerId,
        name: row.name,
        source: row.source,
        expiresAt: row.expires_at ? new Date(row.expires_at) : null,
      },
    )
  })
  await deps.events.publish({ type: 'token.revoked', tokenId: row.id })
  deps.audit.record('token.rotated', {
    tokenId: row.id,
    newTokenId: issued.view.id,
    owner: owner.username,
  })
  return issued
}

export async function purgeExpiredTokens(
  deps: Pick<TokensDeps, 'db' | 'clock'>,
  retentionDays: number,
): Promise<number> {
  const cutoff = new Date(deps.clock.now().getTime() - retentionDays * 86_400_000)
  return repo.purgeTokensBefore(deps.db, cutoff.toISOString())
}

// ---------------------------------------------------------------------------
// Bearer authentication: the chain the hot path runs on every request.

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
  deps: Pick<TokensDeps, 'db' | 'cache'>,
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
  const expiresAtMs =
    row.expires_at === null ? Number.POSITIVE_INFINITY : Date.parse(row.expires_at)
  if (expiresAtMs <= nowMs) throw errors.tokenExpired(new Date(expiresAtMs))
  const admission: Admission = { row, expiresAtMs }
  admitted.set(verified, admission)
  return admission
}

function admit(
  deps: TokensDeps,
  admission: Admission,
  owner: CachedUser | undefined,
  nowMs: number,
  clientIp: string,
): Principal {
  if (!owner) throw errors.tokenUnknown()
  if (owner.disabled) throw errors.ownerDisabled()
  const { row } = admission
  deps.usage.record(row, owner, nowMs, clientIp)
  // Cached users are never mutated either (a change evicts them), so the same row and
  // owner objects make the same principal: one object per token, not per request.
  if (admission.owner === owner && admission.principal) return admission.principal
  const principal: Principal = {
    userId: owner.id,
    username: owner.username,
    roles: owner.roles,
    tokenId: row.id,
    via: 'token',
  }
  admission.owner = owner
  admission.principal = principal
  return principal
}

/**
 * The Bearer chain: header, token string, signature and claims, token row, owner.
 * With the row and the owner cached (the steady state) it answers synchronously, so
 * the hook adds no promise and no trip through the microtask queue; otherwise the
 * answer is a promise that reads what is missing from the database.
 */
export function authenticateBearer(
  deps: TokensDeps,
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
  deps: TokensDeps,
  verified: VerifiedToken,
  nowMs: number,
  clientIp: string,
): Promise<Principal> {
  const admission = checkRow(verified, await loadTokenRow(deps, verified.claims.jti), nowMs)
  const userId = admission.row.user_id
  const owner = deps.cache.users.get(userId) ?? (await loadCachedUser(deps, userId))
  return admit(deps, admission, owner, nowMs, clientIp)
}

/** A token presented from another address than its last use (or used for the first time). */
export interface NewAddressUse {
  tokenId: string
  userId: string
  username: string
  ip: string
  previousIp: string | null
  at: Date
}

/**
 * Writes last-used time and address at most once a minute per token (sooner when the
 * address changes), after the response, so the hot path never waits on a write. When
 * the address differs from the last one known, `onNewAddress` hears of it (the audit log).
 */
export class UsageRecorder {
  private readonly last = new Map<string, { at: number; ip: string }>()
  private pending = new Set<Promise<void>>()

  constructor(
    private readonly db: Kysely<Database>,
    private readonly onError: (error: unknown) => void,
    private readonly intervalMs = 60_000,
    private readonly onNewAddress?: (use: NewAddressUse) => void,
  ) {}

  /** `token` and `owner` are the cached row and user, passed whole so no object is made per request. */
  record(
    token: Pick<ApiTokenRow, 'id' | 'last_used_ip'>,
    owner: Pick<CachedUser, 'id' | 'username'>,
    t: number,
    ip: string,
  ): void {
    const tokenId = token.id
    const previous = this.last.get(tokenId)
    if (previous && previous.ip === ip && t - previous.at < this.intervalMs) return
    const now = new Date(t)
    if (this.last.size >= 100_000) this.last.clear()
    this.last.set(tokenId, { at: t, ip })
    const address = ip.slice(0, 64)
    // The last address this node saw, else the one stored with the token.
    const before = previous ? previous.ip.slice(0, 64) : token.last_used_ip
    if (this.onNewAddress && before !== address) {
      this.onNewAddress({
        tokenId,
        userId: owner.id,
        username: owner.username,
        ip: address,
        previousIp: before ?? null,
        at: now,
      })
    }
    const write = repo
      .touchToken(this.db, tokenId, now.toISOString(), address)
      .catch(this.onError)
      .finally(() => this.pending.delete(write))
    this.pending.add(write)
  }

  /** Waits for writes in flight (shutdown, and tests that read the result). */
  async flush(): Promise<void> {
    await Promise.all(this.pending)
  }
}
