import { randomUUID } from 'node:crypto'
import type { ApiProxyRow, EnvironmentRow, ProjectRow } from '../../db/schema.ts'
import type { Queryable } from '../../db/types.ts'
import { errors } from '../../errors.ts'
import { type ListOrder, type ListQueryInput, pageInSql } from '../../http/lists.ts'
import { authorizeInProject, type Principal } from '../../identity/policy/permissions.ts'
import * as environments from '../environments/environments.repository.ts'
import { type Confirmation, confirmOnNodes } from '../environments/gateway-nodes.ts'
import { assertNoRouteConflict, proxyClaim } from './deployed-routes.ts'
import { assertAddressesResolve } from './proxies.addresses.ts'
import { parseJson, type Routing } from './proxies.definition.ts'
import * as repo from './proxies.repository.ts'
import { type ProxiesDeps, requireProxy } from './proxies.service.ts'
import {
  buildSnapshot,
  bumpConfigVersion,
  configVersion,
  type SnapshotDeps,
} from './proxies.snapshot.ts'

/** Deploying proxies to environments, undeploying them, and the history of both. */

type EnvironmentOutcome = { environmentName: string; message: string } & Confirmation

export interface DeploymentOutcome {
  success: boolean
  deploymentResults: (EnvironmentOutcome & { success: boolean })[]
}

export function history(
  project: ProjectRow,
  proxy: ApiProxyRow,
  environmentName: string,
  action: 'DEPLOY' | 'REDEPLOY' | 'UNDEPLOY',
  principal: Principal,
  at: string,
  message: string,
) {
  return {
    id: randomUUID(),
    project_id: project.id,
    proxy_name: proxy.name,
    environment_name: environmentName,
    action,
    revision: proxy.revision,
    actor: principal.username,
    at,
    success: 1,
    message,
  }
}

export function outcome(results: EnvironmentOutcome[]): DeploymentOutcome {
  return { success: true, deploymentResults: results.map((r) => ({ ...r, success: true })) }
}

const unknownEnvironment = (project: ProjectRow, name: string) =>
  errors.notFound(`Environment '${name}' (for project '${project.name}')`)

/** An environment the project may use; any other is reported like one that does not exist. */
export async function requireUsableEnvironment(
  deps: Pick<ProxiesDeps, 'db'>,
  project: ProjectRow,
  name: string,
): Promise<EnvironmentRow> {
  const environment = await environments.findEnvironmentByName(deps.db, name)
  if (!environment || !(await environments.projectMayUse(deps.db, environment.id, project.id))) {
    throw unknownEnvironment(project, name)
  }
  return environment
}

/**
 * Where a proxy may be undeployed from: an environment its project may use, or one it
 * is still deployed to after the project lost the right to use it (else it could never
 * be taken down). Any other answers exactly like an environment that does not exist.
 */
async function undeployableEnvironment(
  deps: Pick<ProxiesDeps, 'db'>,
  project: ProjectRow,
  proxy: ApiProxyRow,
  name: string,
): Promise<EnvironmentRow> {
  const environment = await environments.findEnvironmentByName(deps.db, name)
  if (environment) {
    const deployedThere = (await repo.deploymentsOf(deps.db, proxy.id)).some(
      (d) => d.environment_id === environment.id,
    )
    if (deployedThere || (await environments.projectMayUse(deps.db, environment.id, project.id)))
      return environment
  }
  throw unknownEnvironment(project, name)
}

export async function requireDeployTargets(
  deps: ProxiesDeps,
  project: ProjectRow,
  names: string[] | undefined,
) {
  if (!names || names.length === 0) {
    throw errors.validationFailed([
      {
        field: 'deployTargetEnvironmentNameList',
        message: 'must name at least one environment when deploy is true',
      },
    ])
  }
  const targets: EnvironmentRow[] = []
  for (const name of names) targets.push(await requireUsableEnvironment(deps, project, name))
  return targets
}

/**
 * Puts a proxy's current revision in an environment, with its history row, inside the
 * caller's transaction (a group deploys all its members in one). The caller has checked
 * that its addresses resolve there (assertAddressesResolve).
 */
export async function deployIn(
  deps: SnapshotDeps,
  trx: Queryable,
  principal: Principal,
  project: ProjectRow,
  proxy: ApiProxyRow,
  environment: EnvironmentRow,
  now: string,
) {
  await bumpConfigVersion(trx, environment.id, now)
  const snapshot = await buildSnapshot(deps, trx, project, proxy, environment, now)
  await assertNoRouteConflict(trx, [proxyClaim(snapshot)], environment)
  const already = (await repo.deploymentsOf(trx, proxy.id)).some(
    (d) => d.environment_id === environment.id,
  )
  const action = already ? 'REDEPLOY' : 'DEPLOY'
  const message = already
    ? `Redeployed revision ${proxy.revision}`
    : `Deployed revision ${proxy.revision}`
  await repo.upsertDeployment(trx, {
    proxy_id: proxy.id,
    environment_id: environment.id,
    revision: proxy.revision,
    deployed_at: now,
    deployed_by: principal.username,
    snapshot: JSON.stringify(snapshot),
  })
  await repo.recordHistory(
    trx,
    history(project, proxy, environment.name, action, principal, now, message),
  )
  return { environmentName: environment.name, message, snapshot }
}

