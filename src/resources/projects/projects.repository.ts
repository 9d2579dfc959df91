import type { ProjectRow } from '../../db/schema.ts'
import type { Queryable } from '../../db/types.ts'

export function findProjectByName(db: Queryable, name: string): Promise<ProjectRow | undefined> {
  return db.selectFrom('projects').selectAll().where('name', '=', name).executeTakeFirst()
}

export function listAllProjects(db: Queryable): Promise<ProjectRow[]> {
  return db.selectFrom('projects').selectAll().orderBy('name').execute()
}

/** The project list's queries, unordered (src/http/lists.ts orders and pages them). */
export function allProjects(db: Queryable) {
  return db.selectFrom('projects').selectAll('projects')
}

export function projectsOfMember(db: Queryable, userId: string) {
  return db
    .selectFrom('projects')
    .innerJoin('project_members', 'project_members.project_id', 'projects.id')
    .selectAll('projects')
    .where('project_members.user_id', '=', userId)
}

export async function insertProject(db: Queryable, row: ProjectRow): Promise<void> {
  await db.insertInto('projects').values(row).execute()
}

export async function deleteProjectRow(db: Queryable, id: string): Promise<void> {
  await db.deleteFrom('projects').where('id', '=', id).execute()
}
