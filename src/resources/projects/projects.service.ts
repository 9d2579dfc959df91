import { randomUUID } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { AuditSink } from '../../audit/audit.recorder.ts'
import type { Clock } from '../../clock.ts'
import type { Database, ProjectRow } from '../../db/schema.ts'
import { isUniqueViolation } from '../../db/types.ts'
import { errors } from '../../errors.ts'
import { type ListOrder, type ListQueryInput, pageInSql } from '../../http/lists.ts'
import { authorizeInProject, isAdmin, type Principal } from '../../identity/policy/permissions.ts'
import * as members from '../../identity/users/memberships.repository.ts'
import { findUserByUsername } from '../../identity/users/users.repository.ts'
import * as repo from './projects.repository.ts'

export interface ProjectsDeps {
  db: Kysely<Database>
  clock: Clock
  audit: AuditSink
}

export interface ProjectView {
  name: string
  description: string
  createdAt: string
}

const view = (row: ProjectRow): ProjectView => ({
  name: row.name,
  description: row.description,
  createdAt: row.created_at,
})

const PROJECT_ORDER: ListOrder = {
  sortable: { name: 'projects.name', createdAt: 'projects.created_at' },
  defaultSort: 'name',
}

/** The projects the principal sees: every one for an administrator, else its own. */
export async function listProjects(
  deps: Pick<ProjectsDeps, 'db'>,
  principal: Principal,
  query: ListQueryInput,
) {
  const all = isAdmin(principal)
    ? repo.allProjects(deps.db)
    : repo.projectsOfMember(deps.db, principal.userId)
  // A token limited to some projects lists those only.
  const only = principal.limits?.projectIds
  const base = only ? all.where('projects.id', 'in', [...only]) : all
  return pageInSql(deps.db, base, query, PROJECT_ORDER, view)
}

/** Every project, for administration tools that act outside any one user's view. */
export async function listAllProjects(deps: Pick<ProjectsDeps, 'db'>): Promise<ProjectView[]> {
  return (await repo.listAllProjects(deps.db)).map(view)
}

export async function getProject(
  deps: Pick<ProjectsDeps, 'db'>,
  principal: Principal,
  name: string,
) {
  return view(await authorizeInProject(deps, principal, 'project.read', name))
}

export async function createProject(
  deps: ProjectsDeps,
  input: { name: string; description?: string | undefined },
): Promise<ProjectView> {
  const row: ProjectRow = {
    id: randomUUID(),
    name: input.name,
    description: input.description ?? '',
    created_at: deps.clock.now().toISOString(),
  }
  try {
    await repo.insertProject(deps.db, row)
  } catch (error) {
    if (isUniqueViolation(error)) throw errors.duplicateName(`Project '${input.name}'`)
    throw error
  }
  deps.audit.record('project.created', { project: row.name })
  return view(row)
}

/** Admin-only callers reach this, so a missing project is a plain 404. */
async function requireProject(deps: Pick<ProjectsDeps, 'db'>, name: string): Promise<ProjectRow> {
  const project = await repo.findProjectByName(deps.db, name)
  if (!project) throw errors.notFound(`Project '${name}'`)
  return project
}

export async function deleteProject(deps: ProjectsDeps, name: string): Promise<void> {
  await repo.deleteProjectRow(deps.db, (await requireProject(deps, name)).id)
  deps.audit.record('project.deleted', { project: name })
}

const MEMBER_ORDER: ListOrder = {
  sortable: { username: 'users.username', addedAt: 'project_members.added_at' },
  defaultSort: 'username',
}

export async function listMembers(
  deps: ProjectsDeps,
  principal: Principal,
  name: string,
  query: ListQueryInput,
) {
  const project = await authorizeInProject(deps, principal, 'project.read', name)
  const base = members.membersOf(deps.db, project.id)
  return pageInSql(deps.db, base, query, MEMBER_ORDER, (r) => ({
    username: r.username,
    addedAt: r.added_at,
  }))
}

async function requireMemberUser(deps: Pick<ProjectsDeps, 'db'>, username: string) {
  const user = await findUserByUsername(deps.db, username)
  if (!user) throw errors.notFound(`User '${username}'`)
  return user
}

export async function addMember(deps: ProjectsDeps, name: string, username: string) {
  const project = await requireProject(deps, name)
  const user = await requireMemberUser(deps, username)
  const added = await members.addMember(
    deps.db,
    project.id,
    user.id,
    deps.clock.now().toISOString(),
  )
  if (!added) throw errors.conflict(`User '${username}' is already a member of project '${name}'.`)
  deps.audit.record('project.memberAdded', { project: name, username })
  return { username, project: name }
}

export async function removeMember(
  deps: ProjectsDeps,
  name: string,
  username: string,
): Promise<void> {
  const project = await requireProject(deps, name)
  const user = await requireMemberUser(deps, username)
  if (!(await members.removeMember(deps.db, project.id, user.id))) {
    throw errors.notFound(`Membership of '${username}' in project '${name}'`)
  }
  deps.audit.record('project.memberRemoved', { project: name, username })
}
