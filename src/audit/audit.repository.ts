import type { AuditEventRow } from '../db/schema.ts'
import type { Queryable } from '../db/types.ts'

export async function insertEvents(db: Queryable, rows: readonly AuditEventRow[]): Promise<void> {
  if (rows.length === 0) return
  await db
    .insertInto('audit_events')
    .values([...rows])
    .execute()
}

/** Ids of the users with these names, for login attempts (only the name was typed). */
export async function userIdsByName(
  db: Queryable,
  usernames: readonly string[],
): Promise<Map<string, string>> {
  if (usernames.length === 0) return new Map()
  const rows = await db
    .selectFrom('users')
    .select(['id', 'username'])
    .where('username', 'in', [...new Set(usernames)])
    .execute()
  return new Map(rows.map((r) => [r.username, r.id]))
}

export interface EventFilter {
  actorUserId?: string | undefined
  actorUsername?: string | undefined
  /** Failed logins under one unknown username (see AuditEventsTable.username_hash). */
  usernameHash?: string | undefined
  action?: string | undefined
  outcome?: string | undefined
  /** Inclusive, ISO-8601 UTC. */
  from?: string | undefined
  /** Exclusive, ISO-8601 UTC. */
  to?: string | undefined
}

function filtered(db: Queryable, f: EventFilter) {
  let q = db.selectFrom('audit_events')
  if (f.actorUserId !== undefined) q = q.where('actor_user_id', '=', f.actorUserId)
  if (f.actorUsername !== undefined) q = q.where('actor_username', '=', f.actorUsername)
  if (f.usernameHash !== undefined) q = q.where('username_hash', '=', f.usernameHash)
  if (f.action !== undefined) q = q.where('action', '=', f.action)
  if (f.outcome !== undefined) q = q.where('outcome', '=', f.outcome)
  // Fixed-width ISO strings compare as text on both engines, and use the index on `at`.
  if (f.from !== undefined) q = q.where('at', '>=', f.from)
  if (f.to !== undefined) q = q.where('at', '<', f.to)
  return q
}

/** The audit list's query: the filtered events, unordered (src/http/lists.ts orders and pages). */
export function eventsMatching(db: Queryable, filter: EventFilter) {
  return filtered(db, filter).selectAll()
}

/**
 * Deletes events older than the cutoff in slices, so a large purge never holds SQLite's
 * single write lock (or a long PostgreSQL transaction) for long. Returns how many went.
 */
export async function deleteEventsBefore(
  db: Queryable,
  cutoff: string,
  slice = 5000,
): Promise<number> {
  let total = 0
  for (;;) {
    const result = await db
      .deleteFrom('audit_events')
      .where('id', 'in', (eb) =>
        eb.selectFrom('audit_events').select('id').where('at', '<', cutoff).limit(slice),
      )
      .executeTakeFirst()
    const n = Number(result.numDeletedRows)
    total += n
    if (n < slice) return total
  }
}
