import { Redis } from 'ioredis'

export type { Redis } from 'ioredis'

export interface RedisLogger {
  warn(obj: object, msg: string): void
  info(obj: object, msg: string): void
}

export interface RedisOptions {
  /** Prepended to every key (ioredis keyPrefix), so deployments can share one Redis. */
  prefix: string
  log?: RedisLogger | undefined
}

/** How long a command may take before the caller is told the store is unavailable. */
export const REDIS_COMMAND_TIMEOUT_MS = 1000
/** While Redis is down, say so in the log at most this often. */
const LOG_EVERY_MS = 30_000

/**
 * A Redis client tuned to fail fast rather than wait: what uses it (the login throttle,
 * per-token limits) must answer within a request, so a command that cannot be sent is
 * rejected after one reconnection attempt or a second at most, never queued for
 * minutes. The client keeps reconnecting in the background and recovers on its own.
 */
export function createRedis(url: string, options: RedisOptions): Redis {
  const client = new Redis(url, {
    keyPrefix: options.prefix,
    connectTimeout: 2000,
    commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
    // Commands issued while (re)connecting wait for that one attempt, then fail.
    maxRetriesPerRequest: 1,
    enableOfflineQueue: true,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
  })
  let lastWarned = 0
  let down = false
  // Without an 'error' listener, ioredis errors would crash the process.
  client.on('error', (error: Error) => {
    const now = Date.now()
    down = true
    if (now - lastWarned < LOG_EVERY_MS) return
    lastWarned = now
    options.log?.warn({ err: { message: error.message } }, 'Redis is unavailable; retrying')
  })
  client.on('ready', () => {
    if (down) options.log?.info({}, 'Redis is available again')
    down = false
  })
  return client
}

/** Closes politely when connected, at once otherwise (quit would wait for a reconnect). */
export async function closeRedis(client: Redis): Promise<void> {
  if (client.status === 'ready') {
    try {
      await client.quit()
      return
    } catch {
      // fall through
    }
  }
  client.disconnect()
}
