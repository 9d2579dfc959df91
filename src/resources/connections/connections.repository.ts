import type { ConnectionRow } from '../../db/schema.ts'
import type { Queryable } from '../../db/types.ts'

/** The connection list's query, unordered (src/http/lists.ts orders and pages it). */
export function connectionsOfProject(db: Queryable, projectId: string, type?: string) {
  let query = db.selectFrom('connections').selectAll().where('project_id', '=', projectId)
  if (type !== undefined) query = query.where('type', '=', type)
  return query
}

export function findConnection(
  db: Queryable,
  projectId: string,
  name: string,
): Promise<ConnectionRow | undefined> {
  return db
    .selectFrom('connections')
    .selectAll()
    .where('project_id', '=', projectId)
    .where('name', '=', name)
    .executeTakeFirst()
}

export async function insertConnection(db: Queryable, row: ConnectionRow): Promise<void> {
  await db.insertInto('connections').values(row).execute()
}

export async function updateConnection(
  db: Queryable,
  id: string,
  changes: Partial<Omit<ConnectionRow, 'id' | 'project_id' | 'created_at'>>,
): Promise<void> {
  await db.updateTable('connections').set(changes).where('id', '=', id).execute()
}

export async function deleteConnection(db: Queryable, id: string): Promise<void> {
  await db.deleteFrom('connections').where('id', '=', id).execute()
}

/** Webhooks with no sealed secret: those stored before their values were sealed, and those with none. */
export function listUnsealedWebhooks(db: Queryable): Promise<ConnectionRow[]> {
  return db
    .selectFrom('connections')
    .selectAll()
    .where('type', '=', 'webhook')
    .where('secret', 'is', null)
    .execute()
}

/** Seals a row only if no one else did first (another node starting at the same time). */
export async function sealUnsealed(
  db: Queryable,
  row: Pick<ConnectionRow, 'id' | 'settings'>,
  changes: Pick<ConnectionRow, 'settings' | 'secret'>,
): Promise<boolean> {
  const result = await db
    .updateTable('connections')
    .set(changes)
    .where('id', '=', row.id)
    .where('secret', 'is', null)
    .where('settings', '=', row.settings)
    .executeTakeFirst()
  return Number(result.numUpdatedRows) > 0
}
