import type { EnvironmentRow } from '../../db/schema.ts'
import type { Queryable } from '../../db/types.ts'
import { errors } from '../../errors.ts'
import { type DeploymentSnapshot, snapshotsIn } from './proxies.snapshot.ts'
import type { StoredClientRoute } from './settings/settings.model.ts'

/*
 * The client routes an environment's gateways serve: each deployed proxy's own, and each
 * deployed API proxy group's. A group is reached under its relative path: a member whose
 * route is /orders in a group at /shop answers /shop/orders (and below), as Apinizer's
 * group access address is the group's path followed by the member's. The group's
 * methods, hosts and headers narrow the member's (both must match). A group deployment
 * freezes the group and its members as they were (GroupSnapshot), like a proxy's does.
 * Two deployed routes that a gateway could not tell apart are refused at deploy time.
 */

export const GROUP_SNAPSHOT_FORMAT = 1

export interface GroupRoute {
  relativePathList: string[]
  methodList: string[] | null
  hostList: string[] | null
  headerList: { name: string; value: string }[] | null
}

export interface GroupSnapshot {
  format: number
  groupId: string
  groupName: string
  projectId: string
  projectName: string
  environmentId: string
  revision: number
  deployedAt: string
  clientRoute: GroupRoute
  /** The members as deployed with the group, in the same transaction. */
  members: DeploymentSnapshot[]
}

/** Every deployed group snapshot of an environment; rows from before snapshots are skipped. */
export async function groupSnapshotsIn(
  db: Queryable,
  environmentId: string,
): Promise<GroupSnapshot[]> {
  const rows = await db
    .selectFrom('proxy_group_deployments')
    .select(['snapshot'])
    .where('environment_id', '=', environmentId)
    .where('snapshot', 'is not', null)
    .orderBy('group_id')
    .execute()
  return rows.map((r) => JSON.parse(r.snapshot as string) as GroupSnapshot)
}

const trimSlash = (p: string) => (p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p)
const withSlash = (p: string) => (p.startsWith('/') ? p : `/${p}`)

/** /shop + /orders -> /shop/orders; a member at / is the group's path itself. */
export function joinPaths(group: string, member: string): string {
  const head = trimSlash(withSlash(group))
  const tail = trimSlash(withSlash(member))
  if (tail === '/') return head
  return head === '/' ? tail : `${head}${tail}`
}

/** Upper-cased methods, or null for every method (none named, or ALL). */
export function methodsOf(list: readonly string[] | null | undefined): string[] | null {
  if (!list || list.length === 0) return null
  const upper = list.map((m) => m.toUpperCase())
  return upper.includes('ALL') ? null : upper
}

function bothMethods(a: string[] | null, b: string[] | null): string[] | null {
  if (a === null) return b
  if (b === null) return a
  return a.filter((m) => b.includes(m))
}

/**
 * The route a member answers under its group, as a proxy client route the gateway
 * compiles like any other; undefined when the two admit no common method (unreachable).
 */
export function memberRoute(
  group: GroupRoute,
  member: StoredClientRoute,
): StoredClientRoute | undefined {
  const methods = bothMethods(methodsOf(group.methodList), methodsOf(member.methodList))
  if (methods !== null && methods.length === 0) return undefined
  return {
    relativePathList: group.relativePathList.flatMap((g) =>
      member.relativePathList.map((m) => joinPaths(g, m)),
    ),
    virtualHostList: group.hostList?.length ? group.hostList : (member.virtualHostList ?? []),
    ...(methods === null ? {} : { methodList: methods }),
    headerList: [...(group.headerList ?? []), ...(member.headerList ?? [])],
  }
}

/** One route a deployed thing holds, and how to name that thing in a refusal. */
interface Claim {
  key: string
  holder: string
  name: string
  route: StoredClientRoute
}

export const proxyClaim = (s: DeploymentSnapshot): Claim => ({
  key: `proxy:${s.proxyId}`,
  holder: `API proxy '${s.proxyName}' (project '${s.projectName}')`,
  name: s.proxyName,
  route: s.clientRoute,
})

export function groupClaims(g: GroupSnapshot): Claim[] {
  return g.members.flatMap((m) => {
    const route = memberRoute(g.clientRoute, m.clientRoute)
    if (!route) return []
    return [
      {
        key: `group:${g.groupId}`,
        holder: `API proxy group '${g.groupName}' (project '${g.projectName}')`,
        name: g.groupName,
        route,
      },
    ]
  })
}

function methodsOverlap(a: readonly string[] | undefined, b: readonly string[] | undefined) {
  const x = methodsOf(a)
  const y = methodsOf(b)
  return x === null || y === null || x.some((m) => y.includes(m))
}
const sameHosts = (a: readonly string[], b: readonly string[]) => {
  const x = [...new Set(a.map((h) => h.toLowerCase()))].sort()
  const y = [...new Set(b.map((h) => h.toLowerCase()))].sort()
  return x.length === y.length && x.every((h, i) => h === y[i])
}

function clash(mine: StoredClientRoute, other: StoredClientRoute): string | undefined {
  if (!sameHosts(mine.virtualHostList ?? [], other.virtualHostList ?? [])) return undefined
  if (!methodsOverlap(mine.methodList, other.methodList)) return undefined
  const paths = new Set(mine.relativePathList.map(trimSlash))
  return other.relativePathList.map(trimSlash).find((p) => paths.has(p))
}

/**
 * Refuses routes that another deployed proxy or group of the environment already serves:
 * the same hosts, the same relative path, methods that overlap. A gateway could only
 * pick one of them at random. What `mine` replaces (its own key) is not compared.
 */
export async function assertNoRouteConflict(
  trx: Queryable,
  mine: readonly Claim[],
  environment: EnvironmentRow,
): Promise<void> {
  if (mine.length === 0) return
  const key = (mine[0] as Claim).key
  const deployed = [
    ...(await snapshotsIn(trx, environment.id)).map(proxyClaim),
    ...(await groupSnapshotsIn(trx, environment.id)).flatMap(groupClaims),
  ]
  for (const other of deployed) {
    if (other.key === key) continue
    for (const claim of mine) {
      const path = clash(claim.route, other.route)
      if (path === undefined) continue
      throw errors.conflict(
        `${other.holder} already serves relative path '${path}' for the same hosts and methods in environment '${environment.name}'; change the client route of one of them, or undeploy '${other.name}' first`,
      )
    }
  }
}
