import { randomUUID } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { AuditSink } from '../../audit/audit.recorder.ts'
import type { Clock } from '../../clock.ts'
import type { EventBus } from '../../cluster/events.ts'
import type { ApiProxyRow, Database, ProjectRow, ProxyGroupRow } from '../../db/schema.ts'
import { isUniqueViolation, type Queryable } from '../../db/types.ts'
import { errors } from '../../errors.ts'
import { type ListOrder, type ListQueryInput, pageInSql } from '../../http/lists.ts'
import { authorizeInProject, type Principal } from '../../identity/policy/permissions.ts'
import type { ConfirmSettings } from '../environments/gateway-nodes.ts'
import { announceChange } from '../proxies/proxies.deployment.ts'
import {
  findProxy,
  groupRouteHolder,
  lockProjectRoutes,
  proxyRouteHolder,
  type RouteHolder,
} from '../proxies/proxies.repository.ts'
import { bumpConfigVersion } from '../proxies/proxies.snapshot.ts'
import * as repo from './proxy-groups.repository.ts'

export interface ProxyGroupsDeps {
  db: Kysely<Database>
  clock: Clock
  /** To open secret environment variables that members' routing addresses refer to. */
  atRestKeys: readonly Buffer[]
  /** To seal routing addresses resolved into a member's deployment snapshot. */
  atRestKey: Buffer
  audit: AuditSink
  /** Tells gateway nodes that what an environment serves changed. */
  events: EventBus
  /** How a deploy's answer waits for those nodes to apply it. */
  gatewayConfirm: ConfirmSettings
}

type Nullable<T> = T | null | undefined

export interface GroupInput {
  name: string
  description?: Nullable<string>
  clientRoute: {
    relativePathList: string[]
    methodList?: Nullable<string[]>
    hostList?: Nullable<string[]>
    headerList?: Nullable<{ name: string; value: string }[]>
    bufferRequest?: boolean | undefined
    bufferResponse?: boolean | undefined
  }
}

interface StoredRoute {
  relativePathList: string[]
  methodList: string[] | null
  hostList: string[] | null
  headerList: { name: string; value: string }[] | null
  bufferRequest: boolean
  bufferResponse: boolean
}

const parseJson = <T>(text: string): T => JSON.parse(text) as T

/** The documented defaults filled in, so what is read back is what the gateway will use. */
function storedRoute(route: GroupInput['clientRoute']): StoredRoute {
  return {
    relativePathList: route.relativePathList,
    methodList: route.methodList ?? null,
    hostList: route.hostList ?? null,
    headerList: route.headerList ?? null,
    bufferRequest: route.bufferRequest ?? true,
    bufferResponse: route.bufferResponse ?? true,
  }
}

export const groupNotFound = (project: ProjectRow, name: string) =>
  errors.notFound(`API proxy group '${name}' in project '${project.name}'`)

export async function requireGroup(
  db: Queryable,
  project: ProjectRow,
  name: string,
): Promise<ProxyGroupRow> {
  const row = await repo.findGroup(db, project.id, name)
  if (!row) throw groupNotFound(project, name)
  return row
}

async function requireMemberCandidate(
  db: Queryable,
  project: ProjectRow,
  name: string,
): Promise<ApiProxyRow> {
  const row = await findProxy(db, project.id, name)
  if (!row) throw errors.notFound(`API proxy '${name}' in project '${project.name}'`)
  return row
}

export const GROUP_ENVIRONMENT_ORDER: ListOrder = {
  sortable: { environmentName: 'environments.name' },
  defaultSort: 'environmentName',
}

/**
 * How to present each environment of a group: whether the group is there, and whether it
 * is behind (the group changed since, or a member is missing there, runs an older
 * revision than its current one, or refers to a variable that changed there since).
 * Reads the members once, for a whole page.
 */
export async function groupEnvironmentView(db: Queryable, group: ProxyGroupRow) {
  const [members, memberDeployments] = await Promise.all([
    repo.membersOf(db, group.id),
    repo.memberDeployments(db, group.id),
  ])
  const current = (environmentId: string, proxy: ApiProxyRow) =>
    memberDeployments.some(
      (m) =>
        m.environment_id === environmentId &&
        m.proxy_id === proxy.id &&
        m.revision === proxy.revision &&
        m.variables_changed_at === null,
    )
  return (row: repo.GroupEnvironmentRow) => {
    const deployed = row.deployed_revision !== null
    return {
      environmentName: row.environment_name,
      deployed,
      redeployRequired:
        deployed &&
        (Number(row.deployed_revision) < group.revision ||
          !members.every((proxy) => current(row.environment_id, proxy))),
      deployedAt: row.deployed_at ?? null,
      deployedBy: row.deployed_by ?? null,
    }
  }
}

