import type { Kysely } from 'kysely'
import type { Clock } from '../../clock.ts'
import { closeRedis, createRedis, type RedisLogger } from '../../cluster/redis.ts'
import type { Config } from '../../config.ts'
import type { Database } from '../../db/schema.ts'
import { createLoginThrottle, type LoginThrottle } from './throttle.ts'
import { RedisWindowStore, TokenRateLimiter } from './token-rate-limit.ts'

/**
 * The largest request head (request line and headers) a node accepts; larger answers
 * 431. Node's own default, stated here so NODE_OPTIONS cannot raise it unseen: an
 * apiops token, a session cookie and what proxies add fit many times over.
 */
export const MAX_HEADER_BYTES = 16 * 1024

/**
 * The revocation endpoint needs no credentials, so it is limited per address instead: a
 * person or a secret scanner submitting leaked tokens is far below this, and a client
 * hunting for live tokens learns nothing from it anyway (it always answers 200).
 */
export const REVOCATIONS_PER_MINUTE = 30

export interface Limits {
  /** Failed-login counts for the token endpoint and the console login. */
  login: LoginThrottle
  /** Requests per minute per API token. */
  tokens: TokenRateLimiter
  /** Tokens submitted to the revocation endpoint per minute per client address. */
  revocations: TokenRateLimiter
  close(): Promise<void>
}

/**
 * Brute-force and abuse limits, one set per app. With REDIS_URL the counts live in
 * Redis (shared by every node); without, failed logins live in the database (shared
 * too) and per-token counts on each node.
 */
export function createLimits(deps: {
  config: Config
  db: Kysely<Database>
  clock: Clock
  log: RedisLogger
  /** Requests per minute per token, read on every request (an administrator may change it). */
  tokenRateLimit: () => number
}): Limits {
  const { config } = deps
  const redis = config.redisUrl
    ? createRedis(config.redisUrl, { prefix: config.redisPrefix, log: deps.log })
    : undefined
  return {
    login: createLoginThrottle({ ...deps, redis }),
    tokens: new TokenRateLimiter(
      deps.clock,
      deps.tokenRateLimit,
      redis ? new RedisWindowStore(redis) : undefined,
      deps.log,
    ),
    revocations: new TokenRateLimiter(
      deps.clock,
      () => REVOCATIONS_PER_MINUTE,
      redis ? new RedisWindowStore(redis) : undefined,
      deps.log,
    ),
    close: async () => {
      if (redis) await closeRedis(redis)
    },
  }
}
