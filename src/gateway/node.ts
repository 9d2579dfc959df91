import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { hostname } from 'node:os'
import { type Clock, systemClock } from '../clock.ts'
import type { EventBus } from '../cluster/events.ts'
import type { DbHandle } from '../db/create-db.ts'
import { GatewayHandler, type HandlerState } from './handler.ts'
import { Heartbeat } from './heartbeat.ts'
import { environmentId, loadTable } from './loader.ts'
import { type MirrorObserver, Mirrors } from './mirror.ts'
import { Pools } from './pools.ts'
import { Reloader } from './reloader.ts'
import type { RoutingTable } from './table.ts'
import type { TrafficHook } from './traffic-hook.ts'
import type { UpstreamChooserFactory } from './upstreams/index.ts'

/*
 * A gateway node: serves every proxy deployed to one environment from its routing
 * table, and swaps in a new table when the environment's configuration version moves
 * on. It hears of a change from the event bus (LISTEN/NOTIFY on PostgreSQL, in-process
 * for the embedded gateway), from SQLite's data_version (another process committed),
 * and from a slower version check that catches whatever a lost message missed. While
 * the database is unreachable it keeps serving the last table it built.
 */

export interface GatewayLog {
  warn(obj: object, msg: string): void
  info(obj: object, msg: string): void
}

export interface GatewayOptions {
  store: DbHandle
  events: EventBus
  atRestKeys: readonly Buffer[]
  /** The environment served, by name. */
  environment: string
  /** 0: any free port (tests). */
  port: number
  host?: string
  /** Called once per completed request (the traffic recorder); none: nothing is built. */
  onCompleted?: TrafficHook
  /** Called per mirrored copy with what became of it (the mirror metric). */
  onMirrored?: MirrorObserver
  /** Called with the configuration version each time one is loaded, the first at start. */
  onApplied?: (version: number) => void
  chooserFactory?: UpstreamChooserFactory
  /** What breakers and cool-downs judge time by (systemClock unless a test freezes it). */
  clock?: Clock
  /** The cap on a body a proxy buffers (bufferRequest / bufferResponse), in bytes. */
  bufferLimit?: number
  log?: GatewayLog
  /** How often SQLite's data_version is read (ms). */
  dataVersionPollMs?: number
  /** How often the version is compared whatever the bus said (ms). */
  versionCheckMs?: number
}

export class GatewayStartError extends Error {}

export interface GatewayNode {
  readonly port: number
  readonly environmentId: string
  /** The configuration version being served. */
  readonly version: number
  readonly table: RoutingTable
  /** Reads the snapshots now and swaps the table (also what every trigger does). */
  reload(): Promise<void>
  close(): Promise<void>
}

const silent: GatewayLog = { warn() {}, info() {} }

async function firstTable(options: GatewayOptions) {
  const log = options.log ?? silent
  const deps = {
    db: options.store.db,
    atRestKeys: options.atRestKeys,
    chooserFactory: options.chooserFactory,
    clock: options.clock,
    bufferLimit: options.bufferLimit,
    skipped: (proxy: string, reason: string) =>
      log.warn({ proxy, reason }, 'gateway: a deployed API proxy is not served'),
  }
  let id: string | undefined
  try {
    id = await environmentId(options.store.db, options.environment)
  } catch (error) {
    throw new GatewayStartError(
      `cannot start the gateway: the database is unreachable (${(error as Error).message}); a gateway node needs it to load what is deployed`,
    )
  }
  if (id === undefined) {
    throw new GatewayStartError(
      `cannot start the gateway: environment '${options.environment}' does not exist; create it first (POST /apiops/environments/)`,
    )
  }
  const environment = { id, name: options.environment }
  return { deps, environment, table: await loadTable(deps, environment) }
}

export async function startGateway(options: GatewayOptions): Promise<GatewayNode> {
  const log = options.log ?? silent
  const { deps, environment, table } = await firstTable(options)
  const pools = new Pools()
  const state: HandlerState = {
    table,
    pools,
    onCompleted: options.onCompleted ?? null,
    mirrors: new Mirrors(pools, options.onMirrored),
  }
  const server: Server = createServer(
    { keepAliveTimeout: 65_000 },
    new GatewayHandler(state).handle,
  )

  const reloader = new Reloader(deps, environment, state, log)
  reloader.watch(
    options.events,
    options.store,
    options.versionCheckMs ?? 1000,
    options.dataVersionPollMs ?? 50,
  )

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port, options.host ?? '0.0.0.0', () => {
      server.off('error', reject)
      resolve()
    })
  })

  const port = (server.address() as AddressInfo).port
  const heartbeat = new Heartbeat(
    options.store.db,
    environment.id,
    `${hostname()}:${port}`,
    () => state.table.version,
    options.clock ?? systemClock,
  )
  const applied = options.onApplied ?? (() => {})
  applied(table.version)
  // Reported at once, so a deploy waiting for the nodes hears of it within milliseconds.
  reloader.onApplied = (version) => {
    applied(version)
    void heartbeat.beat()
  }
  heartbeat.start()

  return {
    port,
    environmentId: environment.id,
    get version() {
      return state.table.version
    },
    get table() {
      return state.table
    },
    reload: () => reloader.reload(),
    async close() {
      await reloader.stop()
      await heartbeat.stop()
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      server.closeIdleConnections()
      const force = setTimeout(() => server.closeAllConnections(), 2_000)
      await closed
      clearTimeout(force)
      await pools.close()
    },
  }
}
