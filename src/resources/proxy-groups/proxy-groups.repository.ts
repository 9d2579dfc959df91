import type { Insertable } from 'kysely'
import type { ApiProxyRow, Database, ProxyGroupRow } from '../../db/schema.ts'
import type { Queryable } from '../../db/types.ts'

/** A project's groups, unordered: the list pages and sorts it in SQL. */
export function groupsOfProject(db: Queryable, projectId: string) {
  return db
    .selectFrom('proxy_groups')
    .select(['id', 'name', 'description'])
    .where('project_id', '=', projectId)
}

export function findGroup(
  db: Queryable,
  projectId: string,
  name: string,
): Promise<ProxyGroupRow | undefined> {
  return db
    .selectFrom('proxy_groups')
    .selectAll()
    .where('project_id', '=', projectId)
    .where('name', '=', name)
    .executeTakeFirst()
}

export async function insertGroup(db: Queryable, row: ProxyGroupRow): Promise<void> {
  await db.insertInto('proxy_groups').values(row).execute()
}

export async function updateGroup(
  db: Queryable,
  id: string,
  changes: Partial<ProxyGroupRow>,
): Promise<void> {
  await db.updateTable('proxy_groups').set(changes).where('id', '=', id).execute()
}

/** Makes these the group's paths; the primary key refuses a path another group holds. */
export async function replaceGroupRoutes(
  db: Queryable,
  projectId: string,
  groupId: string,
  paths: readonly string[],
): Promise<void> {
  await db.deleteFrom('group_routes').where('group_id', '=', groupId).execute()
  const unique = [...new Set(paths)]
  if (unique.length === 0) return
  await db
    .insertInto('group_routes')
    .values(unique.map((path) => ({ project_id: projectId, path, group_id: groupId })))
    .execute()
}

/** Memberships and group deployments go with it (cascade); the proxies stay. */
export async function deleteGroup(db: Queryable, id: string): Promise<void> {
  await db.deleteFrom('proxy_groups').where('id', '=', id).execute()
}

/** The member proxies, by name. */
export function membersOf(db: Queryable, groupId: string): Promise<ApiProxyRow[]> {
  return db
    .selectFrom('api_proxies')
    .innerJoin('proxy_group_members', 'proxy_group_members.proxy_id', 'api_proxies.id')
    .selectAll('api_proxies')
    .where('proxy_group_members.group_id', '=', groupId)
    .orderBy('api_proxies.name')
    .execute()
}

/** Adds a member; false when it already was one. */
export async function addMember(
  db: Queryable,
  row: Insertable<Database['proxy_group_members']>,
): Promise<boolean> {
  const result = await db
    .insertInto('proxy_group_members')
    .values(row)
    .onConflict((oc) => oc.columns(['group_id', 'proxy_id']).doNothing())
    .executeTakeFirst()
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0
}

/** Removes a member; false when it was not one. */
export async function removeMember(
  db: Queryable,
  groupId: string,
  proxyId: string,
): Promise<boolean> {
  const result = await db
    .deleteFrom('proxy_group_members')
    .where('group_id', '=', groupId)
    .where('proxy_id', '=', proxyId)
    .executeTakeFirst()
  return Number(result.numDeletedRows) > 0
}

export function groupDeploymentsOf(db: Queryable, groupId: string) {
  return db
    .selectFrom('proxy_group_deployments')
    .innerJoin('environments', 'environments.id', 'proxy_group_deployments.environment_id')
    .selectAll('proxy_group_deployments')
    .select('environments.name as environment_name')
    .where('group_id', '=', groupId)
    .orderBy('environments.name')
    .execute()
}

export async function upsertGroupDeployment(
  db: Queryable,
  row: Insertable<Database['proxy_group_deployments']>,
): Promise<void> {
  await db
    .insertInto('proxy_group_deployments')
    .values(row)
    .onConflict((oc) =>
      oc.columns(['group_id', 'environment_id']).doUpdateSet({
        revision: row.revision,
        deployed_at: row.deployed_at,
        deployed_by: row.deployed_by,
        snapshot: row.snapshot ?? null,
      }),
    )
    .execute()
}

export async function deleteGroupDeployment(
  db: Queryable,
  groupId: string,
  environmentId: string,
): Promise<boolean> {
  const result = await db
    .deleteFrom('proxy_group_deployments')
    .where('group_id', '=', groupId)
    .where('environment_id', '=', environmentId)
    .executeTakeFirst()
  return Number(result.numDeletedRows) > 0
}

/** Revisions of the members deployed in each environment: [proxy_id, environment_id, revision]. */
export function memberDeployments(db: Queryable, groupId: string) {
  return db
    .selectFrom('proxy_deployments')
    .innerJoin('proxy_group_members', 'proxy_group_members.proxy_id', 'proxy_deployments.proxy_id')
    .select([
      'proxy_deployments.proxy_id',
      'proxy_deployments.environment_id',
      'proxy_deployments.revision',
      'proxy_deployments.variables_changed_at',
    ])
    .where('proxy_group_members.group_id', '=', groupId)
    .execute()
}

/**
 * The environments a group's page lists: every one its project may use, and any the
 * group is still deployed to after the project lost it; with the group's deployment there.
 */
export function environmentsOfGroup(db: Queryable, projectId: string, groupId: string) {
  return db
    .selectFrom('environments')
    .leftJoin('proxy_group_deployments as gd', (join) =>
      join.onRef('gd.environment_id', '=', 'environments.id').on('gd.group_id', '=', groupId),
    )
    .select([
      'environments.id as environment_id',
      'environments.name as environment_name',
      'gd.revision as deployed_revision',
      'gd.deployed_at',
      'gd.deployed_by',
    ])
    .where((eb) =>
      eb.or([
        eb('gd.group_id', 'is not', null),
        eb.exists(
          eb
            .selectFrom('environment_projects')
            .select('environment_projects.project_id')
            .whereRef('environment_projects.environment_id', '=', 'environments.id')
            .where('environment_projects.project_id', '=', projectId),
        ),
      ]),
    )
}

export type GroupEnvironmentRow = Awaited<
  ReturnType<ReturnType<typeof environmentsOfGroup>['execute']>
>[number]
