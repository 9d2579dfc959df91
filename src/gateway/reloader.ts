import type { EventBus } from '../cluster/events.ts'
import type { DbHandle } from '../db/create-db.ts'
import type { HandlerState } from './handler.ts'
import { currentVersion, type LoadDeps, loadTable } from './loader.ts'
import { Pools } from './pools.ts'

/*
 * Keeps a node's routing table current. Triggers: the event bus (a deploy here, or a
 * reconnect after missed events), SQLite's data_version (another process committed),
 * and a slower version check. Reloads never overlap: one asked for during another runs
 * right after it. A failure keeps the last good table and is logged once, until a
 * reload succeeds again.
 */

export interface ReloaderLog {
  warn(obj: object, msg: string): void
  info(obj: object, msg: string): void
}

export class Reloader {
  private reloading: Promise<void> | null = null
  private again = false
  private checking = false
  private unreachable = false
  private readonly timers: NodeJS.Timeout[] = []
  private unsubscribe: () => void = () => {}
  /** Told the version of every table swapped in (the heartbeat reports it, the metric shows it). */
  onApplied: (version: number) => void = () => {}

  constructor(
    private readonly deps: LoadDeps,
    private readonly environment: { id: string; name: string },
    private readonly state: HandlerState & { readonly pools: Pools },
    private readonly log: ReloaderLog,
  ) {}

  watch(events: EventBus, store: DbHandle, versionCheckMs: number, dataVersionPollMs: number) {
    this.unsubscribe = events.subscribe((event) => {
      if (
        (event.type === 'deployments.changed' && event.environmentId === this.environment.id) ||
        event.type === 'cache.flush'
      )
        void this.reload()
    })
    this.timers.push(setInterval(() => void this.check(), versionCheckMs))
    const dataVersion = store.dataVersion
    if (dataVersion) {
      let seen = dataVersion()
      this.timers.push(
        setInterval(() => {
          const now = dataVersion()
          if (now === seen) return
          seen = now
          void this.check()
        }, dataVersionPollMs),
      )
    }
    for (const t of this.timers) t.unref()
  }

  reload(): Promise<void> {
    if (this.reloading) {
      this.again = true
      return this.reloading
    }
    this.reloading = (async () => {
      do {
        this.again = false
        await this.swap()
      } while (this.again)
      this.reloading = null
    })()
    return this.reloading
  }

  private async swap(): Promise<void> {
    try {
      const next = await loadTable(this.deps, this.environment)
      this.state.table = next
      this.onApplied(next.version)
      const inUse = new Set(
        next.proxies.flatMap((p) =>
          [p, ...p.endpointTargets.values()]
            .flatMap((target) => [...target.upstreams.values()])
            .concat(p.mirror?.upstreams ?? [])
            .map((u) => Pools.key(u.origin, p.connectTimeoutMs)),
        ),
      )
      this.state.pools.retain(inUse)
      if (this.unreachable)
        this.log.info({}, 'gateway: database reachable again, configuration reloaded')
      this.unreachable = false
    } catch (error) {
      this.down((error as Error).message)
    }
  }

  private down(reason: string): void {
    if (!this.unreachable)
      this.log.warn(
        { err: reason },
        'gateway: database unreachable; serving the last good configuration',
      )
    this.unreachable = true
  }

  /** Compares the version; while the database hangs, checks do not pile up. */
  async check(): Promise<void> {
    if (this.checking) return
    this.checking = true
    try {
      const version = await currentVersion(this.deps.db, this.environment.id)
      if (version !== this.state.table.version || this.unreachable) await this.reload()
    } catch (error) {
      this.down((error as Error).message)
    } finally {
      this.checking = false
    }
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t)
    this.unsubscribe()
    await this.reloading
  }
}
