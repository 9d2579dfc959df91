import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Clock } from '../../clock.ts'
import type { Redis } from '../../cluster/redis.ts'
import { errors } from '../../errors.ts'
import type { ThrottleLogger } from './throttle.ts'

/**
 * A per-token request rate limit (APIOPS_TOKEN_RATE_LIMIT requests per minute, 0 = off),
 * judged after Bearer authentication, so it counts per token id whoever presents it.
 *
 * Sliding-window counter: the estimate is this minute's count plus last minute's,
 * weighted by how much of last minute the sliding window still covers. Unlike a fixed
 * window it does not let a client send twice the limit across a minute boundary, and
 * it needs only two counters per token. Refused requests are not counted.
 *
 * With Redis the counters are shared by every node. Without it (or while Redis is
 * down) each node counts on its own, so N nodes allow up to N times the limit: this
 * limit protects capacity, not secrets, so a Redis outage degrades it to per-node
 * instead of refusing every authenticated request (unlike the login throttle, which
 * refuses with 503).
 */

export const WINDOW_MS = 60_000

export interface WindowCounts {
  allowed: boolean
  /** Requests counted in the previous and in the current window (after this one). */
  previous: number
  current: number
}

export interface WindowStore {
  /** Counts one request in the window starting at windowStart, unless over the limit. */
  take(
    key: string,
    windowStart: number,
    elapsed: number,
    windowMs: number,
    limit: number,
  ): Promise<WindowCounts>
}

/** The sliding estimate, shared by both stores (the Redis script mirrors it). */
export function estimate(previous: number, current: number, elapsed: number, windowMs: number) {
  return (previous * (windowMs - elapsed)) / windowMs + current
}

/** Milliseconds until a refused request would be allowed, if no other request came. */
export function waitMs(
  counts: { previous: number; current: number },
  elapsed: number,
  windowMs: number,
  limit: number,
): number {
  if (counts.current >= limit) {
    // Into the next window, until this window's count (weighted) drops below the limit.
    const into = Math.floor(windowMs * (1 - limit / counts.current)) + 1
    return windowMs - elapsed + into
  }
  const at = Math.floor(windowMs * (1 - (limit - counts.current) / counts.previous)) + 1
  return Math.max(1, at - elapsed)
}

/** This node's counters; windows older than the previous one are dropped as it goes. */
export class MemoryWindowStore implements WindowStore {
  private readonly windows = new Map<string, { start: number; previous: number; current: number }>()
  private prunedAt = 0

  async take(
    key: string,
    windowStart: number,
    elapsed: number,
    windowMs: number,
    limit: number,
  ): Promise<WindowCounts> {
    this.prune(windowStart, windowMs)
    let entry = this.windows.get(key)
    if (!entry || entry.start !== windowStart) {
      const previous = entry?.start === windowStart - windowMs ? entry.current : 0
      entry = { start: windowStart, previous, current: 0 }
      this.windows.set(key, entry)
    }
    const allowed = estimate(entry.previous, entry.current, elapsed, windowMs) < limit
    if (allowed) entry.current += 1
    return { allowed, previous: entry.previous, current: entry.current }
  }

  private prune(windowStart: number, windowMs: number): void {
    if (this.prunedAt === windowStart) return
    this.prunedAt = windowStart
    for (const [key, entry] of this.windows) {
      if (entry.start < windowStart - windowMs) this.windows.delete(key)
    }
  }
}

const TAKE_SCRIPT = `
local previous = tonumber(redis.call('GET', KEYS[2]) or '0')
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local elapsed = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
if previous * (window - elapsed) / window + current < limit then
  current = redis.call('INCR', KEYS[1])
  redis.call('PEXPIRE', KEYS[1], string.format('%d', 2 * window + 60000))
  return {1, previous, current}
end
return {0, previous, current}
`

type TakeCommand = (
  current: string,
  previous: string,
  elapsed: number,
  windowMs: number,
  limit: number,
) => Promise<[number, number, number]>

