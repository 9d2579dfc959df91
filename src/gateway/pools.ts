import { Pool } from 'undici'
import type { Upstream } from './upstreams/index.ts'

/*
 * One keep-alive pool per upstream origin (and connect timeout, a pool-wide option),
 * shared across routing-table swaps so a redeploy does not drop warm connections.
 * Pools no table uses any more are closed gracefully (in-flight requests finish).
 */

const MAX_CONNECTIONS = 256

export class Pools {
  private readonly pools = new Map<string, Pool>()
  /** Each table's upstream to its pool: the per-request lookup without building the key. */
  private readonly byUpstream = new WeakMap<Upstream, Pool>()

  /** The pool for `upstream` of a proxy with this connect timeout (one per upstream object). */
  forUpstream(upstream: Upstream, connectTimeoutMs: number): Pool {
    const known = this.byUpstream.get(upstream)
    // A pool retain() closed (no table uses it now) is never handed out again.
    if (known !== undefined && !known.closed && !known.destroyed) return known
    const pool = this.get(upstream.origin, connectTimeoutMs)
    this.byUpstream.set(upstream, pool)
    return pool
  }

  get(origin: string, connectTimeoutMs: number): Pool {
    const key = `${connectTimeoutMs} ${origin}`
    let pool = this.pools.get(key)
    if (pool === undefined) {
      pool = new Pool(origin, {
        connections: MAX_CONNECTIONS,
        pipelining: 1,
        keepAliveTimeout: 4_000,
        connect: { timeout: connectTimeoutMs },
      })
      // An idle socket's error must never surface as an unhandled event.
      pool.on('connectionError', () => {})
      this.pools.set(key, pool)
    }
    return pool
  }

  /** Closes the pools whose key is not among those still in use. */
  retain(inUse: ReadonlySet<string>): void {
    for (const [key, pool] of this.pools) {
      if (inUse.has(key)) continue
      this.pools.delete(key)
      pool.close().catch(() => {})
    }
  }

  static key(origin: string, connectTimeoutMs: number): string {
    return `${connectTimeoutMs} ${origin}`
  }

  async close(): Promise<void> {
    const all = [...this.pools.values()]
    this.pools.clear()
    await Promise.all(all.map((p) => p.destroy().catch(() => {})))
  }
}
