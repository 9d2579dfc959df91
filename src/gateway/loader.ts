import type { Queryable } from '../db/types.ts'
import { findEnvironmentByName } from '../resources/environments/environments.repository.ts'
import { groupSnapshotsIn, memberRoute } from '../resources/proxies/deployed-routes.ts'
import { absoluteBackendUrlProblem } from '../resources/proxies/endpoints/backend-url.ts'
import {
  addressesContext,
  configVersion,
  type DeploymentSnapshot,
  snapshotsIn,
} from '../resources/proxies/proxies.snapshot.ts'
import type { StoredClientRoute } from '../resources/proxies/settings/settings.model.ts'
import { unseal } from '../sealed.ts'
import { type ChooserDeps, type Deployed, RoutingTable } from './table.ts'

/*
 * Reads what an environment's gateways serve: its version, then its snapshots. The
 * version is read first, so a table is never newer than it claims; a deploy committed
 * in between is read again at the next check.
 */

export interface LoadDeps extends ChooserDeps {
  db: Queryable
  atRestKeys: readonly Buffer[]
  /** A deployed proxy the node cannot serve (its addresses do not open or parse). */
  skipped?: (proxyName: string, reason: string) => void
}

export async function environmentId(db: Queryable, name: string): Promise<string | undefined> {
  return (await findEnvironmentByName(db, name))?.id
}

function addressesOf(keys: readonly Buffer[], s: DeploymentSnapshot): string[] {
  if ('clear' in s.addresses) return s.addresses.clear
  const text = unseal(keys, s.addresses.sealed, addressesContext(s.proxyId, s.environmentId))
  return JSON.parse(text) as string[]
}

/** An absolute backend URL stored before the write path checked it: never sent elsewhere. */
function checkEndpointUrls(snapshot: DeploymentSnapshot): void {
  if (snapshot.creationType === 'REVERSE_PROXY') return
  for (const e of snapshot.endpoints) {
    const problem = absoluteBackendUrlProblem(e.backendResourceUrl)
    if (problem !== null) {
      throw new Error(`endpoint ${e.method} ${e.path}: backendResourceUrl ${problem}`)
    }
  }
}

export async function loadTable(
  deps: LoadDeps,
  environment: { id: string; name: string },
): Promise<RoutingTable> {
  const version = await configVersion(deps.db, environment.id)
  const deployed: Deployed[] = []
  const add = (snapshot: DeploymentSnapshot, clientRoute?: StoredClientRoute) => {
    try {
      const addresses = addressesOf(deps.atRestKeys, snapshot)
      const bad = addresses.find((a) => !URL.canParse(a))
      if (bad !== undefined) throw new Error('a routing address is not a URL')
      const mirrors = snapshot.routing.mirrorAddressList ?? []
      if (mirrors.some((m) => !URL.canParse(m.address)))
        throw new Error('a mirror address is not a URL')
      checkEndpointUrls(snapshot)
      deployed.push({ snapshot, addresses, ...(clientRoute ? { clientRoute } : {}) })
    } catch (error) {
      deps.skipped?.(snapshot.proxyName, (error as Error).message)
    }
  }
  for (const snapshot of await snapshotsIn(deps.db, environment.id)) add(snapshot)
  // Groups: each member again, under the group's relative path (deployed-routes.ts).
  for (const group of await groupSnapshotsIn(deps.db, environment.id)) {
    for (const member of group.members) {
      const route = memberRoute(group.clientRoute, member.clientRoute)
      if (route) add(member, route)
    }
  }
  return new RoutingTable(environment.name, version, deployed, deps)
}

/** The version alone: what a node compares to know whether to reload. */
export function currentVersion(db: Queryable, id: string): Promise<number> {
  return configVersion(db, id)
}