/** Takes a proxy out of an environment inside the caller's transaction; false if it was not there. */
export async function undeployIn(
  trx: Queryable,
  principal: Principal,
  project: ProjectRow,
  proxy: ApiProxyRow,
  environment: EnvironmentRow,
  now: string,
): Promise<boolean> {
  const gone = await repo.deleteDeployment(trx, proxy.id, environment.id)
  if (gone) {
    await bumpConfigVersion(trx, environment.id, now)
    await repo.recordHistory(
      trx,
      history(project, proxy, environment.name, 'UNDEPLOY', principal, now, 'Undeployed'),
    )
  }
  return gone
}

async function deployOne(
  deps: ProxiesDeps,
  principal: Principal,
  project: ProjectRow,
  proxy: ApiProxyRow,
  environment: EnvironmentRow,
) {
  await assertAddressesResolve(deps, project, parseJson<Routing>(proxy.routing), environment)
  const now = deps.clock.now().toISOString()
  const { environmentName, message } = await deps.db
    .transaction()
    .execute((trx) => deployIn(deps, trx, principal, project, proxy, environment, now))
  return { environmentName, message, ...(await settle(deps, environment.id)) }
}

/**
 * Tells every gateway node of the environment to reload, after the commit. A lost
 * message delays nothing for long: nodes also compare the version (see src/gateway).
 */
export async function announceChange(deps: Pick<ProxiesDeps, 'events'>, environmentId: string) {
  try {
    await deps.events.publish({ type: 'deployments.changed', environmentId })
  } catch {
    // The change is committed; nodes catch up when they next compare versions.
  }
}

/**
 * After a commit: tells the environment's nodes (unless nothing changed), then waits
 * (bounded) for the live ones to serve the environment's version as it now is, and says
 * which did.
 */
export async function settle(
  deps: Pick<ProxiesDeps, 'events' | 'db' | 'clock' | 'gatewayConfirm'>,
  environmentId: string,
  changed = true,
): Promise<Confirmation> {
  if (changed) await announceChange(deps, environmentId)
  let version: number
  try {
    version = await configVersion(deps.db, environmentId)
  } catch {
    return { status: 'ACCEPTED', nodeResults: [] }
  }
  return confirmOnNodes(deps, environmentId, version)
}

export async function deployEverywhere(
  deps: ProxiesDeps,
  principal: Principal,
  project: ProjectRow,
  proxy: ApiProxyRow,
  names: string[],
): Promise<DeploymentOutcome> {
  const results = []
  for (const name of names) {
    results.push(
      await deployOne(
        deps,
        principal,
        project,
        proxy,
        await requireUsableEnvironment(deps, project, name),
      ),
    )
  }
  if (names.length > 0) {
    const environments = names
    deps.audit.record('proxy.deployed', { project: project.name, proxy: proxy.name, environments })
  }
  return outcome(results)
}

/** Deploys, or redeploys when it is already there (picking up the latest revision). */
export async function deploy(
  deps: ProxiesDeps,
  principal: Principal,
  params: { projectName: string; apiProxyName: string; environmentName: string },
) {
  const project = await authorizeInProject(deps, principal, 'proxy.deploy', params.projectName)
  const proxy = await requireProxy(deps, project, params.apiProxyName)
  const environment = await requireUsableEnvironment(deps, project, params.environmentName)
  const result = await deployOne(deps, principal, project, proxy, environment)
  const environments = [environment.name]
  deps.audit.record('proxy.deployed', { project: project.name, proxy: proxy.name, environments })
  return outcome([result])
}

/** Undeploying where it is not deployed is not an error: the desired state already holds. */
export async function undeploy(
  deps: ProxiesDeps,
  principal: Principal,
  params: { projectName: string; apiProxyName: string; environmentName: string },
) {
  const project = await authorizeInProject(deps, principal, 'proxy.deploy', params.projectName)
  const proxy = await requireProxy(deps, project, params.apiProxyName)
  const environment = await undeployableEnvironment(deps, project, proxy, params.environmentName)
  const now = deps.clock.now().toISOString()
  const removed = await deps.db
    .transaction()
    .execute((trx) => undeployIn(trx, principal, project, proxy, environment, now))
  const confirmation = await settle(deps, environment.id, removed)
  const environments = [environment.name]
  deps.audit.record('proxy.undeployed', { project: project.name, proxy: proxy.name, environments })
  return outcome([
    {
      environmentName: environment.name,
      message: removed ? 'Undeployed' : 'Was not deployed; nothing to do',
      ...confirmation,
    },
  ])
}

const HISTORY_ORDER: ListOrder = {
  sortable: { at: 'at', environmentName: 'environment_name' },
  defaultSort: 'at,desc',
  tail: ['id'],
}

export async function deploymentHistory(
  deps: Pick<ProxiesDeps, 'db'>,
  principal: Principal,
  params: { projectName: string; apiProxyName: string },
  query: ListQueryInput,
) {
  const project = await authorizeInProject(deps, principal, 'project.read', params.projectName)
  await requireProxy(deps, project, params.apiProxyName)
  const base = repo.historyOf(deps.db, project.id, params.apiProxyName)
  return pageInSql(deps.db, base, query, HISTORY_ORDER, (h) => ({
    environmentName: h.environment_name,
    action: h.action,
    revision: h.revision,
    actor: h.actor,
    at: h.at,
    success: h.success === 1,
    message: h.message,
  }))
}
