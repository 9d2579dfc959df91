import type { ApiProxyRow, EnvironmentRow, ProjectRow, ProxyGroupRow } from '../../db/schema.ts'
import type { Queryable } from '../../db/types.ts'
import { isDatabaseUnavailable } from '../../db/unavailable.ts'
import { ApiError, errors, type ValidationIssue } from '../../errors.ts'
import { type ListQueryInput, pageInSql } from '../../http/lists.ts'
import { authorizeInProject, type Principal } from '../../identity/policy/permissions.ts'
import * as environments from '../environments/environments.repository.ts'
import type { Confirmation } from '../environments/gateway-nodes.ts'
import {
  assertNoRouteConflict,
  GROUP_SNAPSHOT_FORMAT,
  type GroupRoute,
  type GroupSnapshot,
  groupClaims,
} from '../proxies/deployed-routes.ts'
import { assertAddressesResolve } from '../proxies/proxies.addresses.ts'
import {
  deployIn,
  requireUsableEnvironment,
  settle,
  undeployIn,
} from '../proxies/proxies.deployment.ts'
import { bumpConfigVersion } from '../proxies/proxies.snapshot.ts'
import * as repo from './proxy-groups.repository.ts'
import {
  GROUP_ENVIRONMENT_ORDER,
  groupEnvironmentView,
  type ProxyGroupsDeps,
  requireGroup,
} from './proxy-groups.service.ts'

/*
 * A group is deployed as one: every member and the group's own record change in one
 * transaction, or none does. A member that cannot go there (a routing address whose
 * environment variables do not resolve in that environment) is found before anything is
 * written, and the answer names every such member; one that fails while writing rolls
 * the whole change back, and the answer names it. There is never a group half deployed.
 * Each member goes through the same checks and steps (assertAddressesResolve, deployIn /
 * undeployIn) and gets the same history as a proxy deployed on its own. The audit log
 * gets one event for the one action (proxyGroup.deployed, naming the members), not a
 * proxy.deployed per member as well.
 */

interface Params {
  projectName: string
  apiProxyGroupName: string
  environmentName: string
}

type MemberResult = { apiProxyName: string; success: true; message: string }

function answer(
  environmentName: string,
  verb: string,
  members: MemberResult[],
  confirmation: Confirmation,
) {
  const message =
    members.length === 0
      ? `${verb} the group; it has no member proxies`
      : `${verb} the group and its ${members.length} member ${members.length === 1 ? 'proxy' : 'proxies'}`
  return {
    success: true,
    message,
    environmentResults: [
      { environmentName, success: true, message, ...confirmation, apiProxyResults: members },
    ],
  }
}

/** A failing member: catalogue errors and an unreachable database keep their answer. */
function memberFailure(error: unknown, what: string): unknown {
  if (error instanceof ApiError || isDatabaseUnavailable(error)) return error
  return errors.groupMemberFailed(what, error)
}

/** Every member must be deployable there; the issues of all of them, each field under its proxy. */
async function assertMembersDeployable(
  deps: ProxyGroupsDeps,
  project: ProjectRow,
  members: readonly ApiProxyRow[],
  environment: EnvironmentRow,
): Promise<void> {
  const issues: ValidationIssue[] = []
  for (const proxy of members) {
    try {
      await assertAddressesResolve(deps, project, JSON.parse(proxy.routing), environment)
    } catch (error) {
      const found = error instanceof ApiError ? error.extra.validationErrors : undefined
      if (!found) throw error
      for (const issue of found)
        issues.push({ field: `apiProxies.${proxy.name}.${issue.field}`, message: issue.message })
    }
  }
  if (issues.length > 0) throw errors.validationFailed(issues)
}

/** The group as deployed, its members' snapshots added as they are deployed. */
function groupSnapshot(
  project: ProjectRow,
  group: ProxyGroupRow,
  environment: EnvironmentRow,
  now: string,
): GroupSnapshot {
  const route = JSON.parse(group.client_route) as GroupRoute
  return {
    format: GROUP_SNAPSHOT_FORMAT,
    groupId: group.id,
    groupName: group.name,
    projectId: project.id,
    projectName: project.name,
    environmentId: environment.id,
    revision: group.revision,
    deployedAt: now,
    clientRoute: {
      relativePathList: route.relativePathList,
      methodList: route.methodList ?? null,
      hostList: route.hostList ?? null,
      headerList: route.headerList ?? null,
    },
    members: [],
  }
}

