import { randomUUID } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { Static } from 'typebox'
import type { Clock } from '../../clock.ts'
import type { ApiProxyRow, Database, EnvironmentRow, ProjectRow } from '../../db/schema.ts'
import { isUniqueViolation, type Queryable } from '../../db/types.ts'
import { errors } from '../../errors.ts'
import { authorizeInProject, type Principal } from '../../identity/policy/permissions.ts'
import * as environments from '../environments/environments.repository.ts'
import { assertAddressesResolve, assertReferencesWellFormed } from './proxies.addresses.ts'
import * as repo from './proxies.repository.ts'
import type { ProxyFromUrlBody } from './proxies.schemas.ts'
import {
  clientRouteExtras,
  routingExtras,
  settingsView,
  storeBodySettings,
} from './settings/settings.body.ts'
import type { StoredClientRoute, StoredRouting } from './settings/settings.model.ts'
import {
  type DebugLog,
  type ImportedSpec,
  importSpecFromUrl,
  type SpecImport,
} from './spec-import.ts'

export interface ProxiesDeps {
  db: Kysely<Database>
  clock: Clock
  specImport: SpecImport
  /** To open secret environment variables that routing addresses refer to. */
  atRestKeys: readonly Buffer[]
  /** To seal the secrets a proxy's settings hold. */
  atRestKey: Buffer
}

type ClientRoute = StoredClientRoute
type Routing = StoredRouting

/** The documented body of `apiProxies/url/`, settings included. */
export type ProxyInput = Static<typeof ProxyFromUrlBody>

export interface DeploymentOutcome {
  success: boolean
  deploymentResults: { environmentName: string; success: boolean; message: string }[]
}

const parseJson = <T>(text: string): T => JSON.parse(text) as T

// --- Reading

export async function listProxies(
  deps: Pick<ProxiesDeps, 'db'>,
  principal: Principal,
  projectName: string,
) {
  const project = await authorizeInProject(deps, principal, 'project.read', projectName)
  return (await repo.listProxies(deps.db, project.id)).map((row) => ({
    name: row.name,
    description: row.description,
    type: 'REST' as const,
    creationType: row.creation_type,
    relativePath: parseJson<ClientRoute>(row.client_route).relativePathList[0] ?? '',
  }))
}

async function requireProxy(
  deps: Pick<ProxiesDeps, 'db'>,
  project: ProjectRow,
  name: string,
): Promise<ApiProxyRow> {
  const row = await repo.findProxy(deps.db, project.id, name)
  if (!row) throw errors.notFound(`API proxy '${name}' in project '${project.name}'`)
  return row
}

