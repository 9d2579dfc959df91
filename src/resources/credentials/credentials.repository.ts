import type { Insertable } from 'kysely'
import type { CredentialRow, Database } from '../../db/schema.ts'
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

export type AccessType = 'API_PROXY' | 'API_PROXY_GROUP'

export interface AccessRow {
  id: string
  name: string
  type: AccessType
}

/** A credential's grants, by the name and kind of what each lets it call. */
export async function accessOf(db: Queryable, credentialId: string): Promise<AccessRow[]> {
  const proxies = db
    .selectFrom('credential_access')
    .innerJoin('api_proxies', 'api_proxies.id', 'credential_access.proxy_id')
    .select(['credential_access.id', 'api_proxies.name'])
    .where('credential_access.credential_id', '=', credentialId)
    .execute()
  const groups = db
    .selectFrom('credential_access')
    .innerJoin('proxy_groups', 'proxy_groups.id', 'credential_access.group_id')
    .select(['credential_access.id', 'proxy_groups.name'])
    .where('credential_access.credential_id', '=', credentialId)
    .execute()
  const [p, g] = await Promise.all([proxies, groups])
  return [
    ...p.map((r) => ({ ...r, type: 'API_PROXY' as const })),
    ...g.map((r) => ({ ...r, type: 'API_PROXY_GROUP' as const })),
  ]
}

export async function insertAccess(
  db: Queryable,
  rows: readonly Insertable<Database['credential_access']>[],
): Promise<void> {
  if (rows.length > 0)
    await db
      .insertInto('credential_access')
      .values([...rows])
      .execute()
}

export async function deleteAccess(db: Queryable, ids: readonly string[]): Promise<void> {
  if (ids.length > 0)
    await db
      .deleteFrom('credential_access')
      .where('id', 'in', [...ids])
      .execute()
}