/** Counters shared through Redis: `<prefix>rate:{<token id>}:<window start>`. */
export class RedisWindowStore implements WindowStore {
  constructor(private readonly redis: Redis) {
    redis.defineCommand('apiopsRateTake', { numberOfKeys: 2, lua: TAKE_SCRIPT })
  }

  async take(
    key: string,
    windowStart: number,
    elapsed: number,
    windowMs: number,
    limit: number,
  ): Promise<WindowCounts> {
    // The braces put both windows of one token in one Redis Cluster slot.
    const name = (start: number) => `rate:{${key}}:${start}`
    const take = (this.redis as unknown as { apiopsRateTake: TakeCommand }).apiopsRateTake
    const [allowed, previous, current] = await take.call(
      this.redis,
      name(windowStart),
      name(windowStart - windowMs),
      elapsed,
      windowMs,
      limit,
    )
    return { allowed: allowed === 1, previous: Number(previous), current: Number(current) }
  }
}

export interface RateDecision {
  allowed: boolean
  limit: number
  remaining: number
  /** Whole seconds until a refused request would be allowed. */
  retryAfter: number
}

/** While Redis is down, say so in the log at most this often. */
const LOG_EVERY_MS = 30_000

export class TokenRateLimiter {
  private readonly local = new MemoryWindowStore()
  private lastWarned = 0

  constructor(
    private readonly clock: Clock,
    /** Requests per minute per token, read on every request; 0 means no limit. */
    private readonly limit: () => number,
    private readonly shared?: WindowStore,
    private readonly log?: ThrottleLogger,
  ) {}

  get enabled(): boolean {
    return this.limit() > 0
  }

  /** Counts a request of this token; undefined when no limit is set. */
  async take(tokenId: string): Promise<RateDecision | undefined> {
    const limit = this.limit()
    if (limit <= 0) return undefined
    const now = this.clock.now().getTime()
    const windowStart = now - (now % WINDOW_MS)
    const elapsed = now - windowStart
    const counts = await this.count(tokenId, windowStart, elapsed, limit)
    const remaining = Math.max(
      0,
      Math.floor(limit - estimate(counts.previous, counts.current, elapsed, WINDOW_MS)),
    )
    return {
      allowed: counts.allowed,
      limit,
      remaining,
      retryAfter: counts.allowed ? 0 : Math.ceil(waitMs(counts, elapsed, WINDOW_MS, limit) / 1000),
    }
  }

  private async count(tokenId: string, windowStart: number, elapsed: number, limit: number) {
    if (this.shared) {
      try {
        return await this.shared.take(tokenId, windowStart, elapsed, WINDOW_MS, limit)
      } catch (error) {
        const now = Date.now()
        if (now - this.lastWarned >= LOG_EVERY_MS) {
          this.lastWarned = now
          this.log?.warn(
            { err: error },
            'per-token rate limit: Redis is unavailable, counting on this node only',
          )
        }
      }
    }
    return this.local.take(tokenId, windowStart, elapsed, WINDOW_MS, limit)
  }
}

/**
 * Runs right after authentication (installAuth's afterAuth): requests made with a
 * token are counted against it; console sessions and open routes are not limited.
 * While no limit is set it answers synchronously, so it costs no promise.
 */
export function tokenRateLimitHook(
  limiter: TokenRateLimiter,
): (request: FastifyRequest, reply: FastifyReply) => void | Promise<void> {
  const limited = async (reply: FastifyReply, tokenId: string) => {
    const decision = await limiter.take(tokenId)
    if (!decision) return
    reply.header('x-ratelimit-limit', String(decision.limit))
    reply.header('x-ratelimit-remaining', String(decision.remaining))
    if (!decision.allowed) {
      throw errors.rateLimited(
        decision.retryAfter,
        `This token is limited to ${decision.limit} requests per minute`,
      )
    }
  }
  return (request, reply) => {
    const tokenId = request.principal?.tokenId
    if (!tokenId || !limiter.enabled) return
    return limited(reply, tokenId)
  }
}
