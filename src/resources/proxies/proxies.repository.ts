import type { Insertable, Selectable } from 'kysely'
import type { ApiProxyRow, Database } from '../../db/schema.ts'
import type { Queryable } from '../../db/types.ts'

/** The proxy list's query: one project's proxies, the columns the summary shows. */
export function proxiesOfProject(db: Queryable, projectId: string) {
  return db
    .selectFrom('api_proxies')
    .select(['name', 'description', 'creation_type', 'relative_path'])
    .where('project_id', '=', projectId)
}

/** The stored settings documents of some of a project's proxies, by proxy name. */
export async function settingsOfNamed(
  db: Queryable,
  projectId: string,
  names: readonly string[],
): Promise<Map<string, string>> {
  if (names.length === 0) return new Map()
  const rows = await db
    .selectFrom('proxy_settings')
    .innerJoin('api_proxies', 'api_proxies.id', 'proxy_settings.proxy_id')
    .select(['api_proxies.name', 'proxy_settings.settings'])
    .where('api_proxies.project_id', '=', projectId)
    .where('api_proxies.name', 'in', [...names])
    .execute()
  return new Map(rows.map((r) => [r.name, r.settings]))
}

/**
 * Serializes the route claims of one project until the transaction ends: proxy and
 * group paths live in two tables, so no one primary key can settle a proxy and a group
 * racing for the same path. A no-op update of the project row is the lock, the same
 * statement on both engines (PostgreSQL holds the row lock; SQLite runs one write
 * transaction at a time anyway). It changes no key column, so inserts that refer to
 * the project are not blocked by it.
 */
export async function lockProjectRoutes(db: Queryable, projectId: string): Promise<void> {
  await db
    .updateTable('projects')
    .set((eb) => ({ description: eb.ref('description') }))
    .where('id', '=', projectId)
    .execute()
}

/** Who holds a relative path: an API proxy or an API proxy group, by name. */
export interface RouteHolder {
  path: string
  name: string
  kind: 'API proxy' | 'API proxy group'
}

/**
 * The first holder by name of one of these paths, and the first of the paths it holds,
 * among the rows a route query found.
 */
function firstHolder(
  paths: readonly string[],
  rows: { path: string; name: string }[],
  kind: RouteHolder['kind'],
): RouteHolder | undefined {
  const holder = rows.map((r) => r.name).sort()[0]
  const path = paths.find((p) => rows.some((r) => r.name === holder && r.path === p))
  return holder === undefined || path === undefined ? undefined : { path, name: holder, kind }
}

/** The proxy (other than the one named `exceptName`) using one of these paths, if any. */
export async function proxyRouteHolder(
  db: Queryable,
  projectId: string,
  paths: readonly string[],
  exceptName?: string,
): Promise<RouteHolder | undefined> {
  if (paths.length === 0) return undefined
  let q = db
    .selectFrom('proxy_routes')
    .innerJoin('api_proxies', 'api_proxies.id', 'proxy_routes.proxy_id')
    .select(['proxy_routes.path', 'api_proxies.name'])
    .where('proxy_routes.project_id', '=', projectId)
    .where('proxy_routes.path', 'in', [...paths])
  if (exceptName !== undefined) q = q.where('api_proxies.name', '<>', exceptName)
  return firstHolder(paths, await q.execute(), 'API proxy')
}

/** The group (other than the one named `exceptName`) using one of these paths, if any. */
export async function groupRouteHolder(
  db: Queryable,
  projectId: string,
  paths: readonly string[],
  exceptName?: string,
): Promise<RouteHolder | undefined> {
  if (paths.length === 0) return undefined
  let q = db
    .selectFrom('group_routes')
    .innerJoin('proxy_groups', 'proxy_groups.id', 'group_routes.group_id')
    .select(['group_routes.path', 'proxy_groups.name'])
    .where('group_routes.project_id', '=', projectId)
    .where('group_routes.path', 'in', [...paths])
  if (exceptName !== undefined) q = q.where('proxy_groups.name', '<>', exceptName)
  return firstHolder(paths, await q.execute(), 'API proxy group')
}

/**
 * Who else holds one of a proxy's paths: another proxy of the project, or any of its
 * groups (a request must find one route, whichever kind holds it).
 */
export async function routeHolder(
  db: Queryable,
  projectId: string,
  paths: readonly string[],
  exceptName: string,
): Promise<RouteHolder | undefined> {
  return (
    (await proxyRouteHolder(db, projectId, paths, exceptName)) ??
    (await groupRouteHolder(db, projectId, paths))
  )
}

/** Makes these the proxy's paths; the primary key refuses a path another proxy holds. */
export async function replaceRoutes(
  db: Queryable,
  projectId: string,
  proxyId: string,
  paths: readonly string[],
): Promise<void> {
  await db.deleteFrom('proxy_routes').where('proxy_id', '=', proxyId).execute()
  const unique = [...new Set(paths)]
  if (unique.length === 0) return
  await db
    .insertInto('proxy_routes')
    .values(unique.map((path) => ({ project_id: projectId, path, proxy_id: proxyId })))
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
        variables_changed_at: null,
        snapshot: row.snapshot ?? null,
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

/** The deployment history list's query: one proxy's entries, unordered (the list orders). */
export function historyOf(db: Queryable, projectId: string, proxyName: string) {
  return db
    .selectFrom('deployment_history')
    .selectAll()
    .where('project_id', '=', projectId)
    .where('proxy_name', '=', proxyName)
}
