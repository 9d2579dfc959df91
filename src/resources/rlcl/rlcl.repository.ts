import type { Insertable, Selectable } from 'kysely'
import type { Database } from '../../db/schema.ts'
import type { Queryable } from '../../db/types.ts'

export type RlclRow = Selectable<Database['rlcls']>
export type RlclEndpointRow = Insertable<Database['rlcl_endpoints']>

/** The list's query: one project's RLCLs (the list orders and pages it). */
export function rlclsOfProject(db: Queryable, projectId: string) {
  return db.selectFrom('rlcls').selectAll().where('project_id', '=', projectId)
}

export function findRlcl(db: Queryable, projectId: string, name: string) {
  return db
    .selectFrom('rlcls')
    .selectAll()
    .where('project_id', '=', projectId)
    .where('name', '=', name)
    .executeTakeFirst()
}

export async function insertRlcl(db: Queryable, row: RlclRow): Promise<void> {
  await db.insertInto('rlcls').values(row).execute()
}

export async function updateRlcl(
  db: Queryable,
  id: string,
  changes: Partial<Pick<RlclRow, 'description' | 'settings' | 'condition' | 'updated_at'>>,
): Promise<void> {
  await db.updateTable('rlcls').set(changes).where('id', '=', id).execute()
}

export async function deleteRlcl(db: Queryable, id: string): Promise<void> {
  await db.deleteFrom('rlcls').where('id', '=', id).execute()
}

export async function credentialNamesOf(db: Queryable, rlclId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('rlcl_credentials')
    .innerJoin('credentials', 'credentials.id', 'rlcl_credentials.credential_id')
    .select('credentials.username')
    .where('rlcl_credentials.rlcl_id', '=', rlclId)
    .orderBy('rlcl_credentials.position')
    .execute()
  return rows.map((r) => r.username)
}

/** Each rate limit with the names that locate it (the endpoint's: null for a whole proxy). */
export function endpointLimitsOf(db: Queryable, rlclId: string) {
  return db
    .selectFrom('rlcl_endpoints')
    .innerJoin('api_proxies', 'api_proxies.id', 'rlcl_endpoints.proxy_id')
    .leftJoin('proxy_endpoints', 'proxy_endpoints.id', 'rlcl_endpoints.endpoint_id')
    .select([
      'rlcl_endpoints.proxy_id',
      'rlcl_endpoints.endpoint_key',
      'rlcl_endpoints.limits',
      'api_proxies.name as proxy_name',
      'proxy_endpoints.name as endpoint_name',
      'proxy_endpoints.http_method as endpoint_method',
    ])
    .where('rlcl_endpoints.rlcl_id', '=', rlclId)
    .orderBy('rlcl_endpoints.position')
    .execute()
}

async function nextPosition(
  db: Queryable,
  table: 'rlcl_credentials' | 'rlcl_endpoints',
  rlclId: string,
): Promise<number> {
  const { last } = await db
    .selectFrom(table)
    .select((eb) => eb.fn.max('position').as('last'))
    .where('rlcl_id', '=', rlclId)
    .executeTakeFirstOrThrow()
  return last === null ? 0 : Number(last) + 1
}

/** Adds what the list lacks, after what it has; answers how many were new. */
export async function addCredentials(
  db: Queryable,
  rlclId: string,
  credentialIds: readonly string[],
): Promise<number> {
  if (credentialIds.length === 0) return 0
  const start = await nextPosition(db, 'rlcl_credentials', rlclId)
  const result = await db
    .insertInto('rlcl_credentials')
    .values(
      credentialIds.map((id, i) => ({ rlcl_id: rlclId, credential_id: id, position: start + i })),
    )
    .onConflict((oc) => oc.columns(['rlcl_id', 'credential_id']).doNothing())
    .executeTakeFirst()
  return Number(result.numInsertedOrUpdatedRows ?? 0)
}

export async function removeCredentials(
  db: Queryable,
  rlclId: string,
  credentialIds: readonly string[],
): Promise<number> {
  if (credentialIds.length === 0) return 0
  const result = await db
    .deleteFrom('rlcl_credentials')
    .where('rlcl_id', '=', rlclId)
    .where('credential_id', 'in', [...credentialIds])
    .executeTakeFirst()
  return Number(result.numDeletedRows)
}

export async function clearCredentials(db: Queryable, rlclId: string): Promise<number> {
  const result = await db
    .deleteFrom('rlcl_credentials')
    .where('rlcl_id', '=', rlclId)
    .executeTakeFirst()
  return Number(result.numDeletedRows)
}

export async function addEndpointLimits(
  db: Queryable,
  rlclId: string,
  rows: readonly Omit<RlclEndpointRow, 'rlcl_id' | 'position'>[],
): Promise<number> {
  if (rows.length === 0) return 0
  const start = await nextPosition(db, 'rlcl_endpoints', rlclId)
  const result = await db
    .insertInto('rlcl_endpoints')
    .values(rows.map((row, i) => ({ ...row, rlcl_id: rlclId, position: start + i })))
    .onConflict((oc) => oc.columns(['rlcl_id', 'proxy_id', 'endpoint_key']).doNothing())
    .executeTakeFirst()
  return Number(result.numInsertedOrUpdatedRows ?? 0)
}

export async function removeEndpointLimits(
  db: Queryable,
  rlclId: string,
  keys: readonly { proxy_id: string; endpoint_key: string }[],
): Promise<number> {
  let removed = 0
  for (const key of keys) {
    const result = await db
      .deleteFrom('rlcl_endpoints')
      .where('rlcl_id', '=', rlclId)
      .where('proxy_id', '=', key.proxy_id)
      .where('endpoint_key', '=', key.endpoint_key)
      .executeTakeFirst()
    removed += Number(result.numDeletedRows)
  }
  return removed
}

export async function clearEndpointLimits(db: Queryable, rlclId: string): Promise<number> {
  const result = await db
    .deleteFrom('rlcl_endpoints')
    .where('rlcl_id', '=', rlclId)
    .executeTakeFirst()
  return Number(result.numDeletedRows)
}

export async function countMembers(
  db: Queryable,
  table: 'rlcl_credentials' | 'rlcl_endpoints',
  rlclId: string,
): Promise<number> {
  const { n } = await db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<number | string | bigint>().as('n'))
    .where('rlcl_id', '=', rlclId)
    .executeTakeFirstOrThrow()
  return Number(n)
}