export async function listGroupEnvironments(
  deps: Pick<ProxyGroupsDeps, 'db'>,
  principal: Principal,
  params: { projectName: string; apiProxyGroupName: string },
  query: ListQueryInput,
) {
  const project = await authorizeInProject(deps, principal, 'group.read', params.projectName)
  const group = await requireGroup(deps.db, project, params.apiProxyGroupName)
  const base = repo.environmentsOfGroup(deps.db, project.id, group.id)
  const view = await groupEnvironmentView(deps.db, group)
  return pageInSql(deps.db, base, query, GROUP_ENVIRONMENT_ORDER, view)
}

/** Deploys every member's current revision; deploying again redeploys (picks up changes). */
export async function deployGroup(deps: ProxyGroupsDeps, principal: Principal, params: Params) {
  const project = await authorizeInProject(deps, principal, 'group.deploy', params.projectName)
  const group = await requireGroup(deps.db, project, params.apiProxyGroupName)
  const environment = await requireUsableEnvironment(deps, project, params.environmentName)
  // The members as checked are the members deployed: one added meanwhile waits for the next deploy.
  const members = await repo.membersOf(deps.db, group.id)
  await assertMembersDeployable(deps, project, members, environment)
  const now = deps.clock.now().toISOString()
  const results = await deps.db.transaction().execute(async (trx) => {
    // First: the group's own routes change too, even with no member (see bumpConfigVersion).
    await bumpConfigVersion(trx, environment.id, now)
    const results: MemberResult[] = []
    const snapshot = groupSnapshot(project, group, environment, now)
    for (const proxy of members) {
      try {
        const done = await deployIn(deps, trx, principal, project, proxy, environment, now)
        results.push({ apiProxyName: proxy.name, success: true, message: done.message })
        snapshot.members.push(done.snapshot)
      } catch (error) {
        throw memberFailure(
          error,
          `Deploying API proxy '${proxy.name}' (member of group '${group.name}') to '${environment.name}'`,
        )
      }
    }
    await assertNoRouteConflict(trx, groupClaims(snapshot), environment)
    await repo.upsertGroupDeployment(trx, {
      group_id: group.id,
      environment_id: environment.id,
      revision: group.revision,
      deployed_at: now,
      deployed_by: principal.username,
      snapshot: JSON.stringify(snapshot),
    })
    return results
  })
  const confirmation = await settle(deps, environment.id)
  deps.audit.record('proxyGroup.deployed', {
    project: project.name,
    group: group.name,
    environment: environment.name,
    proxies: results.map((r) => r.apiProxyName),
  })
  return answer(environment.name, 'Deployed', results, confirmation)
}

/**
 * Where a group may be undeployed from: an environment its project may use, or one the
 * group is still deployed to (else it could never be taken down). Any other answers
 * exactly like an environment that does not exist.
 */
async function undeployableEnvironment(
  db: Queryable,
  project: ProjectRow,
  group: ProxyGroupRow,
  name: string,
): Promise<EnvironmentRow> {
  const environment = await environments.findEnvironmentByName(db, name)
  if (environment) {
    const deployedThere = (await repo.groupDeploymentsOf(db, group.id)).some(
      (d) => d.environment_id === environment.id,
    )
    if (deployedThere || (await environments.projectMayUse(db, environment.id, project.id)))
      return environment
  }
  throw errors.notFound(`Environment '${name}' (for project '${project.name}')`)
}

/** Undeploys every member (those not deployed there are reported, not refused). */
export async function undeployGroup(deps: ProxyGroupsDeps, principal: Principal, params: Params) {
  const project = await authorizeInProject(deps, principal, 'group.deploy', params.projectName)
  const group = await requireGroup(deps.db, project, params.apiProxyGroupName)
  const environment = await undeployableEnvironment(deps.db, project, group, params.environmentName)
  const now = deps.clock.now().toISOString()
  const members = await deps.db.transaction().execute(async (trx) => {
    await bumpConfigVersion(trx, environment.id, now)
    const results: MemberResult[] = []
    for (const proxy of await repo.membersOf(trx, group.id)) {
      try {
        const removed = await undeployIn(trx, principal, project, proxy, environment, now)
        const message = removed ? 'Undeployed' : 'Was not deployed; nothing to do'
        results.push({ apiProxyName: proxy.name, success: true, message })
      } catch (error) {
        throw memberFailure(
          error,
          `Undeploying API proxy '${proxy.name}' (member of group '${group.name}') from '${environment.name}'`,
        )
      }
    }
    await repo.deleteGroupDeployment(trx, group.id, environment.id)
    return results
  })
  const confirmation = await settle(deps, environment.id)
  deps.audit.record('proxyGroup.undeployed', {
    project: project.name,
    group: group.name,
    environment: environment.name,
    proxies: members.map((r) => r.apiProxyName),
  })
  return answer(environment.name, 'Undeployed', members, confirmation)
}
