import type { ProjectRow } from '../../db/schema.ts'
import type { Queryable } from '../../db/types.ts'

/** Project membership is part of who a user is, so it lives with identity. */
export async function projectNamesOfUser(db: Queryable, userId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('project_members')
    .innerJoin('projects', 'projects.id', 'project_members.project_id')
    .select('projects.name')
    .where('project_members.user_id', '=', userId)
    .orderBy('projects.name')
    .execute()
  return rows.map((r) => r.name)
}

export async function addMember(
  db: Queryable,
  projectId: string,
  userId: string,
  at: string,
): Promise<boolean> {
  const result = await db
    .insertInto('project_members')
    .values({ project_id: projectId, user_id: userId, added_at: at })
    .onConflict((oc) => oc.columns(['project_id', 'user_id']).doNothing())
    .executeTakeFirst()
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0
}

export async function removeMember(
  db: Queryable,
  projectId: string,
  userId: string,
): Promise<boolean> {
  const result = await db
    .deleteFrom('project_members')
    .where('project_id', '=', projectId)
    .where('user_id', '=', userId)
    .executeTakeFirst()
  return Number(result.numDeletedRows) > 0
}

/** The member list's query, unordered (src/http/lists.ts orders and pages it). */
export function membersOf(db: Queryable, projectId: string) {
  return db
    .selectFrom('project_members')
    .innerJoin('users', 'users.id', 'project_members.user_id')
    .select(['users.username', 'project_members.added_at'])
    .where('project_members.project_id', '=', projectId)
}

/** The project by name and whether the user is a member of it, in one query, for the policy. */
export async function projectSeenBy(
  db: Queryable,
  name: string,
  userId: string,
): Promise<{ project: ProjectRow; member: boolean } | undefined> {
  const row = await db
    .selectFrom('projects')
    .leftJoin('project_members', (join) =>
      join
        .onRef('project_members.project_id', '=', 'projects.id')
        .on('project_members.user_id', '=', userId),
    )
    .select([
      'projects.id',
      'projects.name',
      'projects.description',
      'projects.created_at',
      'project_members.user_id as member_id',
    ])
    .where('projects.name', '=', name)
    .executeTakeFirst()
  if (!row) return undefined
  const { member_id, ...project } = row
  return { project, member: member_id !== null }
}
