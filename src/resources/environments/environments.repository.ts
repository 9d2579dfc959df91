import type { EnvironmentRow } from '../../db/schema.ts'
import type { Queryable } from '../../db/types.ts'

export function findEnvironmentByName(
  db: Queryable,
  name: string,
): Promise<EnvironmentRow | undefined> {
  return db.selectFrom('environments').selectAll().where('name', '=', name).executeTakeFirst()
}

export function listEnvironmentsOfProject(
  db: Queryable,
  projectId: string,
): Promise<EnvironmentRow[]> {
  return db
    .selectFrom('environments')
    .innerJoin('environment_projects', 'environment_projects.environment_id', 'environments.id')
    .selectAll('environments')
    .where('environment_projects.project_id', '=', projectId)
    .orderBy('environments.name')
    .execute()
}

/** The environment lists' queries, unordered (src/http/lists.ts orders and pages them). */
export function allEnvironments(db: Queryable) {
  return db.selectFrom('environments').selectAll('environments')
}

export function environmentsOfProject(db: Queryable, projectId: string) {
  return db
    .selectFrom('environments')
    .innerJoin('environment_projects', 'environment_projects.environment_id', 'environments.id')
    .selectAll('environments')
    .where('environment_projects.project_id', '=', projectId)
}

/** Project names per environment id, for the administrators' view of these environments. */
export async function projectNamesByEnvironment(
  db: Queryable,
  environmentIds: readonly string[],
): Promise<Map<string, string[]>> {
  if (environmentIds.length === 0) return new Map()
  const rows = await db
    .selectFrom('environment_projects')
    .innerJoin('projects', 'projects.id', 'environment_projects.project_id')
    .select(['environment_projects.environment_id', 'projects.name'])
    .where('environment_projects.environment_id', 'in', [...environmentIds])
    .orderBy('projects.name')
    .execute()
  const map = new Map<string, string[]>()
  for (const row of rows)
    map.set(row.environment_id, [...(map.get(row.environment_id) ?? []), row.name])
  return map
}

export async function insertEnvironment(db: Queryable, row: EnvironmentRow): Promise<void> {
  await db.insertInto('environments').values(row).execute()
}

export async function updateEnvironment(
  db: Queryable,
  id: string,
  changes: Partial<EnvironmentRow>,
): Promise<void> {
  await db.updateTable('environments').set(changes).where('id', '=', id).execute()
}

export async function deleteEnvironment(db: Queryable, id: string): Promise<void> {
  await db.deleteFrom('environments').where('id', '=', id).execute()
}

export async function setEnvironmentProjects(
  db: Queryable,
  environmentId: string,
  projectIds: string[],
): Promise<void> {
  await db.deleteFrom('environment_projects').where('environment_id', '=', environmentId).execute()
  if (projectIds.length === 0) return
  await db
    .insertInto('environment_projects')
    .values(projectIds.map((project_id) => ({ environment_id: environmentId, project_id })))
    .execute()
}

export async function projectMayUse(
  db: Queryable,
  environmentId: string,
  projectId: string,
): Promise<boolean> {
  const row = await db
    .selectFrom('environment_projects')
    .select('project_id')
    .where('environment_id', '=', environmentId)
    .where('project_id', '=', projectId)
    .executeTakeFirst()
  return row !== undefined
}
