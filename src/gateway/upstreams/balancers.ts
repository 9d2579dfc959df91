/*
 * The documented load-balancing algorithms. Each picks an index among the addresses
 * for which `usable` holds, or -1. None allocates per pick; round robin and random are
 * O(1) while their first candidate is usable, the others O(addresses), which stay few.
 */

export type Usable = (i: number) => boolean

export interface Balancer {
  next(usable: Usable, hashKey: string | undefined): number
}

/** What the scanning algorithms read about each address. */
export interface PoolView {
  readonly size: number
  readonly weights: Int32Array
  /** Requests picked and not yet reported, per address. */
  readonly inFlight: Int32Array
  /** When each address was last picked, as a pick counter. */
  readonly lastPicked: Float64Array
}

/** From `start` onwards, wrapping: the first usable index, or -1. */
function firstUsableFrom(start: number, size: number, usable: Usable): number {
  for (let k = 0; k < size; k++) {
    const i = (start + k) % size
    if (usable(i)) return i
  }
  return -1
}

function roundRobin(pool: PoolView): Balancer {
  let cursor = 0
  return {
    next(usable) {
      const i = firstUsableFrom(cursor, pool.size, usable)
      if (i >= 0) cursor = i + 1 === pool.size ? 0 : i + 1
      return i
    },
  }
}

/**
 * nginx's smooth weighted round robin: over one cycle of sum(weights) picks each address
 * gets exactly its weight, interleaved rather than in runs. Only usable addresses take
 * part, so a skipped one's share goes to the others in proportion. Weight 0 takes no
 * share: such an address is a backup, picked only when no weighted one is usable.
 */
function weighted(pool: PoolView): Balancer {
  const current = new Float64Array(pool.size)
  return {
    next(usable) {
      let best = -1
      let total = 0
      for (let i = 0; i < pool.size; i++) {
        const weight = pool.weights[i] as number
        if (weight <= 0 || !usable(i)) continue
        current[i] = (current[i] as number) + weight
        total += weight
        if (best < 0 || (current[i] as number) > (current[best] as number)) best = i
      }
      if (best < 0) return firstUsableFrom(0, pool.size, usable)
      current[best] = (current[best] as number) - total
      return best
    },
  }
}

/** The fewest requests in flight; ties go round robin so equal addresses share the load. */
function leastConnections(pool: PoolView): Balancer {
  let cursor = 0
  return {
    next(usable) {
      let best = -1
      for (let k = 0; k < pool.size; k++) {
        const i = (cursor + k) % pool.size
        if (!usable(i)) continue
        if (best < 0 || (pool.inFlight[i] as number) < (pool.inFlight[best] as number)) best = i
      }
      if (best >= 0) cursor = (best + 1) % pool.size
      return best
    },
  }
}

/** Least recently used: the address picked longest ago (never-picked ones first, in order). */
function leastRecentlyUsed(pool: PoolView): Balancer {
  return {
    next(usable) {
      let best = -1
      for (let i = 0; i < pool.size; i++) {
        if (!usable(i)) continue
        if (best < 0 || (pool.lastPicked[i] as number) < (pool.lastPicked[best] as number)) best = i
      }
      return best
    },
  }
}

function random(pool: PoolView, source: () => number): Balancer {
  return {
    next(usable) {
      return firstUsableFrom(Math.floor(source() * pool.size), pool.size, usable)
    },
  }
}

function pickFirst(pool: PoolView): Balancer {
  return { next: (usable) => firstUsableFrom(0, pool.size, usable) }
}

/** FNV-1a over UTF-16 code units: cheap, stable across processes, well spread. */
export function fnv1a(key: string): number {
  let hash = 0x811c9dc5
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  return hash >>> 0
}

/**
 * The same key always lands on the same address while it is usable, and on the next one
 * in list order while it is not. Without a key (the forwarder did not pass one) it falls
 * back to round robin rather than sending everything to one address.
 */
function hashed(pool: PoolView): Balancer {
  const fallback = roundRobin(pool)
  return {
    next(usable, key) {
      if (key === undefined) return fallback.next(usable, key)
      return firstUsableFrom(fnv1a(key) % pool.size, pool.size, usable)
    },
  }
}

/** Unknown or unset names balance round robin, the documented default. */
export function createBalancer(
  algorithm: string | undefined,
  pool: PoolView,
  source: () => number,
): Balancer {
  switch (algorithm) {
    case 'WEIGHTED':
    case 'WEIGHTED_ROUND_ROBIN':
      return weighted(pool)
    case 'LEAST_CONNECTIONS':
      return leastConnections(pool)
    case 'LRU':
      return leastRecentlyUsed(pool)
    case 'RANDOM':
      return random(pool, source)
    case 'PICK_FIRST':
      return pickFirst(pool)
    case 'IP_HASH':
    case 'URL_HASH':
      return hashed(pool)
    default:
      return roundRobin(pool)
  }
}
