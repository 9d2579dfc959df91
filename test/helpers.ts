import { randomBytes } from 'node:crypto'
import type { FastifyBaseLogger, InjectOptions } from 'fastify'
import type { KyselyPlugin } from 'kysely'
import { buildApp } from '../src/app.ts'
import type { Clock } from '../src/clock.ts'
import { createLocalBus, type EventBus } from '../src/cluster/events.ts'
import type { Services } from '../src/composition.ts'
import { type Config, loadConfig } from '../src/config.ts'
import { createDb, type DbHandle, type Dialect } from '../src/db/create-db.ts'
import { migrateToLatest } from '../src/db/migrator.ts'
import { NEVER_EXPIRES } from '../src/identity/tokens/expiry.ts'
import { issueToken } from '../src/identity/tokens/tokens.service.ts'
import type { Role } from '../src/identity/users/roles.ts'
import { createUser } from '../src/identity/users/users.service.ts'
import { buildKeyRing, type KeyRing } from '../src/keys.ts'
import type { HostResolver } from '../src/outbound-connect.ts'
import { ResponseConformance } from './conformance.ts'
import { createThrowawaySchema, type ThrowawaySchema } from './pg-schema.ts'

/** Polls `check` until it holds; fails naming `what` after `timeoutMs`. */
export async function until(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 3000,
): Promise<void> {
  const end = performance.now() + timeoutMs
  while (!(await check())) {
    if (performance.now() > end) throw new Error(`timed out waiting until ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

/** A clock that moves only when a test moves it. */
export class FrozenClock implements Clock {
  private t: number
  constructor(start = '2026-01-15T10:00:00.000Z') {
    this.t = new Date(start).getTime()
  }
  now(): Date {
    return new Date(this.t)
  }
  nowMs(): number {
    return this.t
  }
  set(iso: string): void {
    this.t = new Date(iso).getTime()
  }
  advance(ms: number): void {
    this.t += ms
  }
}

export const PG_URL = process.env.APIOPS_TEST_PG_URL
export const REDIS_URL = process.env.APIOPS_TEST_REDIS_URL

/** Redis when APIOPS_TEST_REDIS_URL is set; in CI a missing Redis fails, never skips. */
export function redisUrl(): string | undefined {
  if (!REDIS_URL && process.env.CI) {
    throw new Error('CI must set APIOPS_TEST_REDIS_URL: the Redis tests may not be skipped')
  }
  return REDIS_URL
}

/**
 * SQLite always; PostgreSQL when APIOPS_TEST_PG_URL is set. In CI a missing database
 * is a failure, never a silent skip.
 */
export function dialects(): Dialect[] {
  if (!PG_URL && process.env.CI) {
    throw new Error('CI must set APIOPS_TEST_PG_URL: the PostgreSQL tests may not be skipped')
  }
  return PG_URL ? ['sqlite', 'postgres'] : ['sqlite']
}

/** A throwaway PostgreSQL schema on the test server. */
export function throwawaySchema(prefix: string): Promise<ThrowawaySchema> {
  return createThrowawaySchema(PG_URL as string, prefix)
}

/** A fresh, migrated database: in-memory SQLite, or a throwaway PostgreSQL schema. */
export async function freshStore(dialect: Dialect): Promise<DbHandle & { drop(): Promise<void> }> {
  if (dialect === 'sqlite') {
    const store = createDb({ databaseUrl: undefined, sqlitePath: ':memory:', dataDir: '' })
    await migrateToLatest(store.db)
    return { ...store, drop: () => store.close() }
  }
  const schema = await throwawaySchema('t')
  const store = createDb({ databaseUrl: schema.url, dataDir: '' })
  await migrateToLatest(store.db)
  return {
    ...store,
    async drop() {
      await store.close()
      await schema.drop()
    },
  }
}

export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({
    APIOPS_SECRET_KEY: randomBytes(32).toString('base64'),
    APIOPS_DATA_DIR: '/nonexistent',
    ...env,
  })
}

export interface TestContext {
  app: Awaited<ReturnType<typeof buildApp>>
  services: Services
  store: Awaited<ReturnType<typeof freshStore>>
  clock: FrozenClock
  config: Config
  keys: KeyRing
  events: EventBus
  close(): Promise<void>
}

export async function buildTestApp(
  dialect: Dialect,
  options: {
    env?: Record<string, string>
    events?: EventBus
    clock?: FrozenClock
    log?: FastifyBaseLogger
    /** The built console to serve; none by default, so tests do not depend on a build. */
    consoleDir?: string
    /** Kysely plugins on the app's connection, e.g. to watch the queries it makes. */
    plugins?: KyselyPlugin[]
    /** How spec hosts resolve: names that lead where a test wants. */
    resolveHost?: HostResolver
  } = {},
): Promise<TestContext> {
  const config = testConfig(options.env)
  const fresh = await freshStore(dialect)
  const db = (options.plugins ?? []).reduce((withPlugins, p) => withPlugins.withPlugin(p), fresh.db)
  const store = { ...fresh, db }
  const clock = options.clock ?? new FrozenClock()
  const keys = buildKeyRing(config.secretKey as Buffer, config.previousSecretKeys)
  const events = options.events ?? createLocalBus()
  const app = await buildApp({
    config,
    store,
    clock,
    events,
    keys,
    ...(options.log ? { log: options.log } : {}),
    ...(options.resolveHost ? { resolveHost: options.resolveHost } : {}),
    consoleDir: options.consoleDir ?? '/nonexistent',
  })
  await app.ready()
  await checkResponsesAgainstOpenApi(app)
  return {
    app,
    services: app.services,
    store,
    clock,
    config,
    keys,
    events,
    async close() {
      await app.close()
      await store.drop()
    },
  }
}

/**
 * Wraps app.inject so that every JSON answer in every test is validated against the
 * OpenAPI document's schema for it; a mismatch fails the test that received it.
 */
async function checkResponsesAgainstOpenApi(app: TestContext['app']): Promise<void> {
  const document = (await app.inject({ url: '/apiops/openapi.json' })).json()
  const conformance = new ResponseConformance(document)
  const inject = app.inject.bind(app)
  const checked = async (options: InjectOptions | string) => {
    const res = await inject(options)
    const opts = (typeof options === 'string' ? { url: options } : options) as {
      method?: string
      url?: string
    }
    const problem = conformance.check(
      (opts.method ?? 'GET').toUpperCase(),
      String(opts.url ?? '/'),
      res.statusCode,
      res.headers['content-type'] as string | undefined,
      res.body,
    )
    if (problem) throw new Error(problem)
    return res
  }
  ;(app as unknown as { inject: typeof checked }).inject = checked
}

export const PASSWORD = 'correct horse battery'

export async function makeUser(
  ctx: TestContext,
  username: string,
  roles: Role[] = [],
  password = PASSWORD,
) {
  return createUser(ctx.services, { username, password, roles })
}

/** A token made the way the CLI makes one; returns the secret string. */
export async function tokenFor(
  ctx: TestContext,
  userId: string,
  options: { name?: string; expiresAt?: Date | null } = {},
): Promise<{ token: string; id: string }> {
  const issued = await issueToken(ctx.services, {
    userId,
    name: options.name ?? 'test token',
    source: 'cli',
    expiresAt: options.expiresAt ?? NEVER_EXPIRES,
  })
  return { token: issued.token, id: issued.view.id }
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

export const form = (fields: Record<string, string>) => ({
  headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
  payload: new URLSearchParams(fields).toString(),
})

/** A console session, logged in through POST /apiops/session/: send `headers` with each call. */
export async function consoleSession(
  ctx: TestContext,
  username: string,
  password = PASSWORD,
): Promise<{ cookie: string; csrf: string; headers: Record<string, string> }> {
  const res = await ctx.app.inject({
    method: 'POST',
    url: '/apiops/session/',
    payload: { username, password },
  })
  if (res.statusCode !== 200) throw new Error(`login of ${username}: ${res.statusCode}`)
  const cookie = `apiops_session=${res.cookies.find((c) => c.name === 'apiops_session')?.value}`
  const csrf = res.json().csrfToken as string
  return { cookie, csrf, headers: { cookie, 'x-csrf-token': csrf } }
}
