import type { SessionRow } from '../../db/schema.ts'
import type { Queryable } from '../../db/types.ts'

export async function insertSession(db: Queryable, row: SessionRow): Promise<void> {
  await db.insertInto('sessions').values(row).execute()
}

export function findSession(db: Queryable, id: string): Promise<SessionRow | undefined> {
  return db.selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirst()
}

export async function touchSession(db: Queryable, id: string, at: string): Promise<void> {
  await db.updateTable('sessions').set({ last_seen_at: at }).where('id', '=', id).execute()
}

export async function deleteSession(db: Queryable, id: string): Promise<void> {
  await db.deleteFrom('sessions').where('id', '=', id).execute()
}

/** Ends every session of a user but `exceptId` (the one making the change); answers how many. */
export async function deleteSessionsOfUser(
  db: Queryable,
  userId: string,
  exceptId?: string,
): Promise<number> {
  let query = db.deleteFrom('sessions').where('user_id', '=', userId)
  if (exceptId !== undefined) query = query.where('id', '<>', exceptId)
  const result = await query.executeTakeFirst()
  return Number(result.numDeletedRows)
}

export async function deleteSessionsBefore(db: Queryable, cutoff: string): Promise<number> {
  const result = await db.deleteFrom('sessions').where('expires_at', '<', cutoff).executeTakeFirst()
  return Number(result.numDeletedRows)
}
