import type { Kysely } from 'kysely'
import type { AuditSink } from '../../audit/audit.recorder.ts'
import type { Clock } from '../../clock.ts'
import type { EventBus } from '../../cluster/events.ts'
import type { ApiTokenRow, Database, TokenKind, TokenSource } from '../../db/schema.ts'
import { errors } from '../../errors.ts'
import { INVISIBLE, LABEL } from '../../http/schemas.ts'
import { type Expiry, expiryMs, expiryToColumn, NEVER_EXPIRES } from './expiry.ts'
import { checkLifetime, rolesBoundBy, type TokenLifetimePolicy } from './lifetime-policy.ts'
import { hashToken, newTokenId, type TokenCodec } from './token-format.ts'
import {
  checkTokenLimits,
  limitsSummary,
  limitsView,
  type TokenLimitsInput,
  type TokenLimitsView,
  tokenRoles,
} from './token-limits.ts'
import * as repo from './tokens.repository.ts'

/** What token management needs; the Bearer check's own needs are BearerDeps. */
export interface TokensDeps {
  db: Kysely<Database>
  clock: Clock
  events: EventBus
  codec: TokenCodec
  audit: AuditSink
  /** The lifetime policy in force (an administrator's runtime setting). */
  lifetimePolicy(): TokenLifetimePolicy
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
  rotatedTo: string | null
  limits: TokenLimitsView
}

export interface IssuedToken {
  /** The token string: shown once, never stored. */
  token: string
  view: TokenView
}

export function tokenStatus(row: ApiTokenRow, now: Date): TokenStatus {
  if (row.revoked_at !== null) return 'revoked'
  if (expiryMs(row.expires_at) <= now.getTime()) return 'expired'
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
    rotatedTo: row.rotated_to,
    limits: limitsView(row.limits),
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
export function parseExpiry(value: string | null | undefined, now: Date): Expiry {
  if (value === null || value === undefined) return NEVER_EXPIRES
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
  input: {
    userId: string
    name: string
    source: TokenSource
    expiresAt: Expiry
    /** A fresh id from newTokenId(), when the caller names the token after it. */
    id?: string
    /** The rotation chain the token continues (its first token's id). */
    chainId?: string
    kind?: TokenKind
    /** The checked limits column (token-limits.ts); null = everything the owner has. */
    limits?: string | null
  },
): Promise<IssuedToken> {
  const now = deps.clock.now()
  const id = input.id ?? newTokenId()
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
    expires_at: expiryToColumn(input.expiresAt),
    last_used_at: null,
    last_used_ip: null,
    revoked_at: null,
    revoked_by: null,
    rotated_to: null,
    chain_id: input.chainId ?? null,
    kind: input.kind ?? null,
    limits: input.limits ?? null,
  }
  await repo.insertToken(deps.db, row)
  return { token, view: tokenView(row, now) }
}

/** A token made on purpose (console, CLI): issued and recorded as token.created. */
export async function createToken(
  deps: Pick<TokensDeps, 'db' | 'clock' | 'codec' | 'audit' | 'lifetimePolicy'>,
  owner: TokenOwner,
  input: { name: string; source: TokenSource; expiresAt: Expiry; limits?: TokenLimitsInput },
): Promise<IssuedToken> {
  const limits = await checkTokenLimits(deps.db, owner.id, input.limits)
  const policy = deps.lifetimePolicy()
  const roles = await rolesBoundBy(policy, () => tokenRoles(deps.db, owner.id, limits))
  checkLifetime(policy, roles, input.expiresAt, deps.clock.now())
  const issued = await issueToken(deps, { ...input, userId: owner.id, limits })
  deps.audit.record('token.created', {
    tokenId: issued.view.id,
    owner: owner.username,
    name: issued.view.name,
    source: input.source,
    expiresAt: issued.view.expiresAt ?? 'never',
    limits: limitsSummary(limits),
  })
  return issued
}

/** A user's tokens of one source, or of every source but the token endpoint's ('api'). */
export async function listTokens(
  deps: Pick<TokensDeps, 'db' | 'clock'>,
  userId: string,
  source?: TokenSource,
): Promise<TokenView[]> {
  const now = deps.clock.now()
  return (await repo.listTokensOfUser(deps.db, userId, source)).map((row) => tokenView(row, now))
}

/** A token of this owner, or 404: another user's token id is indistinguishable from none. */
export async function ownedToken(
  deps: Pick<TokensDeps, 'db'>,
  ownerId: string,
  tokenId: string,
): Promise<ApiTokenRow> {
  const row = /^[0-9a-f]{32}$/.test(tokenId)
    ? await repo.findTokenById(deps.db, tokenId)
    : undefined
  // Canaries are managed at their own paths: here they are as absent as another's token.
  if (!row || row.user_id !== ownerId || row.kind !== null)
    throw errors.notFound(`Token '${tokenId}'`)
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
  const ownerId = owner.id
  const count = await repo.markLiveRevoked(deps.db, {
    userId: ownerId,
    at: deps.clock.now().toISOString(),
    by: revokedBy,
  })
  await announceAllTokensRevoked(deps, ownerId)
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

export async function purgeExpiredTokens(
  deps: Pick<TokensDeps, 'db' | 'clock'>,
  retentionDays: number,
): Promise<number> {
  const cutoff = new Date(deps.clock.now().getTime() - retentionDays * 86_400_000)
  return repo.purgeTokensBefore(deps.db, cutoff.toISOString())
}
