import type { Registry } from 'prom-client'
import type { Clock } from '../clock.ts'
import type { DbHandle } from '../db/create-db.ts'
import { type GatewayMetrics, gatewayMetrics, proxyObserver } from '../metrics.ts'
import { keptRecord, type TrafficKeep, trafficKeep } from '../traffic/traffic.keep.ts'
import { TrafficRecorder } from '../traffic/traffic.recorder.ts'
import { SqliteTrafficWriter } from '../traffic/traffic-writer.ts'
import type { MirrorObserver } from './mirror.ts'
import type { LiveProxy } from './table.ts'
import type { CompletedRequest, TrafficHook } from './traffic-hook.ts'

/*
 * The gateway's traffic hook: each completed request becomes a metric observation and,
 * when a deployed proxy answered it, a traffic record as the proxy's traffic-log setting
 * allows. Per proxy, what to keep and the metric children are worked out once per
 * compiled table (a reload compiles new LiveProxy objects; the WeakMap lets old go).
 */

interface PerProxy {
  keep: TrafficKeep
  observe: ReturnType<typeof proxyObserver>
}

/** Faults that mean the upstream call failed, as the upstream-errors metric names them. */
const UPSTREAM_FAULTS: Readonly<Record<string, string>> = {
  BAD_GATEWAY: 'bad_gateway',
  GATEWAY_TIMEOUT: 'timeout',
}

export function trafficHook(recorder: TrafficRecorder, metrics: GatewayMetrics): TrafficHook {
  const perProxy = new WeakMap<LiveProxy, PerProxy>()
  const unmatched = new Map<string, ReturnType<typeof proxyObserver>>()
  const proxyState = (live: LiveProxy, environment: string): PerProxy => {
    let state = perProxy.get(live)
    if (!state) {
      state = {
        keep: trafficKeep(live.trafficLog, environment),
        observe: proxyObserver(metrics, {
          environment,
          project: live.projectName,
          proxy: live.name,
        }),
      }
      perProxy.set(live, state)
    }
    return state
  }
  return (c: CompletedRequest) => {
    const live = c.live
    if (live === null) {
      // No proxy: one series per environment, never one per requested path.
      let observe = unmatched.get(c.environment)
      if (!observe) {
        observe = proxyObserver(metrics, { environment: c.environment, project: '', proxy: '' })
        unmatched.set(c.environment, observe)
      }
      observe.request(c.status, c.totalMs / 1000)
      return
    }
    const state = proxyState(live, c.environment)
    state.observe.request(c.status, c.totalMs / 1000)
    const upstreamFault = c.error === null ? undefined : UPSTREAM_FAULTS[c.error]
    if (upstreamFault) state.observe.upstreamError(upstreamFault)
    recorder.record(
      keptRecord(
        {
          time: new Date(c.time).toISOString(),
          environmentId: live.environmentId,
          environmentName: c.environment,
          projectId: live.projectId,
          proxyId: live.id,
          proxyName: live.name,
          endpoint: c.endpoint === null ? null : `${c.method} ${c.endpoint}`,
          method: c.method,
          status: c.status,
          totalMs: c.totalMs,
          upstreamMs: c.upstreamMs,
          bytesIn: c.bytesIn,
          bytesOut: c.bytesOut,
          clientAddress: c.clientAddress,
          // Gateway authentication comes with policies (a later issue): none yet.
          credential: null,
          upstreamAddress: c.upstreamAddress,
          error: c.error,
        },
        state.keep,
      ),
    )
  }
}

export interface GatewayTraffic {
  hook: TrafficHook
  /** The gateway's metrics, for what the node reports beside traffic (its config version). */
  metrics: GatewayMetrics
  /** Counts mirrored copies (the node's onMirrored). */
  mirrored: (environment: string) => MirrorObserver
  /** Writes what is queued; call before the database closes. */
  close(): Promise<void>
}

/**
 * A recorder writing to `store` and the gateway's metrics in `registry`, joined by one
 * hook. `offThread`: a SQLite file is written from a thread of its own (traffic-writer.ts).
 * Only for a process with no management API: the thread's commits are another
 * connection's, which the Bearer check's cache takes for a CLI write (SQLite's
 * data_version) and answers by dropping every cached token, once a second.
 */
export function gatewayTraffic(
  store: Pick<DbHandle, 'db' | 'sqliteFile'>,
  clock: Clock,
  registry: Registry,
  log: { warn(obj: object, msg: string): void },
  offThread = false,
): GatewayTraffic {
  let recorder: TrafficRecorder | undefined
  const metrics = gatewayMetrics(registry, () => recorder?.queued ?? 0)
  const file = offThread ? store.sqliteFile : undefined
  const writer = file === undefined ? undefined : new SqliteTrafficWriter(file)
  recorder = new TrafficRecorder(
    store.db,
    clock,
    {},
    {
      dropped: (n) => metrics.trafficDropped.inc(n),
      failed: (error) =>
        log.warn({ err: (error as Error).message }, 'traffic records not written yet; will retry'),
    },
    writer?.write,
  )
  const written = recorder
  return {
    hook: trafficHook(written, metrics),
    metrics,
    mirrored: (environment) => (proxy, outcome) =>
      metrics.mirrored.inc({ environment, project: proxy.projectName, proxy: proxy.name, outcome }),
    close: async () => {
      await written.close()
      await writer?.close()
    },
  }
}
