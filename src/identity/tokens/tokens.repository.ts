import { sql } from 'kysely'
import type { ApiTokenRow, NewApiToken, TokenSource } from '../../db/schema.ts'
import type { Queryable } from '../../db/types.ts'

export async function insertToken(db: Queryable, row: NewApiToken): Promise<void> {
  await db.insertInto('api_tokens').values(row).execute()
}

export function findTokenById(db: Queryable, id: string): Promise<ApiTokenRow | undefined> {
  return db.selectFrom('api_tokens').selectAll().where('id', '=', id).executeTakeFirst()
}

/**
 * Which of a user's tokens a list shows: one source, or (undefined) every source but the
 * token endpoint's short-lived ones. Written as SQL text, not a parameter, so that both
 * engines see it matches the partial indexes of migration 0036.
 */
function ofSource(source: TokenSource | undefined) {
  return source === undefined ? sql<boolean>`source <> 'api'` : sql<boolean>`source = ${source}`
}

/** Newest first: the list a person scans for the token they just made. */
export function listTokensOfUser(
  db: Queryable,
  userId: string,
  source?: TokenSource,
): Promise<ApiTokenRow[]> {
  return tokensOfUser(db, userId, source).orderBy('created_at', 'desc').orderBy('id').execute()
}

/** The token list's query, unordered (src/http/lists.ts orders and pages it); no canaries. */
export function tokensOfUser(db: Queryable, userId: string, source?: TokenSource) {
  return db
    .selectFrom('api_tokens')
    .selectAll()
    .where('user_id', '=', userId)
    .where('kind', 'is', null)
    .where(ofSource(source))
}

/** A user's canary tokens, listed apart, newest first. */
export function canaryTokensOfUser(db: Queryable, userId: string): Promise<ApiTokenRow[]> {
  return db
    .selectFrom('api_tokens')
    .selectAll()
    .where('user_id', '=', userId)
    .where('kind', '=', 'canary')
    .orderBy('created_at', 'desc')
    .orderBy('id')
    .execute()
}

/** Returns whether a row changed, so revoking twice is not reported as a fresh revocation. */
export async function markRevoked(
  db: Queryable,
  id: string,
  at: string,
  by: string,
): Promise<boolean> {
  const result = await db
    .updateTable('api_tokens')
    .set({ revoked_at: at, revoked_by: by })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .executeTakeFirst()
  return Number(result.numUpdatedRows) > 0
}

/**
 * Revokes live tokens (of one user, or all; made before an instant, or whenever) and
 * returns how many. A canary stays armed: revoking everything after a leak is when it
 * matters most.
 */
export async function markLiveRevoked(
  db: Queryable,
  which: { userId: string | undefined; issuedBefore?: string; at: string; by: string },
): Promise<number> {
  let update = db
    .updateTable('api_tokens')
    .set({ revoked_at: which.at, revoked_by: which.by })
    .where('revoked_at', 'is', null)
    .where('kind', 'is', null)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', which.at)]))
  if (which.userId !== undefined) update = update.where('user_id', '=', which.userId)
  if (which.issuedBefore !== undefined) update = update.where('created_at', '<', which.issuedBefore)
  const result = await update.executeTakeFirst()
  return Number(result.numUpdatedRows)
}

export async function touchToken(db: Queryable, id: string, at: string, ip: string): Promise<void> {
  await db
    .updateTable('api_tokens')
    .set({ last_used_at: at, last_used_ip: ip })
    .where('id', '=', id)
    .execute()
}

/** Deletes rows that expired or were revoked before the cutoff. */
export async function purgeTokensBefore(db: Queryable, cutoff: string): Promise<number> {
  const result = await db
    .deleteFrom('api_tokens')
    .where((eb) => eb.or([eb('expires_at', '<', cutoff), eb('revoked_at', '<', cutoff)]))
    .executeTakeFirst()
  return Number(result.numDeletedRows)
}

/**
 * Retires a rotated token in the rotation's transaction: revoked now (no grace) or its
 * expiry brought forward to the grace's end. Only a live, not yet rotated row qualifies,
 * so two racing rotations cannot both succeed.
 */
export async function markRotated(
  db: Queryable,
  id: string,
  change: { rotatedTo: string; at: string; by: string; graceEndsAt: string | null },
): Promise<boolean> {
  const result = await db
    .updateTable('api_tokens')
    .set(
      change.graceEndsAt === null
        ? { rotated_to: change.rotatedTo, revoked_at: change.at, revoked_by: change.by }
        : { rotated_to: change.rotatedTo, expires_at: change.graceEndsAt },
    )
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .where('rotated_to', 'is', null)
    .executeTakeFirst()
  return Number(result.numUpdatedRows) > 0
}

/** Revokes every live token of a rotation chain (its first token and its successors). */
export async function revokeChain(
  db: Queryable,
  userId: string,
  chainId: string,
  at: string,
  by: string,
): Promise<number> {
  const result = await db
    .updateTable('api_tokens')
    .set({ revoked_at: at, revoked_by: by })
    .where('user_id', '=', userId)
    .where((eb) => eb.or([eb('id', '=', chainId), eb('chain_id', '=', chainId)]))
    .where('revoked_at', 'is', null)
    .executeTakeFirst()
  return Number(result.numUpdatedRows)
}
/** Live personal tokens not used (never used: not made) since the cutoff, with their owners. */
export function inactiveTokens(
  db: Queryable,
  which: { cutoff: string; now: string },
): Promise<{ id: string; username: string; last_used_at: string | null }[]> {
  return db
    .selectFrom('api_tokens')
    .innerJoin('users', 'users.id', 'api_tokens.user_id')
    .select(['api_tokens.id', 'users.username', 'api_tokens.last_used_at'])
    .where('api_tokens.revoked_at', 'is', null)
    .where('api_tokens.kind', 'is', null)
    .where((eb) =>
      eb.or([eb('api_tokens.expires_at', 'is', null), eb('api_tokens.expires_at', '>', which.now)]),
    )
    .where((eb) =>
      eb(eb.fn.coalesce('api_tokens.last_used_at', 'api_tokens.created_at'), '<', which.cutoff),
    )
    .execute()
}

/** The username the audit log names a token's owner by. */
export async function ownerName(db: Queryable, userId: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('users')
    .select('username')
    .where('id', '=', userId)
    .executeTakeFirst()
  return row?.username
}
