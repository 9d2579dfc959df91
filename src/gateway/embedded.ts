import { randomUUID } from 'node:crypto'
import type { EventBus } from '../cluster/events.ts'
import type { DbHandle } from '../db/create-db.ts'
import {
  findEnvironmentByName,
  insertEnvironment,
} from '../resources/environments/environments.repository.ts'
import type { MirrorObserver } from './mirror.ts'
import { type GatewayLog, type GatewayNode, startGateway } from './node.ts'
import type { TrafficHook } from './traffic-hook.ts'

/*
 * The single-machine default: `npm start` serves the management API and, in the same
 * process, a gateway node for one environment, so a proxy deployed to `development`
 * answers on localhost:8081 with nothing else to run.
 */

export const DEFAULT_ENVIRONMENT = 'development'

export interface EmbeddedOptions {
  store: DbHandle
  events: EventBus
  atRestKeys: readonly Buffer[]
  port: number
  host: string
  environment: string
  now: () => Date
  log: GatewayLog
  onCompleted?: TrafficHook
  onMirrored?: MirrorObserver
  bufferLimit?: number
  onApplied?: (version: number) => void
}

/** Creates `development` (accessUrl http://localhost:<port>) when it is the one served and missing. */
async function ensureDefaultEnvironment(options: EmbeddedOptions): Promise<void> {
  if (options.environment !== DEFAULT_ENVIRONMENT) return
  if (await findEnvironmentByName(options.store.db, DEFAULT_ENVIRONMENT)) return
  const at = options.now().toISOString()
  await insertEnvironment(options.store.db, {
    id: randomUUID(),
    name: DEFAULT_ENVIRONMENT,
    description: 'Served by the gateway embedded in the management server',
    type: 'TEST',
    access_url: `http://localhost:${options.port}`,
    created_at: at,
    updated_at: at,
  })
  options.log.info(
    { environment: DEFAULT_ENVIRONMENT },
    'created environment "development" for the embedded gateway',
  )
}

export async function startEmbeddedGateway(options: EmbeddedOptions): Promise<GatewayNode> {
  await ensureDefaultEnvironment(options)
  return startGateway({
    store: options.store,
    events: options.events,
    atRestKeys: options.atRestKeys,
    environment: options.environment,
    port: options.port,
    host: options.host,
    log: options.log,
    ...(options.bufferLimit ? { bufferLimit: options.bufferLimit } : {}),
    ...(options.onCompleted ? { onCompleted: options.onCompleted } : {}),
    ...(options.onMirrored ? { onMirrored: options.onMirrored } : {}),
    ...(options.onApplied ? { onApplied: options.onApplied } : {}),
  })
}
