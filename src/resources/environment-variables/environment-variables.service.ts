import { randomUUID } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { AuditSink } from '../../audit/audit.recorder.ts'
import type { Clock } from '../../clock.ts'
import type {
  Database,
  EnvironmentRow,
  EnvironmentVariableRow,
  ProjectRow,
} from '../../db/schema.ts'
import { isUniqueViolation, type Queryable } from '../../db/types.ts'
import { errors } from '../../errors.ts'
import { type ListOrder, type ListQueryInput, pageInSql } from '../../http/lists.ts'
import { authorizeInProject, type Principal } from '../../identity/policy/permissions.ts'
import { listEnvironmentsOfProject } from '../environments/environments.repository.ts'
import * as repo from './environment-variables.repository.ts'
import type { VariableScope } from './environment-variables.resolve.ts'
import type { VariableInput } from './environment-variables.schemas.ts'
import { markStaleDeployments, variableState } from './environment-variables.staleness.ts'
import {
  clearValue,
  globalContext,
  type Stored,
  storedValues,
  valueContext,
} from './environment-variables.values.ts'

export interface EnvironmentVariablesDeps {
  db: Kysely<Database>
  clock: Clock
  /** AES-256-GCM key for secret values (see sealed.ts). */
  atRestKey: Buffer
  /** atRestKey, then the keys of former master secrets: for opening, never sealing. */
  atRestKeys: readonly Buffer[]
  audit: AuditSink
}

export interface EnvironmentVariableView {
  projectId: string
  name: string
  description: string
  global: boolean
  globalValue: string | null
  globalVisible: boolean
  projectName: string
  environmentValueList: { environmentName: string; value: string | null; visible: boolean }[] | null
}

export interface DeploymentResult {
  success: boolean
  message: string
  environmentResults: { environmentName: string; success: boolean; message: string }[]
}

/** Secrets read as null, always: no read of this resource ever answers one. */
function view(project: ProjectRow, row: EnvironmentVariableRow, values: repo.NamedValueRow[]) {
  const global = row.global === 1
  return {
    projectId: project.id,
    name: row.name,
    description: row.description,
    global,
    globalValue: global && row.global_visible === 1 ? row.global_value : null,
    globalVisible: row.global_visible === 1,
    projectName: project.name,
    environmentValueList: global
      ? null
      : values.map((v) => ({
          environmentName: v.environment_name,
          value: v.visible === 1 ? v.value : null,
          visible: v.visible === 1,
        })),
  } satisfies EnvironmentVariableView
}

async function requireVariable(db: Queryable, project: ProjectRow, name: string): Promise<Stored> {
  const row = await repo.findVariable(db, project.id, name)
  if (!row) throw errors.notFound(`Environment variable '${name}' in project '${project.name}'`)
  return { row, values: await repo.valuesOf(db, row.id) }
}

/**
 * What the write means in each environment the project may use. There is no gateway
 * yet to push to: a variable is in effect for resolution as soon as it is stored.
 */
function deployment(
  usable: readonly EnvironmentRow[],
  name: string,
  inEffect: (environment: EnvironmentRow) => boolean,
  removed = false,
): DeploymentResult {
  const environmentResults = usable.map((environment) => ({
    environmentName: environment.name,
    success: true,
    message: removed
      ? 'Undeployed'
      : inEffect(environment)
        ? 'Deployed'
        : `Deployed without a value here: references to \${${name}} in this environment do not resolve`,
  }))
  const count = `${usable.length} environment${usable.length === 1 ? '' : 's'}`
  return {
    success: true,
    message: removed ? `Undeployed from ${count}` : `Deployed to ${count}`,
    environmentResults,
  }
}

