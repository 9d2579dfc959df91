import { type Static, Type } from 'typebox'
import type { Clock } from '../../clock.ts'
import type { Queryable } from '../../db/types.ts'

/*
 * What the gateway nodes of an environment did with a change. Nodes announce themselves
 * in gateway_nodes (src/gateway/heartbeat.ts) with the configuration version they serve,
 * and beat again as soon as they apply a new one. After a deploy, redeploy or undeploy
 * commits, its answer waits a bounded time for every live node to report that version
 * or a later one, then says per node whether it did. A node not heard of for
 * NODE_STALE_MS is taken for gone and not waited for; with no live node at all, the
 * change is reported as accepted (committed; whatever node starts will serve it).
 */

/** How often a node refreshes its row when nothing changes. */
export const HEARTBEAT_MS = 10_000
/** Three missed beats: the node is gone (killed, or cut off from the database). */
export const NODE_STALE_MS = 3 * HEARTBEAT_MS

export interface ConfirmSettings {
  /** How long an answer waits for live nodes to report the new version (ms); 0: not at all. */
  waitMs: number
  /** How often their rows are read meanwhile (ms). */
  pollMs: number
}

export interface ConfirmDeps {
  db: Queryable
  clock: Clock
  gatewayConfirm: ConfirmSettings
}

export const NodeResultSchema = Type.Object({
  nodeId: Type.String({ description: 'The node, as it registered (one id per process start)' }),
  address: Type.String({ description: 'host:port the node listens on' }),
  status: Type.Union([Type.Literal('APPLIED'), Type.Literal('NOT_CONFIRMED')], {
    description: 'APPLIED: the node serves the change; NOT_CONFIRMED: it did not say so in time',
  }),
  configVersion: Type.Integer({ description: 'The version the node last reported' }),
})
export type NodeResult = Static<typeof NodeResultSchema>

export const GatewayStatusSchema = Type.Union(
  [Type.Literal('ACCEPTED'), Type.Literal('APPLIED'), Type.Literal('NOT_CONFIRMED')],
  {
    description:
      'ACCEPTED: committed, no live gateway node to confirm it; APPLIED: every live node serves it; NOT_CONFIRMED: some live node did not confirm in time (it catches up by itself)',
  },
)

/** What an environment's entry in a deploymentResult gains: the gateway nodes' answer. */
export const ConfirmationFields = {
  status: GatewayStatusSchema,
  nodeResults: Type.Array(NodeResultSchema, {
    description: 'One per live gateway node of the environment; empty when none is known',
  }),
}

export interface Confirmation {
  status: Static<typeof GatewayStatusSchema>
  nodeResults: NodeResult[]
}

function liveNodes(db: Queryable, environmentId: string, now: Date) {
  const since = new Date(now.getTime() - NODE_STALE_MS).toISOString()
  return db
    .selectFrom('gateway_nodes')
    .select(['id', 'address', 'config_version'])
    .where('environment_id', '=', environmentId)
    .where('last_seen_at', '>=', since)
    .orderBy('address')
    .orderBy('id')
    .execute()
}

type NodeRow = Awaited<ReturnType<typeof liveNodes>>[number]

function summarize(nodes: readonly NodeRow[], version: number): Confirmation {
  const nodeResults = nodes.map((n) => ({
    nodeId: n.id,
    address: n.address,
    status: Number(n.config_version) >= version ? ('APPLIED' as const) : ('NOT_CONFIRMED' as const),
    configVersion: Number(n.config_version),
  }))
  if (nodeResults.length === 0) return { status: 'ACCEPTED', nodeResults }
  const all = nodeResults.every((n) => n.status === 'APPLIED')
  return { status: all ? 'APPLIED' : 'NOT_CONFIRMED', nodeResults }
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Waits (up to waitMs of real time: other processes are being waited for) until every
 * live node of the environment reports `version` or later. Liveness is judged by the
 * injected clock. A database error while waiting ends the wait with what is known.
 */
export async function confirmOnNodes(
  deps: ConfirmDeps,
  environmentId: string,
  version: number,
): Promise<Confirmation> {
  const { waitMs, pollMs } = deps.gatewayConfirm
  const deadline = performance.now() + waitMs
  let nodes: NodeRow[] = []
  for (;;) {
    try {
      nodes = await liveNodes(deps.db, environmentId, deps.clock.now())
    } catch {
      return summarize(nodes, version)
    }
    const left = deadline - performance.now()
    if (left <= 0 || nodes.every((n) => Number(n.config_version) >= version))
      return summarize(nodes, version)
    await pause(Math.min(pollMs, left))
  }
}