async function environmentsOf(db: Queryable, project: ProjectRow, group: ProxyGroupRow) {
  const [rows, view] = await Promise.all([
    repo.environmentsOfGroup(db, project.id, group.id).orderBy('environments.name').execute(),
    groupEnvironmentView(db, group),
  ])
  return rows.map(view)
}

async function present(db: Queryable, project: ProjectRow, group: ProxyGroupRow) {
  const [members, deployments] = await Promise.all([
    repo.membersOf(db, group.id),
    environmentsOf(db, project, group),
  ])
  return {
    id: group.id,
    name: group.name,
    description: group.description,
    clientRoute: parseJson<StoredRoute>(group.client_route),
    apiProxies: members.map((p) => ({
      name: p.name,
      relativePath:
        parseJson<{ relativePathList: string[] }>(p.client_route).relativePathList[0] ?? '',
    })),
    environments: deployments,
    revision: group.revision,
    createdAt: group.created_at,
    updatedAt: group.updated_at,
  }
}

// --- Reading

const GROUP_ORDER: ListOrder = { sortable: { name: 'name' }, defaultSort: 'name' }

export async function listGroups(
  deps: Pick<ProxyGroupsDeps, 'db'>,
  principal: Principal,
  projectName: string,
  query: ListQueryInput,
) {
  const project = await authorizeInProject(deps, principal, 'group.read', projectName)
  return pageInSql(deps.db, repo.groupsOfProject(deps.db, project.id), query, GROUP_ORDER, (g) => ({
    id: g.id,
    name: g.name,
    description: g.description,
  }))
}

export async function getGroup(
  deps: Pick<ProxyGroupsDeps, 'db'>,
  principal: Principal,
  projectName: string,
  name: string,
) {
  const project = await authorizeInProject(deps, principal, 'group.read', projectName)
  return present(deps.db, project, await requireGroup(deps.db, project, name))
}

// --- Writing

const routeTaken = (holder: RouteHolder) =>
  errors.conflict(
    `Relative path '${holder.path}' is already used by ${holder.kind} '${holder.name}'.`,
  )

/** Thrown inside the transaction when the database refused a path: another write won it. */
class RouteRace extends Error {}

/**
 * A group's relative paths must not be another group's or any proxy's in the project
 * (a request must find one route): one index lookup each, after taking the project's
 * route lock (lockProjectRoutes), so a proxy write cannot race past the check either.
 */
async function claimGroupRoute(
  trx: Queryable,
  project: ProjectRow,
  group: Pick<ProxyGroupRow, 'id' | 'name'>,
  paths: readonly string[],
): Promise<void> {
  await lockProjectRoutes(trx, project.id)
  const holder =
    (await proxyRouteHolder(trx, project.id, paths)) ??
    (await groupRouteHolder(trx, project.id, paths, group.name))
  if (holder) throw routeTaken(holder)
  try {
    await repo.replaceGroupRoutes(trx, project.id, group.id, paths)
  } catch (error) {
    if (isUniqueViolation(error)) throw new RouteRace()
    throw error
  }
}

const raceLost = () =>
  errors.conflict('A relative path of this group was just taken by another API proxy group.')

export async function createGroup(
  deps: ProxyGroupsDeps,
  principal: Principal,
  projectName: string,
  input: GroupInput,
) {
  const project = await authorizeInProject(deps, principal, 'group.write', projectName)
  const now = deps.clock.now().toISOString()
  const row: ProxyGroupRow = {
    id: randomUUID(),
    project_id: project.id,
    name: input.name,
    description: input.description ?? '',
    client_route: JSON.stringify(storedRoute(input.clientRoute)),
    revision: 1,
    created_at: now,
    updated_at: now,
  }
  try {
    await deps.db.transaction().execute(async (trx) => {
      await repo.insertGroup(trx, row)
      await claimGroupRoute(trx, project, row, input.clientRoute.relativePathList)
    })
  } catch (error) {
    if (error instanceof RouteRace) throw raceLost()
    if (isUniqueViolation(error))
      throw errors.duplicateName(`API proxy group '${input.name}' in project '${project.name}'`)
    throw error
  }
  deps.audit.record('proxyGroup.created', { project: project.name, group: row.name })
  return present(deps.db, project, row)
}

