import type { Queryable } from '../../db/types.ts'

/** Timestamps are ISO-8601 strings (see db/schema.ts): they compare correctly as text. */
export interface AttemptRow {
  key: string
  failures: number
  locked_until: string | null
  expires_at: string
}

/**
 * Counts one failure under `key`, atomically on both engines (one INSERT ... ON
 * CONFLICT DO UPDATE): a row whose count has expired starts again at 1. The expiry is
 * pushed to at least `expiresAt` (the window after this failure); answers the count.
 */
export async function countFailure(
  db: Queryable,
  key: string,
  now: string,
  expiresAt: string,
): Promise<number> {
  const row = await db
    .insertInto('login_attempts')
    .values({
      key,
      failures: 1,
      first_failure_at: now,
      last_failure_at: now,
      locked_until: null,
      expires_at: expiresAt,
    })
    .onConflict((oc) =>
      oc.column('key').doUpdateSet((eb) => {
        const expired = eb('login_attempts.expires_at', '<=', now)
        return {
          failures: eb
            .case()
            .when(expired)
            .then(1)
            .else(eb('login_attempts.failures', '+', 1))
            .end(),
          first_failure_at: eb
            .case()
            .when(expired)
            .then(now)
            .else(eb.ref('login_attempts.first_failure_at'))
            .end(),
          last_failure_at: now,
          locked_until: eb
            .case()
            .when(expired)
            .then(null)
            .else(eb.ref('login_attempts.locked_until'))
            .end(),
          expires_at: eb
            .case()
            .when('login_attempts.expires_at', '<', expiresAt)
            .then(expiresAt)
            .else(eb.ref('login_attempts.expires_at'))
            .end(),
        }
      }),
    )
    .returning('failures')
    .executeTakeFirstOrThrow()
  return Number(row.failures)
}

/**
 * Extends a lockout (and the expiry after it); never shortens either, so concurrent
 * failures on several nodes end with the longest lock any of them computed.
 */
export async function extendLock(
  db: Queryable,
  key: string,
  lockedUntil: string,
  expiresAt: string,
): Promise<void> {
  await db
    .updateTable('login_attempts')
    .set((eb) => ({
      locked_until: eb
        .case()
        .when(
          eb.or([
            eb('login_attempts.locked_until', 'is', null),
            eb('login_attempts.locked_until', '<', lockedUntil),
          ]),
        )
        .then(lockedUntil)
        .else(eb.ref('login_attempts.locked_until'))
        .end(),
      expires_at: eb
        .case()
        .when('login_attempts.expires_at', '<', expiresAt)
        .then(expiresAt)
        .else(eb.ref('login_attempts.expires_at'))
        .end(),
    }))
    .where('key', '=', key)
    .execute()
}

export async function findAttempts(db: Queryable, keys: readonly string[]): Promise<AttemptRow[]> {
  if (keys.length === 0) return []
  return db
    .selectFrom('login_attempts')
    .select(['key', 'failures', 'locked_until', 'expires_at'])
    .where('key', 'in', [...keys])
    .execute()
}

export async function deleteAttempts(db: Queryable, keys: readonly string[]): Promise<void> {
  if (keys.length === 0) return
  await db
    .deleteFrom('login_attempts')
    .where('key', 'in', [...keys])
    .execute()
}

/** Rows that count for nothing any more; answers how many were deleted. */
export async function deleteExpiredAttempts(db: Queryable, now: string): Promise<number> {
  const result = await db
    .deleteFrom('login_attempts')
    .where('expires_at', '<=', now)
    .executeTakeFirst()
  return Number(result.numDeletedRows)
}
