import { randomBytes } from 'node:crypto'
import { expect } from 'vitest'
import { closeRedis, createRedis } from '../src/cluster/redis.ts'
import type { Dialect } from '../src/db/create-db.ts'
import { dialects, form, redisUrl, type TestContext } from './helpers.ts'

/**
 * Shared by the tests of the login throttle: the stores it runs on (each database, and
 * Redis when configured), the two logins, and what a lockout answer looks like.
 */

export interface StoreCase {
  name: string
  dialect: Dialect
  /** Settings that select the store; a fresh key prefix keeps runs apart in one Redis. */
  env: () => Record<string, string>
}

const prefixes: string[] = []
export const redisEnv = (): Record<string, string> => {
  const prefix = `test:${randomBytes(6).toString('hex')}:`
  prefixes.push(prefix)
  return { REDIS_URL: redisUrl() as string, APIOPS_REDIS_PREFIX: prefix }
}

/** Leaves the shared Redis as it was: every key under this file's prefixes goes. */
export async function forgetRedisPrefixes(): Promise<void> {
  if (prefixes.length === 0) return
  const redis = createRedis(redisUrl() as string, { prefix: '' })
  try {
    for (const prefix of prefixes) {
      const keys = await redis.keys(`${prefix}*`)
      if (keys.length > 0) await redis.del(...keys)
    }
  } finally {
    await closeRedis(redis)
  }
}

export const STORES: StoreCase[] = [
  ...dialects().map((dialect) => ({ name: `database, ${dialect}`, dialect, env: () => ({}) })),
  ...(redisUrl() ? [{ name: 'redis', dialect: 'sqlite' as const, env: redisEnv }] : []),
]

export const TOKEN_URL = '/apiops/auth/token'
export const WRONG = 'wrong password'

export type Injector = Pick<TestContext['app'], 'inject'>

export function tokenLogin(
  app: Injector,
  username: string,
  password: string,
  remoteAddress = '198.51.100.7',
  headers: Record<string, string> = {},
) {
  const f = form({ grant_type: 'client_credentials', client_id: username, client_secret: password })
  return app.inject({
    method: 'POST',
    url: TOKEN_URL,
    headers: { ...f.headers, ...headers },
    payload: f.payload,
    remoteAddress,
  })
}

export function consoleLogin(
  app: Injector,
  username: string,
  password: string,
  remoteAddress = '198.51.100.7',
  headers: Record<string, string> = {},
) {
  return app.inject({
    method: 'POST',
    url: '/apiops/session/',
    payload: { username, password },
    remoteAddress,
    headers,
  })
}

export type Res = Awaited<ReturnType<typeof tokenLogin>>

/** A 429 from the throttle: the body's retry_after and the Retry-After header agree. */
export function expectLocked(res: Res): number {
  expect(res.statusCode).toBe(429)
  const body = res.json()
  expect(Object.keys(body).sort()).toEqual(['error', 'error_description', 'retry_after'])
  expect(body.error).toBe('rate_limit_exceeded')
  expect(Number.isInteger(body.retry_after)).toBe(true)
  expect(body.retry_after).toBeGreaterThanOrEqual(1)
  expect(res.headers['retry-after']).toBe(String(body.retry_after))
  return body.retry_after
}

export function expectBadCredentials(res: Res): void {
  expect(res.statusCode).toBe(401)
  expect(res.json()).toEqual({ error: 'unauthorized_client', error_description: 'Bad credentials' })
}