/**
 * Replaces the group's route (its name picks it and cannot change). A deployed group
 * then reports redeployRequired until it is deployed again.
 */
export async function updateGroup(
  deps: ProxyGroupsDeps,
  principal: Principal,
  projectName: string,
  input: GroupInput,
) {
  const project = await authorizeInProject(deps, principal, 'group.write', projectName)
  const existing = await requireGroup(deps.db, project, input.name)
  const changes = {
    description: input.description === undefined ? existing.description : (input.description ?? ''),
    client_route: JSON.stringify(storedRoute(input.clientRoute)),
    revision: existing.revision + 1,
    updated_at: deps.clock.now().toISOString(),
  }
  try {
    await deps.db.transaction().execute(async (trx) => {
      await claimGroupRoute(trx, project, existing, input.clientRoute.relativePathList)
      await repo.updateGroup(trx, existing.id, changes)
    })
  } catch (error) {
    if (error instanceof RouteRace) throw raceLost()
    throw error
  }
  deps.audit.record('proxyGroup.updated', { project: project.name, group: existing.name })
  return present(deps.db, project, { ...existing, ...changes })
}

/**
 * The member proxies stay, deployed where they were; the grouping goes, and with it the
 * routes the gateways served under the group (those environments' versions move on).
 */
export async function deleteGroup(
  deps: ProxyGroupsDeps,
  principal: Principal,
  projectName: string,
  name: string,
): Promise<void> {
  const project = await authorizeInProject(deps, principal, 'group.write', projectName)
  const group = await requireGroup(deps.db, project, name)
  const deployed = await repo.groupDeploymentsOf(deps.db, group.id)
  const now = deps.clock.now().toISOString()
  await deps.db.transaction().execute(async (trx) => {
    for (const d of deployed) await bumpConfigVersion(trx, d.environment_id, now)
    await repo.deleteGroup(trx, group.id)
  })
  for (const d of deployed) await announceChange(deps, d.environment_id)
  deps.audit.record('proxyGroup.deleted', { project: project.name, group: group.name })
}

// --- Membership: idempotent, as documented; `changed` says whether anything happened,
// and only a change is an audit event.

export async function addMember(
  deps: ProxyGroupsDeps,
  principal: Principal,
  params: { projectName: string; apiProxyGroupName: string; apiProxyName: string },
) {
  const project = await authorizeInProject(deps, principal, 'group.members', params.projectName)
  const group = await requireGroup(deps.db, project, params.apiProxyGroupName)
  const proxy = await requireMemberCandidate(deps.db, project, params.apiProxyName)
  const changed = await repo.addMember(deps.db, {
    group_id: group.id,
    proxy_id: proxy.id,
    added_at: deps.clock.now().toISOString(),
    added_by: principal.username,
  })
  const names = { project: project.name, group: group.name, proxy: proxy.name }
  if (changed) deps.audit.record('proxyGroup.memberAdded', names)
  const message = changed
    ? `API proxy '${proxy.name}' is now a member of group '${group.name}'.`
    : `API proxy '${proxy.name}' already was a member of group '${group.name}'; nothing changed.`
  return { changed, message }
}

export async function removeMember(
  deps: ProxyGroupsDeps,
  principal: Principal,
  params: { projectName: string; apiProxyGroupName: string; apiProxyName: string },
) {
  const project = await authorizeInProject(deps, principal, 'group.members', params.projectName)
  const group = await requireGroup(deps.db, project, params.apiProxyGroupName)
  const proxy = await requireMemberCandidate(deps.db, project, params.apiProxyName)
  const changed = await repo.removeMember(deps.db, group.id, proxy.id)
  const names = { project: project.name, group: group.name, proxy: proxy.name }
  if (changed) deps.audit.record('proxyGroup.memberRemoved', names)
  const message = changed
    ? `API proxy '${proxy.name}' is no longer a member of group '${group.name}' (it stays deployed where it was).`
    : `API proxy '${proxy.name}' was not a member of group '${group.name}'; nothing changed.`
  return { changed, message }
}
