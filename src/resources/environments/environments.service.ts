import { randomUUID } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { Clock } from '../../clock.ts'
import type { Database, EnvironmentRow } from '../../db/schema.ts'
import { isUniqueViolation } from '../../db/types.ts'
import { errors } from '../../errors.ts'
import { type ListOrder, type ListQueryInput, pageInSql } from '../../http/lists.ts'
import { authorizeInProject, type Principal } from '../../identity/policy/permissions.ts'
import { findProjectByName } from '../projects/projects.repository.ts'
import * as repo from './environments.repository.ts'
import type { EnvironmentType } from './environments.schemas.ts'

export interface EnvironmentsDeps {
  db: Kysely<Database>
  clock: Clock
}

export interface EnvironmentView {
  name: string
  description: string
  type: EnvironmentType
  accessUrl: string
  projects?: string[]
  createdAt: string
  updatedAt: string
}

function view(row: EnvironmentRow, projects?: string[]): EnvironmentView {
  return {
    name: row.name,
    description: row.description,
    type: row.type as EnvironmentType,
    accessUrl: row.access_url,
    ...(projects ? { projects } : {}),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}

const ENVIRONMENT_ORDER: ListOrder = {
  sortable: {
    name: 'environments.name',
    type: 'environments.type',
    createdAt: 'environments.created_at',
  },
  defaultSort: 'name',
}

/** Every environment, with the projects that may use each: for administrators. */
export async function listAllEnvironments(
  deps: Pick<EnvironmentsDeps, 'db'>,
  query: ListQueryInput,
) {
  const page = await pageInSql(
    deps.db,
    repo.allEnvironments(deps.db),
    query,
    ENVIRONMENT_ORDER,
    (row) => row,
  )
  const projects = await repo.projectNamesByEnvironment(
    deps.db,
    page.resultList.map((row) => row.id),
  )
  return {
    ...page,
    resultList: page.resultList.map((row) => view(row, projects.get(row.id) ?? [])),
  }
}

/** Environments a project may deploy to; the caller must be able to see the project. */
export async function listProjectEnvironments(
  deps: Pick<EnvironmentsDeps, 'db'>,
  principal: Principal,
  projectName: string,
  query: ListQueryInput,
) {
  const project = await authorizeInProject(deps, principal, 'project.read', projectName)
  const base = repo.environmentsOfProject(deps.db, project.id)
  return pageInSql(deps.db, base, query, ENVIRONMENT_ORDER, (row) => view(row))
}

async function projectIds(
  deps: Pick<EnvironmentsDeps, 'db'>,
  names: readonly string[],
): Promise<string[]> {
  const ids: string[] = []
  for (const name of names) {
    const project = await findProjectByName(deps.db, name)
    if (!project) {
      throw errors.validationFailed([
        { field: 'projects', message: `project '${name}' does not exist` },
      ])
    }
    ids.push(project.id)
  }
  return ids
}

export async function requireEnvironment(
  deps: Pick<EnvironmentsDeps, 'db'>,
  name: string,
): Promise<EnvironmentRow> {
  const row = await repo.findEnvironmentByName(deps.db, name)
  if (!row) throw errors.notFound(`Environment '${name}'`)
  return row
}

async function viewOf(deps: Pick<EnvironmentsDeps, 'db'>, name: string): Promise<EnvironmentView> {
  const row = await requireEnvironment(deps, name)
  const projects = await repo.projectNamesByEnvironment(deps.db, [row.id])
  return view(row, projects.get(row.id) ?? [])
}

export async function createEnvironment(
  deps: EnvironmentsDeps,
  input: {
    name: string
    description?: string
    type: EnvironmentType
    accessUrl: string
    projects?: string[]
  },
): Promise<EnvironmentView> {
  const ids = await projectIds(deps, input.projects ?? [])
  const now = deps.clock.now().toISOString()
  const row: EnvironmentRow = {
    id: randomUUID(),
    name: input.name,
    description: input.description ?? '',
    type: input.type,
    access_url: input.accessUrl,
    created_at: now,
    updated_at: now,
  }
  try {
    await deps.db.transaction().execute(async (trx) => {
      await repo.insertEnvironment(trx, row)
      await repo.setEnvironmentProjects(trx, row.id, ids)
    })
  } catch (error) {
    if (isUniqueViolation(error)) throw errors.duplicateName(`Environment '${input.name}'`)
    throw error
  }
  return viewOf(deps, input.name)
}

export async function updateEnvironment(
  deps: EnvironmentsDeps,
  name: string,
  input: { description?: string; type?: EnvironmentType; accessUrl?: string; projects?: string[] },
): Promise<EnvironmentView> {
  const row = await requireEnvironment(deps, name)
  const ids = input.projects ? await projectIds(deps, input.projects) : undefined
  await deps.db.transaction().execute(async (trx) => {
    await repo.updateEnvironment(trx, row.id, {
      ...(input.description !== undefined ? { description: input.description } : {}),
      ...(input.type ? { type: input.type } : {}),
      ...(input.accessUrl ? { access_url: input.accessUrl } : {}),
      updated_at: deps.clock.now().toISOString(),
    })
    if (ids) await repo.setEnvironmentProjects(trx, row.id, ids)
  })
  return viewOf(deps, name)
}

/** Deleting an environment undeploys every proxy from it (the rows cascade). */
export async function deleteEnvironment(deps: EnvironmentsDeps, name: string): Promise<void> {
  await repo.deleteEnvironment(deps.db, (await requireEnvironment(deps, name)).id)
}
