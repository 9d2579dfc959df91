import { randomBytes } from 'node:crypto'
import type { FastifyBaseLogger, InjectOptions } from 'fastify'
import pg from 'pg'
import { buildApp, type Services } from '../src/app.ts'
import type { Clock } from '../src/clock.ts'
import { createLocalBus, type EventBus } from '../src/cluster/events.ts'
import { type Config, loadConfig } from '../src/config.ts'
import { createDb, type DbHandle, type Dialect } from '../src/db/create-db.ts'
import { migrateToLatest } from '../src/db/migrator.ts'
import type { Role } from '../src/identity/roles.ts'
import { issueToken } from '../src/identity/tokens.service.ts'
import { createUser } from '../src/identity/users.service.ts'
import { buildKeyRing, type KeyRing } from '../src/keys.ts'
import { ResponseConformance } from './conformance.ts'

/** A clock that moves only when a test moves it. */
export class FrozenClock implements Clock {
  private t: number
  constructor(start = '2026-01-15T10:00:00.000Z') {
    this.t = new Date(start).getTime()
  }
  now(): Date {
    return new Date(this.t)
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

/** A throwaway PostgreSQL schema, and a connection URL whose search_path points at it. */
export async function throwawaySchema(
  prefix: string,
): Promise<{ url: string; drop(): Promise<void> }> {
  const schema = `${prefix}_${randomBytes(6).toString('hex')}`
  const run = async (statement: string) => {
    const c = new pg.Client({ connectionString: PG_URL })
    await c.connect()
    await c.query(statement)
    await c.end()
  }
  await run(`CREATE SCHEMA ${schema}`)
  const url = new URL(PG_URL as string)
  url.searchParams.set('options', `-c search_path=${schema}`)
  return { url: url.toString(), drop: () => run(`DROP SCHEMA ${schema} CASCADE`) }
}

/** A fresh, migrated database: in-memory SQLite, or a throwaway PostgreSQL schema. */
export async function freshStore(dialect: Dialect): Promise<DbHandle & { drop(): Promise<void> }> {
  if (dialect === 'sqlite') {
    const store = createDb({ databaseUrl: undefined, sqlitePath: ':memory:', dataDir: '' })
    await migrateToLatest(store.db)
    return { ...store, drop: () => store.close() }
  }
  const schema = `t_${randomBytes(6).toString('hex')}`
  const admin = new pg.Client({ connectionString: PG_URL })
  await admin.connect()
  await admin.query(`CREATE SCHEMA ${schema}`)
  await admin.end()
  const url = new URL(PG_URL as string)
  url.searchParams.set('options', `-c search_path=${schema}`)
  const store = createDb({ databaseUrl: url.toString(), dataDir: '' })
  await migrateToLatest(store.db)
  return {
    ...store,
    async drop() {
      await store.close()
      const c = new pg.Client({ connectionString: PG_URL })
      await c.connect()
      await c.query(`DROP SCHEMA ${schema} CASCADE`)
      await c.end()
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
  } = {},
): Promise<TestContext> {
  const config = testConfig(options.env)
  const store = await freshStore(dialect)
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
    expiresAt: options.expiresAt ?? null,
  })
  return { token: issued.token, id: issued.view.id }
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

export const form = (fields: Record<string, string>) => ({
  headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
  payload: new URLSearchParams(fields).toString(),
})
