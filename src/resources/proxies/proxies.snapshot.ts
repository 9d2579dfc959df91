import type { ApiProxyRow, EnvironmentRow, ProjectRow } from '../../db/schema.ts'
import type { Queryable } from '../../db/types.ts'
import { seal } from '../../sealed.ts'
import { resolveVariables } from '../environment-variables/environment-variables.resolve.ts'
import { variableScope } from '../environment-variables/environment-variables.service.ts'
import { endpointsOf } from './endpoints/endpoints.repository.ts'
import { policiesOf } from './policies/policies.repository.ts'
import { parseJson } from './proxies.definition.ts'
import type { StoredClientRoute, StoredRouting, StoredSettings } from './settings/settings.model.ts'
import { loadSettings } from './settings/settings.store.ts'

/*
 * What a deployment puts live: the proxy as it was at the deploy, frozen into the
 * deployment row. Gateways serve this and nothing else, so editing a proxy changes no
 * traffic until it is redeployed. Secrets stay sealed as they are stored; routing
 * addresses are resolved against the environment's variables at the deploy (a variable
 * changed later marks the deployment stale, as before) and sealed when a variable went
 * into them, since a variable may be secret.
 */

export const SNAPSHOT_FORMAT = 1

export interface SnapshotEndpoint {
  id: string
  /** GET, POST, ... or ALL */
  method: string
  /** The path template, e.g. /pets/{petId} */
  path: string
  active: boolean
  backendResourceUrl: string
  backendMethod: string
}

export interface SnapshotPolicy {
  id: string
  endpointId: string | null
  name: string
  pipeline: string
  type: string
  position: number
  /** The stored policy object, secrets sealed. */
  policy: unknown
}

export interface DeploymentSnapshot {
  format: number
  proxyId: string
  proxyName: string
  projectId: string
  projectName: string
  environmentId: string
  revision: number
  creationType: string
  deployedAt: string
  clientRoute: StoredClientRoute
  routing: StoredRouting
  /** routing.routingAddressList's addresses as resolved here: in clear, or sealed JSON. */
  addresses: { clear: string[] } | { sealed: string }
  settings: StoredSettings
  endpoints: SnapshotEndpoint[]
  policies: SnapshotPolicy[]
}

/** Binds sealed resolved addresses to their deployment row. */
export const addressesContext = (proxyId: string, environmentId: string) =>
  `proxy_deployments:${proxyId}:${environmentId}:addresses`

export interface SnapshotDeps {
  atRestKey: Buffer
  atRestKeys: readonly Buffer[]
}

async function resolvedAddresses(
  deps: SnapshotDeps,
  trx: Queryable,
  project: ProjectRow,
  routing: StoredRouting,
  environment: EnvironmentRow,
  proxyId: string,
): Promise<DeploymentSnapshot['addresses']> {
  const addresses = routing.routingAddressList.map((a) => a.address)
  if (!addresses.some((a) => a.includes('${'))) return { clear: addresses }
  const scope = await variableScope(
    { db: trx, atRestKeys: deps.atRestKeys },
    project.id,
    environment,
  )
  const resolved = addresses.map((a, i) =>
    resolveVariables(a, scope, `routingInfo.routingAddressList.${i}.address`),
  )
  return {
    sealed: seal(
      deps.atRestKey,
      JSON.stringify(resolved),
      addressesContext(proxyId, environment.id),
    ),
  }
}

export async function buildSnapshot(
  deps: SnapshotDeps,
  trx: Queryable,
  project: ProjectRow,
  proxy: ApiProxyRow,
  environment: EnvironmentRow,
  now: string,
): Promise<DeploymentSnapshot> {
  const routing = parseJson<StoredRouting>(proxy.routing)
  const [settings, endpoints, policies, addresses] = await Promise.all([
    loadSettings(trx, proxy.id),
    endpointsOf(trx, proxy.id),
    policiesOf(trx, proxy.id),
    resolvedAddresses(deps, trx, project, routing, environment, proxy.id),
  ])
  return {
    format: SNAPSHOT_FORMAT,
    proxyId: proxy.id,
    proxyName: proxy.name,
    projectId: project.id,
    projectName: project.name,
    environmentId: environment.id,
    revision: proxy.revision,
    creationType: proxy.creation_type,
    deployedAt: now,
    clientRoute: parseJson<StoredClientRoute>(proxy.client_route),
    routing,
    addresses,
    settings,
    endpoints: endpoints.map((e) => ({
      id: e.id,
      method: e.http_method,
      path: e.name,
      active: e.active === 1,
      backendResourceUrl: e.backend_resource_url,
      backendMethod: e.backend_http_method,
    })),
    policies: policies.map((p) => ({
      id: p.id,
      endpointId: p.endpoint_id,
      name: p.name,
      pipeline: p.pipeline,
      type: p.type,
      position: p.position,
      policy: JSON.parse(p.policy) as unknown,
    })),
  }
}

/** Every deployed snapshot of an environment, with the proxies' ids; older rows without one are skipped. */
export async function snapshotsIn(
  db: Queryable,
  environmentId: string,
): Promise<DeploymentSnapshot[]> {
  const rows = await db
    .selectFrom('proxy_deployments')
    .select(['snapshot'])
    .where('environment_id', '=', environmentId)
    .where('snapshot', 'is not', null)
    .orderBy('proxy_id')
    .execute()
  return rows.map((r) => JSON.parse(r.snapshot as string) as DeploymentSnapshot)
}

/** The environment's configuration version; 0 before its first deploy. */
export async function configVersion(db: Queryable, environmentId: string): Promise<number> {
  const row = await db
    .selectFrom('gateway_config_versions')
    .select('version')
    .where('environment_id', '=', environmentId)
    .executeTakeFirst()
  return row ? Number(row.version) : 0
}

/**
 * Moves the environment's version on. First in a deploy's transaction: on PostgreSQL
 * the row lock serializes deploys to one environment, so two racing deploys cannot
 * both pass the route-conflict check.
 */
export async function bumpConfigVersion(
  db: Queryable,
  environmentId: string,
  now: string,
): Promise<void> {
  await db
    .insertInto('gateway_config_versions')
    .values({ environment_id: environmentId, version: 1, changed_at: now })
    .onConflict((oc) =>
      oc.column('environment_id').doUpdateSet((eb) => ({
        version: eb('gateway_config_versions.version', '+', 1),
        changed_at: now,
      })),
    )
    .execute()
}
