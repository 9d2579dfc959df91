import type { Clock } from '../../clock.ts'
import type { EventBus } from '../../cluster/events.ts'
import type { ApiTokenRow } from '../../db/schema.ts'
import type { Role } from '../users/roles.ts'

export interface CachedUser {
  readonly id: string
  readonly username: string
  readonly disabled: boolean
  readonly roles: ReadonlySet<Role>
}

/** How often, at most, the SQLite store is asked whether another process wrote. */
const SYNC_EVERY_MS = 25

interface Entry<V> {
  value: V
  storedAt: number
}

/**
 * A Map in insertion order: when full, the oldest entry goes first. Hits do not
 * re-insert (that would cost two Map writes on every request); an entry lives at most
 * the TTL anyway, and a hot token evicted by a flood of others is simply read again.
 */
class BoundedCache<V> {
  private readonly map = new Map<string, Entry<V>>()
  constructor(
    private readonly maxEntries: number,
    private readonly ttlMs: number,
    private readonly clock: Clock,
  ) {}

  /** `nowMs` saves a clock read when the caller already has the time. */
  get(key: string, nowMs = this.clock.now().getTime()): V | undefined {
    const entry = this.map.get(key)
    if (!entry) return undefined
    if (nowMs - entry.storedAt >= this.ttlMs) {
      this.map.delete(key)
      return undefined
    }
    return entry.value
  }

  set(key: string, value: V): void {
    this.map.delete(key)
    this.map.set(key, { value, storedAt: this.clock.now().getTime() })
    if (this.map.size > this.maxEntries) {
      const oldest = this.map.keys().next().value
      if (oldest !== undefined) this.map.delete(oldest)
    }
  }

  delete(key: string): void {
    this.map.delete(key)
  }

  deleteWhere(predicate: (value: V) => boolean): void {
    for (const [key, entry] of this.map) if (predicate(entry.value)) this.map.delete(key)
  }

  clear(): void {
    this.map.clear()
  }

  get size(): number {
    return this.map.size
  }
}

export interface AuthCacheOptions {
  maxTokens?: number
  maxUsers?: number
  /** Upper bound on staleness if an invalidation event is ever missed. */
  ttlMs?: number
  /**
   * SQLite's data_version: changes when another process (the CLI) commits. Checked on
   * lookups (at most every 25 ms), so a CLI revocation is honoured within 25 ms.
   */
  dataVersion?: (() => number) | undefined
}

/**
 * Token rows and users for the Bearer hot path. Correctness does not rest on the TTL:
 * every change that can invalidate an entry publishes an event and every node evicts
 * on it; the TTL only bounds the damage if the bus is down.
 */
export class AuthCache {
  readonly tokens: BoundedCache<ApiTokenRow>
  readonly users: BoundedCache<CachedUser>
  private readonly unsubscribe: () => void
  private readonly dataVersion: (() => number) | undefined
  private lastDataVersion: number | undefined
  private lastSyncAt = 0

  constructor(clock: Clock, events: EventBus, options: AuthCacheOptions = {}) {
    const ttl = options.ttlMs ?? 30_000
    this.tokens = new BoundedCache(options.maxTokens ?? 50_000, ttl, clock)
    this.users = new BoundedCache(options.maxUsers ?? 10_000, ttl, clock)
    this.dataVersion = options.dataVersion
    this.lastDataVersion = this.dataVersion?.()
    this.unsubscribe = events.subscribe((event) => {
      switch (event.type) {
        case 'token.revoked':
          this.tokens.delete(event.tokenId)
          break
        case 'user.changed':
          this.users.delete(event.userId)
          break
        case 'user.tokens-revoked':
          this.tokens.deleteWhere((row) => row.user_id === event.userId)
          break
        case 'cache.flush':
          this.clear()
          break
      }
    })
  }

  clear(): void {
    this.tokens.clear()
    this.users.clear()
  }

  /** Drops everything if another process wrote to the store since the last look. */
  syncWithStore(): void {
    if (!this.dataVersion) return
    // Asking SQLite costs more than the rest of a cache hit, so ask at most every
    // SYNC_EVERY_MS: another process's write (the CLI) is seen within that, like an
    // event from another node; this process's own writes evict through events at once.
    // Real time, not the injected clock: this is a polling rate, not a rule.
    const now = Date.now()
    if (now - this.lastSyncAt < SYNC_EVERY_MS) return
    this.lastSyncAt = now
    const version = this.dataVersion()
    if (version !== this.lastDataVersion) {
      this.lastDataVersion = version
      this.clear()
    }
  }

  close(): void {
    this.unsubscribe()
  }
}
