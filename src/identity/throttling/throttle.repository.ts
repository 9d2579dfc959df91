import type { Queryable } from '../../db/types.ts'

/** Timestamps are ISO-8601 strings (see db/schema.ts): they compare correctly as text. */
export interface AttemptRow {
  key: string
  failures: number
  first_failure_at: string
  locked_until: string | null
  expires_at: string
}

/** What a failure writes: the whole row but its key. */
export interface AttemptValues {
  failures: number
  first_failure_at: string
  last_failure_at: string
  locked_until: string | null
  expires_at: string
}

const COLUMNS = ['key', 'failures', 'first_failure_at', 'locked_until', 'expires_at'] as const

export async function findAttempt(db: Queryable, key: string): Promise<AttemptRow | undefined> {
  return db.selectFrom('login_attempts').select(COLUMNS).where('key', '=', key).executeTakeFirst()
}

export async function findAttempts(db: Queryable, keys: readonly string[]): Promise<AttemptRow[]> {
  if (keys.length === 0) return []
  return db
    .selectFrom('login_attempts')
    .select(COLUMNS)
    .where('key', 'in', [...keys])
    .execute()
}

/** Inserts the key's first row; false when another node inserted one first. */
export async function insertAttempt(
  db: Queryable,
  key: string,
  values: AttemptValues,
): Promise<boolean> {
  const row = await db
    .insertInto('login_attempts')
    .values({ key, ...values })
    .onConflict((oc) => oc.column('key').doNothing())
    .returning('key')
    .executeTakeFirst()
  return row !== undefined
}

/**
 * Replaces `previous` with `values` only if the row is still exactly `previous`
 * (compare and swap); false when another node changed or removed it meanwhile.
 */
export async function replaceAttempt(
  db: Queryable,
  previous: AttemptRow,
  values: AttemptValues,
): Promise<boolean> {
  const result = await db
    .updateTable('login_attempts')
    .set(values)
    .where('key', '=', previous.key)
    .where('failures', '=', previous.failures)
    .where('expires_at', '=', previous.expires_at)
    .where((eb) =>
      previous.locked_until === null
        ? eb('locked_until', 'is', null)
        : eb('locked_until', '=', previous.locked_until),
    )
    .executeTakeFirst()
  return Number(result.numUpdatedRows) === 1
}

/** Deletes the key's row unless it is locked at `now`; false when it was locked (or gone). */
export async function deleteUnlessLocked(
  db: Queryable,
  key: string,
  now: string,
): Promise<boolean> {
  const result = await db
    .deleteFrom('login_attempts')
    .where('key', '=', key)
    .where((eb) =>
      eb.or([
        eb('locked_until', 'is', null),
        eb('locked_until', '<=', now),
        eb('expires_at', '<=', now),
      ]),
    )
    .executeTakeFirst()
  return Number(result.numDeletedRows) === 1
}

/** Rows that count for nothing any more; answers how many were deleted. */
export async function deleteExpiredAttempts(db: Queryable, now: string): Promise<number> {
  const result = await db
    .deleteFrom('login_attempts')
    .where('expires_at', '<=', now)
    .executeTakeFirst()
  return Number(result.numDeletedRows)
}
