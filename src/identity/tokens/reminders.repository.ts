import type { Kysely, SelectQueryBuilder } from 'kysely'
import type { Database, ReminderStatus } from '../../db/schema.ts'

/** A live personal token a reminder may be about, with where its owner is told. */
export interface ReminderCandidate {
  id: string
  name: string
  username: string
  email: string | null
  created_at: string
  expires_at: string | null
  last_used_at: string | null
}

/**
 * Live personal tokens of enabled users: not revoked, not rotated away, not a canary,
 * not one of the token endpoint's short-lived tokens (they are renewed, not reminded of).
 */
function liveTokens(
  db: Kysely<Database>,
): SelectQueryBuilder<Database, 'api_tokens' | 'users', ReminderCandidate> {
  return db
    .selectFrom('api_tokens')
    .innerJoin('users', 'users.id', 'api_tokens.user_id')
    .select([
      'api_tokens.id',
      'api_tokens.name',
      'users.username',
      'users.email',
      'api_tokens.created_at',
      'api_tokens.expires_at',
      'api_tokens.last_used_at',
    ])
    .where('api_tokens.revoked_at', 'is', null)
    .where('api_tokens.rotated_to', 'is', null)
    .where('api_tokens.kind', 'is', null)
    .where('api_tokens.source', '<>', 'api')
    .where('users.disabled_at', 'is', null)
}

/** Tokens that expire after `now` and no later than `until` (ISO 8601, UTC). */
export function expiringTokens(
  db: Kysely<Database>,
  window: { now: string; until: string },
): Promise<ReminderCandidate[]> {
  return liveTokens(db)
    .where('api_tokens.expires_at', '>', window.now)
    .where('api_tokens.expires_at', '<=', window.until)
    .orderBy('api_tokens.expires_at')
    .execute()
}

/** Tokens last used (never used: made) in [`from`, `to`): the inactivity rule nears them. */
export function idleTokens(
  db: Kysely<Database>,
  window: { now: string; from: string; to: string },
): Promise<ReminderCandidate[]> {
  return liveTokens(db)
    .where((eb) =>
      eb.or([
        eb('api_tokens.expires_at', 'is', null),
        eb('api_tokens.expires_at', '>', window.now),
      ]),
    )
    .where((eb) =>
      eb.and([
        eb(eb.fn.coalesce('api_tokens.last_used_at', 'api_tokens.created_at'), '>=', window.from),
        eb(eb.fn.coalesce('api_tokens.last_used_at', 'api_tokens.created_at'), '<', window.to),
      ]),
    )
    .execute()
}

/**
 * Claims one reminder for sending: the first claim inserts its row (the primary key lets
 * only one node win), a failed one may be claimed again until `maxAttempts`.
 */
export async function claimReminder(
  db: Kysely<Database>,
  reminder: { tokenId: string; threshold: string; at: string; maxAttempts: number },
): Promise<boolean> {
  const inserted = await db
    .insertInto('token_reminders')
    .values({
      token_id: reminder.tokenId,
      threshold: reminder.threshold,
      status: 'sending',
      attempts: 1,
      updated_at: reminder.at,
    })
    .onConflict((oc) => oc.columns(['token_id', 'threshold']).doNothing())
    .executeTakeFirst()
  if (Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0) return true
  const retried = await db
    .updateTable('token_reminders')
    .set((eb) => ({ status: 'sending', attempts: eb('attempts', '+', 1), updated_at: reminder.at }))
    .where('token_id', '=', reminder.tokenId)
    .where('threshold', '=', reminder.threshold)
    .where('status', '=', 'failed')
    .where('attempts', '<', reminder.maxAttempts)
    .executeTakeFirst()
  return Number(retried.numUpdatedRows) > 0
}

export async function settleReminder(
  db: Kysely<Database>,
  reminder: { tokenId: string; threshold: string; at: string; status: ReminderStatus },
): Promise<void> {
  await db
    .updateTable('token_reminders')
    .set({ status: reminder.status, updated_at: reminder.at })
    .where('token_id', '=', reminder.tokenId)
    .where('threshold', '=', reminder.threshold)
    .execute()
}