export async function listVariablesOf(
  deps: Pick<EnvironmentVariablesDeps, 'db'>,
  project: ProjectRow,
): Promise<EnvironmentVariableView[]> {
  const [rows, values] = await Promise.all([
    repo.listVariables(deps.db, project.id),
    repo.valuesOfProject(deps.db, project.id),
  ])
  const byVariable = new Map<string, repo.NamedValueRow[]>()
  for (const v of values)
    byVariable.set(v.variable_id, [...(byVariable.get(v.variable_id) ?? []), v])
  return rows.map((row) => view(project, row, byVariable.get(row.id) ?? []))
}

// Names are unique in a project, so name alone makes the order total.
const VARIABLE_ORDER: ListOrder = { sortable: { name: 'name' }, defaultSort: 'name' }

/** One page of a project's variables, with the values of those on it. */
export async function listVariables(
  deps: Pick<EnvironmentVariablesDeps, 'db'>,
  principal: Principal,
  projectName: string,
  query: ListQueryInput,
) {
  const project = await authorizeInProject(deps, principal, 'variable.read', projectName)
  const base = repo.variablesOfProject(deps.db, project.id)
  const page = await pageInSql(deps.db, base, query, VARIABLE_ORDER, (row) => row)
  const values = await repo.valuesOfVariables(
    deps.db,
    page.resultList.map((row) => row.id),
  )
  const byVariable = new Map<string, repo.NamedValueRow[]>()
  for (const v of values)
    byVariable.set(v.variable_id, [...(byVariable.get(v.variable_id) ?? []), v])
  return {
    ...page,
    resultList: page.resultList.map((row) => view(project, row, byVariable.get(row.id) ?? [])),
  }
}

export async function getVariable(
  deps: Pick<EnvironmentVariablesDeps, 'db'>,
  principal: Principal,
  projectName: string,
  name: string,
): Promise<EnvironmentVariableView> {
  const project = await authorizeInProject(deps, principal, 'variable.read', projectName)
  const stored = await requireVariable(deps.db, project, name)
  return view(project, stored.row, stored.values)
}

function nameMismatch(pathName: string, bodyName: string) {
  return errors.validationFailed([
    {
      field: 'name',
      message: `is '${bodyName}' but the path names '${pathName}': on create they must be the same (a PUT to the current name renames)`,
    },
  ])
}

/**
 * Inserts or replaces the variable's rows, and marks the deployments the change makes
 * stale (environment-variables.staleness.ts), in one transaction; a name taken in the
 * project is a 409.
 */
async function save(
  deps: EnvironmentVariablesDeps,
  project: ProjectRow,
  row: EnvironmentVariableRow,
  values: Stored['values'] | ReturnType<typeof storedValues>['values'],
  before: Stored | undefined,
): Promise<void> {
  try {
    await deps.db.transaction().execute(async (trx) => {
      if (!before) await repo.insertVariable(trx, row)
      else {
        const { id, project_id: _project, created_at: _created, ...changes } = row
        await repo.updateVariable(trx, id, changes)
      }
      await repo.setValues(trx, row.id, values)
      const was = before && variableState(deps.atRestKeys, before.row, before.values)
      const now = variableState(deps.atRestKeys, row, values)
      await markStaleDeployments(trx, project.id, was, now, row.updated_at)
    })
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw errors.duplicateName(`Environment variable '${row.name}' in project '${project.name}'`)
    }
    throw error
  }
}

/** Creates a variable in a project already authorized (the routes') or trusted (the CLI's). */
export async function createVariableIn(
  deps: EnvironmentVariablesDeps,
  project: ProjectRow,
  pathName: string,
  input: VariableInput,
): Promise<DeploymentResult> {
  if (input.name !== pathName) throw nameMismatch(pathName, input.name)
  const usable = await listEnvironmentsOfProject(deps.db, project.id)
  const id = randomUUID()
  const { values, ...columns } = storedValues(deps.atRestKey, project, id, input, undefined, usable)
  const now = deps.clock.now().toISOString()
  const row = {
    id,
    project_id: project.id,
    name: input.name,
    description: input.description ?? '',
    ...columns,
    created_at: now,
    updated_at: now,
  }
  await save(deps, project, row, values, undefined)
  deps.audit.record('variable.created', { project: project.name, variable: row.name })
  const withValue = new Set(values.map((v) => v.environment_id))
  return deployment(usable, row.name, (e) => row.global === 1 || withValue.has(e.id))
}

