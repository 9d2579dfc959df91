import type { CredentialRow } from '../../db/schema.ts'
import type { Queryable } from '../../db/types.ts'

/** The credential list's query, unordered (src/http/lists.ts orders and pages it). */
export function credentialsOfProject(db: Queryable, projectId: string) {
  return db.selectFrom('credentials').selectAll().where('project_id', '=', projectId)
}

export function findCredential(
  db: Queryable,
  projectId: string,
  username: string,
): Promise<CredentialRow | undefined> {
  return db
    .selectFrom('credentials')
    .selectAll()
    .where('project_id', '=', projectId)
    .where('username', '=', username)
    .executeTakeFirst()
}

export async function insertCredential(db: Queryable, row: CredentialRow): Promise<void> {
  await db.insertInto('credentials').values(row).execute()
}

export async function updateCredential(
  db: Queryable,
  id: string,
  changes: Partial<Omit<CredentialRow, 'id' | 'project_id' | 'username' | 'created_at'>>,
): Promise<void> {
  await db.updateTable('credentials').set(changes).where('id', '=', id).execute()
}

export async function deleteCredential(db: Queryable, id: string): Promise<void> {
  await db.deleteFrom('credentials').where('id', '=', id).execute()
}
