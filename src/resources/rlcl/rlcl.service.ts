import { randomUUID } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { AuditSink } from '../../audit/audit.recorder.ts'
import type { Clock } from '../../clock.ts'
import type { Database, ProjectRow } from '../../db/schema.ts'
import { isUniqueViolation, type Queryable } from '../../db/types.ts'
import { errors } from '../../errors.ts'
import { type ListOrder, type ListQueryInput, pageInSql } from '../../http/lists.ts'
import { authorizeInProject, type Principal } from '../../identity/policy/permissions.ts'
import { conditionIssues } from '../proxies/policies/policies.condition.ts'
import * as repo from './rlcl.repository.ts'

/*
 * Rate limit control lists: named rate limits in a project, for the credentials on the
 * list, per API proxy or endpoint, under an optional condition. Stored now with their
 * documented fields; the gateway enforces them when it serves traffic.
 */

export interface RlclDeps {
  db: Kysely<Database>
  clock: Clock
  audit: AuditSink
}

export interface RlclInput {
  name: string
  description?: string | null | undefined
  enabled?: boolean | undefined
  executionOrder?: string | undefined
  cacheConnectionTimeoutInSeconds?: number | undefined
  cacheErrorHandlingType?: string | undefined
  timeIntervalWindowType?: string | undefined
  showRateLimitStatisticsInResponseHeader?: boolean | undefined
  targetVariable?: unknown
}

/** The documented defaults, filled in so what is read back is what the gateway will use. */
function settingsOf(input: Omit<RlclInput, 'name'>) {
  return {
    enabled: input.enabled ?? true,
    executionOrder: input.executionOrder ?? 'FIRST',
    cacheConnectionTimeoutInSeconds: input.cacheConnectionTimeoutInSeconds ?? 3,
    cacheErrorHandlingType: input.cacheErrorHandlingType ?? 'FAIL',
    timeIntervalWindowType: input.timeIntervalWindowType ?? 'FIXED',
    showRateLimitStatisticsInResponseHeader: input.showRateLimitStatisticsInResponseHeader ?? false,
    targetVariable: (input.targetVariable ?? null) as Record<string, unknown> | null,
  }
}

const notFound = (project: ProjectRow, name: string) =>
  errors.notFound(`RLCL '${name}' in project '${project.name}'`)

export async function requireRlcl(db: Queryable, project: ProjectRow, name: string) {
  const row = await repo.findRlcl(db, project.id, name)
  if (!row) throw notFound(project, name)
  return row
}

function summary(row: repo.RlclRow) {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    ...(JSON.parse(row.settings) as ReturnType<typeof settingsOf>),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}

const ORDER: ListOrder = { sortable: { name: 'name' }, defaultSort: 'name' }

export async function listRlcls(
  deps: RlclDeps,
  principal: Principal,
  projectName: string,
  query: ListQueryInput,
) {
  const project = await authorizeInProject(deps, principal, 'rlcl.read', projectName)
  return pageInSql(deps.db, repo.rlclsOfProject(deps.db, project.id), query, ORDER, summary)
}

export async function getRlcl(
  deps: RlclDeps,
  principal: Principal,
  projectName: string,
  name: string,
) {
  const project = await authorizeInProject(deps, principal, 'rlcl.read', projectName)
  const row = await requireRlcl(deps.db, project, name)
  const [credentialNameList, limits] = await Promise.all([
    repo.credentialNamesOf(deps.db, row.id),
    repo.endpointLimitsOf(deps.db, row.id),
  ])
  return {
    ...summary(row),
    condition: row.condition === null ? null : JSON.parse(row.condition),
    credentialNameList,
    endpointRateLimitList: limits.map((l) => ({
      apiProxyName: l.proxy_name,
      endpointName: l.endpoint_name ?? 'ALL',
      endpointHTTPMethod: l.endpoint_method ?? 'ALL',
      ...JSON.parse(l.limits),
    })),
  }
}

export async function createRlcl(
  deps: RlclDeps,
  principal: Principal,
  projectName: string,
  input: RlclInput,
) {
  const project = await authorizeInProject(deps, principal, 'rlcl.write', projectName)
  const now = deps.clock.now().toISOString()
  try {
    await repo.insertRlcl(deps.db, {
      id: randomUUID(),
      project_id: project.id,
      name: input.name,
      description: input.description ?? '',
      settings: JSON.stringify(settingsOf(input)),
      condition: null,
      created_at: now,
      updated_at: now,
    })
  } catch (error) {
    if (isUniqueViolation(error))
      throw errors.duplicateName(`RLCL '${input.name}' in project '${project.name}'`)
    throw error
  }
  deps.audit.record('rlcl.created', { project: project.name, rlcl: input.name })
}

/** Replaces the settings; a name in the body must be the path's (the docs' example sends none); members stay. */
export async function updateRlcl(
  deps: RlclDeps,
  principal: Principal,
  projectName: string,
  pathName: string,
  input: Omit<RlclInput, 'name'> & { name?: string },
) {
  const project = await authorizeInProject(deps, principal, 'rlcl.write', projectName)
  if (input.name !== undefined && input.name !== pathName) {
    throw errors.validationFailed([
      {
        field: 'name',
        message: `is '${input.name}' but the path names '${pathName}': an RLCL cannot be renamed`,
      },
    ])
  }
  const row = await requireRlcl(deps.db, project, pathName)
  await repo.updateRlcl(deps.db, row.id, {
    description: input.description ?? '',
    settings: JSON.stringify(settingsOf(input)),
    updated_at: deps.clock.now().toISOString(),
  })
  deps.audit.record('rlcl.updated', { project: project.name, rlcl: row.name })
}

export async function deleteRlcl(
  deps: RlclDeps,
  principal: Principal,
  projectName: string,
  name: string,
) {
  const project = await authorizeInProject(deps, principal, 'rlcl.write', projectName)
  const row = await requireRlcl(deps.db, project, name)
  await repo.deleteRlcl(deps.db, row.id)
  deps.audit.record('rlcl.deleted', { project: project.name, rlcl: row.name })
}

export type ConditionChange = 'add' | 'update' | 'delete'

/** Add refuses to overwrite (409: update replaces), update needs one, delete removes it. */
export async function changeCondition(
  deps: RlclDeps,
  principal: Principal,
  projectName: string,
  name: string,
  change: ConditionChange,
  condition?: { conditionRuleList?: unknown[] | undefined },
) {
  const project = await authorizeInProject(deps, principal, 'rlcl.write', projectName)
  const row = await requireRlcl(deps.db, project, name)
  if (change === 'add' && row.condition !== null) {
    throw errors.conflict(`RLCL '${name}' has a condition already; PUT .../condition/ replaces it.`)
  }
  if (change !== 'add' && row.condition === null) {
    throw errors.notFound(`The condition of RLCL '${name}'`)
  }
  if (condition) {
    const issues = conditionIssues(condition, 'conditionRuleList')
    if (issues.length > 0) throw errors.validationFailed(issues)
  }
  await repo.updateRlcl(deps.db, row.id, {
    condition:
      change === 'delete'
        ? null
        : JSON.stringify({ conditionRuleList: condition?.conditionRuleList ?? [] }),
    updated_at: deps.clock.now().toISOString(),
  })
  deps.audit.record('rlcl.conditionChanged', { project: project.name, rlcl: row.name, change })
}