/** Replaces a variable (renaming it when the body's name differs from the path's). */
export async function updateVariableIn(
  deps: EnvironmentVariablesDeps,
  project: ProjectRow,
  pathName: string,
  input: VariableInput,
): Promise<DeploymentResult> {
  const stored = await requireVariable(deps.db, project, pathName)
  const usable = await listEnvironmentsOfProject(deps.db, project.id)
  const { values, ...columns } = storedValues(
    deps.atRestKey,
    project,
    stored.row.id,
    input,
    stored,
    usable,
  )
  const row = {
    ...stored.row,
    name: input.name,
    description: input.description ?? '',
    ...columns,
    updated_at: deps.clock.now().toISOString(),
  }
  await save(deps, project, row, values, stored)
  const renamed = row.name === pathName ? {} : { previousName: pathName }
  deps.audit.record('variable.updated', { project: project.name, variable: row.name, ...renamed })
  const withValue = new Set(values.map((v) => v.environment_id))
  return deployment(usable, row.name, (e) => row.global === 1 || withValue.has(e.id))
}

export async function deleteVariableIn(
  deps: Pick<EnvironmentVariablesDeps, 'db' | 'audit' | 'atRestKeys' | 'clock'>,
  project: ProjectRow,
  name: string,
): Promise<DeploymentResult> {
  const stored = await requireVariable(deps.db, project, name)
  const usable = await listEnvironmentsOfProject(deps.db, project.id)
  const was = variableState(deps.atRestKeys, stored.row, stored.values)
  const at = deps.clock.now().toISOString()
  await deps.db.transaction().execute(async (trx) => {
    await repo.deleteVariable(trx, stored.row.id)
    await markStaleDeployments(trx, project.id, was, undefined, at)
  })
  deps.audit.record('variable.deleted', { project: project.name, variable: name })
  return deployment(usable, name, () => false, true)
}

type Write = 'create' | 'update' | 'delete'

/** The routes' entry: authorizes the write in the project, then does it. */
export async function writeVariable(
  deps: EnvironmentVariablesDeps,
  principal: Principal,
  write: Write,
  params: { projectName: string; name: string },
  input?: VariableInput,
): Promise<DeploymentResult> {
  const project = await authorizeInProject(deps, principal, 'variable.write', params.projectName)
  if (write === 'delete') return deleteVariableIn(deps, project, params.name)
  const body = input as VariableInput
  return write === 'create'
    ? createVariableIn(deps, project, params.name, body)
    : updateVariableIn(deps, project, params.name, body)
}

/**
 * Every variable of a project as one environment sees them, values in clear: what
 * resolveVariables needs. For the gateway and deployment checks; never for an answer.
 */
export async function variableScope(
  deps: Pick<EnvironmentVariablesDeps, 'db' | 'atRestKeys'>,
  projectId: string,
  environment: Pick<EnvironmentRow, 'id' | 'name'>,
): Promise<VariableScope> {
  const [rows, values] = await Promise.all([
    repo.listVariables(deps.db, projectId),
    repo.valuesInEnvironment(deps.db, projectId, environment.id),
  ])
  const resolved = new Map<string, string>()
  for (const row of rows) {
    if (row.global !== 1) continue
    const stored = { value: row.global_value, secret: row.global_secret }
    resolved.set(row.name, clearValue(deps.atRestKeys, stored, globalContext(row.id)))
  }
  for (const value of values) {
    const context = valueContext(value.variable_id, value.environment_id)
    resolved.set(value.name, clearValue(deps.atRestKeys, value, context))
  }
  return {
    environment: environment.name,
    values: resolved,
    defined: new Set(rows.map((r) => r.name)),
  }
}
