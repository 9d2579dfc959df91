import type { Insertable, Selectable } from 'kysely'
import type { ApiProxyRow, Database } from '../../db/schema.ts'
import type { Queryable } from '../../db/types.ts'

export function listProxies(db: Queryable, projectId: string): Promise<ApiProxyRow[]> {
  return db
    .selectFrom('api_proxies')
    .selectAll()
    .where('project_id', '=', projectId)
    .orderBy('name')
    .execute()
}

export function findProxy(
  db: Queryable,
  projectId: string,
  name: string,
): Promise<ApiProxyRow | undefined> {
  return db
    .selectFrom('api_proxies')
    .selectAll()
    .where('project_id', '=', projectId)
    .where('name', '=', name)
    .executeTakeFirst()
}

export async function insertProxy(db: Queryable, row: ApiProxyRow): Promise<void> {
  await db.insertInto('api_proxies').values(row).execute()
}

export async function updateProxy(
  db: Queryable,
  id: string,
  changes: Partial<ApiProxyRow>,
): Promise<void> {
  await db.updateTable('api_proxies').set(changes).where('id', '=', id).execute()
}

export async function deleteProxy(db: Queryable, id: string): Promise<void> {
  await db.deleteFrom('api_proxies').where('id', '=', id).execute()
}

export type DeploymentRow = Selectable<Database['proxy_deployments']> & { environment_name: string }

export function deploymentsOf(db: Queryable, proxyId: string): Promise<DeploymentRow[]> {
  return db
    .selectFrom('proxy_deployments')
    .innerJoin('environments', 'environments.id', 'proxy_deployments.environment_id')
    .selectAll('proxy_deployments')
    .select('environments.name as environment_name')
    .where('proxy_id', '=', proxyId)
    .orderBy('environments.name')
    .execute()
}

/** Insert, or move an existing deployment to the proxy's current revision. */
export async function upsertDeployment(
  db: Queryable,
  row: Insertable<Database['proxy_deployments']>,
): Promise<void> {
  await db
    .insertInto('proxy_deployments')
    .values(row)
    .onConflict((oc) =>
      oc.columns(['proxy_id', 'environment_id']).doUpdateSet({
        revision: row.revision,
        deployed_at: row.deployed_at,
        deployed_by: row.deployed_by,
      }),
    )
    .execute()
}

export async function deleteDeployment(
  db: Queryable,
  proxyId: string,
  environmentId: string,
): Promise<boolean> {
  const result = await db
    .deleteFrom('proxy_deployments')
    .where('proxy_id', '=', proxyId)
    .where('environment_id', '=', environmentId)
    .executeTakeFirst()
  return Number(result.numDeletedRows) > 0
}

export async function recordHistory(
  db: Queryable,
  row: Insertable<Database['deployment_history']>,
): Promise<void> {
  await db.insertInto('deployment_history').values(row).execute()
}

export function historyOf(db: Queryable, projectId: string, proxyName: string) {
  return db
    .selectFrom('deployment_history')
    .selectAll()
    .where('project_id', '=', projectId)
    .where('proxy_name', '=', proxyName)
    .orderBy('at', 'desc')
    .orderBy('id')
    .execute()
}