async function present(db: Queryable, project: ProjectRow, row: ApiProxyRow) {
  const [usable, deployed] = await Promise.all([
    environments.listEnvironmentsOfProject(db, project.id),
    repo.deploymentsOf(db, row.id),
  ])
  const byEnvironment = new Map(deployed.map((d) => [d.environment_id, d]))
  // Environments the project may use, plus any it was deployed to before losing access.
  const names = new Map(usable.map((e) => [e.id, e.name]))
  for (const d of deployed) names.set(d.environment_id, d.environment_name)
  const deploymentList = [...names.entries()]
    .map(([id, environmentName]) => {
      const d = byEnvironment.get(id)
      return {
        environmentName,
        deployed: d !== undefined,
        redeployRequired: d !== undefined && d.revision < row.revision,
        deployedAt: d?.deployed_at ?? null,
        deployedBy: d?.deployed_by ?? null,
      }
    })
    .sort((a, b) => (a.environmentName < b.environmentName ? -1 : 1))
  return {
    name: row.name,
    description: row.description,
    apiType: 'REST' as const,
    creationType: row.creation_type,
    specUrl: row.spec_url,
    clientRoute: parseJson<ClientRoute>(row.client_route),
    routing: parseJson<Routing>(row.routing),
    endpoints: parseJson<ImportedSpec['endpoints']>(row.endpoints),
    ...(await settingsView(db, row.id)),
    deploymentList,
    revision: row.revision,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}

export async function getProxy(
  deps: Pick<ProxiesDeps, 'db'>,
  principal: Principal,
  projectName: string,
  name: string,
) {
  const project = await authorizeInProject(deps, principal, 'project.read', projectName)
  return present(deps.db, project, await requireProxy(deps, project, name))
}

// --- Writing

/**
 * What a proxy is made of, from the request and (for OPEN_API and SWAGGER) the spec
 * it names: its operations, and its backend when the request gives none.
 */
async function resolveDefinition(deps: ProxiesDeps, input: ProxyInput, log: DebugLog) {
  let spec: ImportedSpec = { endpoints: [], backendUrl: null }
  if (input.apiProxyCreationType === 'REVERSE_PROXY') {
    if (input.specUrl) {
      throw errors.validationFailed([
        { field: 'specUrl', message: 'is only for OPEN_API and SWAGGER proxies' },
      ])
    }
  } else {
    if (!input.specUrl) {
      throw errors.validationFailed([
        { field: 'specUrl', message: `is required for ${input.apiProxyCreationType} proxies` },
      ])
    }
    spec = await importSpecFromUrl(deps.specImport, input.specUrl, input.apiProxyCreationType, log)
  }
  const addresses =
    input.routingInfo?.routingAddressList ??
    (spec.backendUrl ? [{ address: spec.backendUrl }] : undefined)
  if (!addresses) {
    throw errors.validationFailed([
      {
        field: 'routingInfo',
        message:
          input.apiProxyCreationType === 'REVERSE_PROXY'
            ? 'is required for a REVERSE_PROXY: give at least one routing address'
            : 'is required: the spec names no backend server',
      },
    ])
  }
  assertReferencesWellFormed(addresses)
  const clientRoute: ClientRoute = {
    relativePathList: input.clientRoute?.relativePathList ?? [`/${input.apiProxyName}`],
    virtualHostList: input.clientRoute?.virtualHostList ?? [],
    ...clientRouteExtras(input.clientRoute),
  }
  const routing: Routing = {
    routingEnabled: input.routingInfo?.routingEnabled ?? true,
    ...routingExtras(input.routingInfo),
    routingAddressList: addresses.map((a) => ({
      address: a.address,
      weight: 'weight' in a && a.weight !== undefined ? a.weight : 100,
      healthCheckEnabled:
        'healthCheckEnabled' in a && a.healthCheckEnabled !== undefined
          ? a.healthCheckEnabled
          : false,
      ...('soapType' in a && a.soapType ? { soapType: a.soapType } : {}),
    })),
  }
  return { clientRoute, routing, endpoints: spec.endpoints }
}

/** A client route must not collide with another proxy's in the same project. */
async function assertRouteFree(
  db: Queryable,
  projectId: string,
  name: string,
  route: ClientRoute,
): Promise<void> {
  for (const other of await repo.listProxies(db, projectId)) {
    if (other.name === name) continue
    const taken = parseJson<ClientRoute>(other.client_route).relativePathList
    const clash = route.relativePathList.find((p) => taken.includes(p))
    if (clash)
      throw errors.conflict(
        `Relative path '${clash}' is already used by API proxy '${other.name}'.`,
      )
  }
}

export async function createProxy(
  deps: ProxiesDeps,
  principal: Principal,
  projectName: string,
  input: ProxyInput,
  log: DebugLog,
) {
  const project = await authorizeInProject(deps, principal, 'proxy.write', projectName)
  const targets = input.deploy
    ? await requireDeployTargets(deps, project, input.deployTargetEnvironmentNameList)
    : []
  const definition = await resolveDefinition(deps, input, log)
  // Checked before anything is stored, so a deploy that cannot happen changes nothing.
  for (const target of targets) {
    await assertAddressesResolve(deps, project, definition.routing, target)
  }
  const now = deps.clock.now().toISOString()
  const row: ApiProxyRow = {
    id: randomUUID(),
    project_id: project.id,
    name: input.apiProxyName,
    description: input.apiProxyDescription ?? '',
    creation_type: input.apiProxyCreationType,
    spec_url: input.specUrl ?? null,
    client_route: JSON.stringify(definition.clientRoute),
    routing: JSON.stringify(definition.routing),
    endpoints: JSON.stringify(definition.endpoints),
    revision: 1,
    created_at: now,
    updated_at: now,
  }
  try {
    await deps.db.transaction().execute(async (trx) => {
      await assertRouteFree(trx, project.id, row.name, definition.clientRoute)
      await repo.insertProxy(trx, row)
      await storeBodySettings(trx, deps.atRestKey, row.id, input, true)
    })
  } catch (error) {
    if (isUniqueViolation(error))
      throw errors.duplicateName(`API proxy '${row.name}' in project '${projectName}'`)
    throw error
  }
  const deploymentResult = input.deploy
    ? await deployEverywhere(
        deps,
        principal,
        project,
        row,
        input.deployTargetEnvironmentNameList ?? [],
      )
    : undefined
  return { apiProxy: await present(deps.db, project, row), deploymentResult }
}

/**
 * Re-reads the definition (re-fetching the spec) and bumps the revision, so every
 * environment it is deployed to reports redeployRequired until it is redeployed.
 */
export async function updateProxy(
  deps: ProxiesDeps,
  principal: Principal,
  projectName: string,
  input: ProxyInput,
  log: DebugLog,
) {
  const project = await authorizeInProject(deps, principal, 'proxy.write', projectName)
  const existing = await requireProxy(deps, project, input.apiProxyName)
  if (existing.creation_type !== input.apiProxyCreationType) {
    throw errors.conflict(
      `API proxy '${existing.name}' was created as ${existing.creation_type}; its creation type cannot change to ${input.apiProxyCreationType}.`,
    )
  }
  const targets = input.deploy
    ? await requireDeployTargets(deps, project, input.deployTargetEnvironmentNameList)
    : []
  const definition = await resolveDefinition(deps, input, log)
  // Checked before anything is stored, so a deploy that cannot happen changes nothing.
  for (const target of targets) {
    await assertAddressesResolve(deps, project, definition.routing, target)
  }
  const changes = {
    description: input.apiProxyDescription ?? existing.description,
    spec_url: input.specUrl ?? null,
    client_route: JSON.stringify(definition.clientRoute),
    routing: JSON.stringify(definition.routing),
    endpoints: JSON.stringify(definition.endpoints),
    revision: existing.revision + 1,
    updated_at: deps.clock.now().toISOString(),
  }
  await deps.db.transaction().execute(async (trx) => {
    await assertRouteFree(trx, project.id, existing.name, definition.clientRoute)
    await repo.updateProxy(trx, existing.id, changes)
    await storeBodySettings(
      trx,
      deps.atRestKey,
      existing.id,
      input,
      changes.spec_url !== existing.spec_url,
    )
  })
  const row = { ...existing, ...changes }
  const deploymentResult = input.deploy
    ? await deployEverywhere(
        deps,
        principal,
        project,
        row,
        input.deployTargetEnvironmentNameList ?? [],
      )
    : undefined
  return { apiProxy: await present(deps.db, project, row), deploymentResult }
}

/** Deleting a proxy undeploys it from every environment first; history keeps the record. */
export async function deleteProxy(
  deps: ProxiesDeps,
  principal: Principal,
  projectName: string,
  name: string,
) {
  const project = await authorizeInProject(deps, principal, 'proxy.delete', projectName)
  const row = await requireProxy(deps, project, name)
  const deployed = await repo.deploymentsOf(deps.db, row.id)
  const now = deps.clock.now().toISOString()
  await deps.db.transaction().execute(async (trx) => {
    for (const d of deployed) {
      await repo.recordHistory(
        trx,
        history(
          project,
          row,
          d.environment_name,
          'UNDEPLOY',
          principal,
          now,
          'Undeployed (proxy deleted)',
        ),
      )
    }
    await repo.deleteProxy(trx, row.id)
  })
  return outcome(
    deployed.map((d) => ({ environmentName: d.environment_name, message: 'Undeployed' })),
  )
}

// --- Deployment

function history(
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

function outcome(results: { environmentName: string; message: string }[]): DeploymentOutcome {
  return { success: true, deploymentResults: results.map((r) => ({ ...r, success: true })) }
}

const unknownEnvironment = (project: ProjectRow, name: string) =>
  errors.notFound(`Environment '${name}' (for project '${project.name}')`)

/** An environment the project may use; any other is reported like one that does not exist. */
async function requireUsableEnvironment(
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

async function requireDeployTargets(
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

async function deployOne(
  deps: ProxiesDeps,
  principal: Principal,
  project: ProjectRow,
  proxy: ApiProxyRow,
  environment: EnvironmentRow,
) {
  await assertAddressesResolve(deps, project, parseJson<Routing>(proxy.routing), environment)
  const now = deps.clock.now().toISOString()
  return deps.db.transaction().execute(async (trx) => {
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
    })
    await repo.recordHistory(
      trx,
      history(project, proxy, environment.name, action, principal, now, message),
    )
    return { environmentName: environment.name, message }
  })
}

async function deployEverywhere(
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
  return outcome([await deployOne(deps, principal, project, proxy, environment)])
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
  const removed = await deps.db.transaction().execute(async (trx) => {
    const gone = await repo.deleteDeployment(trx, proxy.id, environment.id)
    if (gone) {
      await repo.recordHistory(
        trx,
        history(project, proxy, environment.name, 'UNDEPLOY', principal, now, 'Undeployed'),
      )
    }
    return gone
  })
  return outcome([
    {
      environmentName: environment.name,
      message: removed ? 'Undeployed' : 'Was not deployed; nothing to do',
    },
  ])
}

export async function deploymentHistory(
  deps: Pick<ProxiesDeps, 'db'>,
  principal: Principal,
  projectName: string,
  name: string,
) {
  const project = await authorizeInProject(deps, principal, 'project.read', projectName)
  await requireProxy(deps, project, name)
  return (await repo.historyOf(deps.db, project.id, name)).map((h) => ({
    environmentName: h.environment_name,
    action: h.action,
    revision: h.revision,
    actor: h.actor,
    at: h.at,
    success: h.success === 1,
    message: h.message,
  }))
}
