import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildApp } from '../src/app.ts'
import { createLocalBus, type EventBus } from '../src/cluster/events.ts'
import { createPgBus } from '../src/cluster/pg-bus.ts'
import { createDb, type DbHandle } from '../src/db/create-db.ts'
import { migrateToLatest } from '../src/db/migrator.ts'
import { buildKeyRing } from '../src/keys.ts'
import type { Upstream } from './gateway-upstream.ts'
import { bearer, FrozenClock, makeUser, PG_URL, testConfig, tokenFor } from './helpers.ts'
import { createThrowawaySchema, schemaUrl, type ThrowawaySchema } from './pg-schema.ts'
import type { Relay } from './relay.ts'

/*
 * The management API in this process over a database that real gateway processes
 * (test/gateway-process.ts) read too: SQLite file or a throwaway PostgreSQL schema,
 * optionally reached by the gateways through a relay that a test can cut.
 */

const quiet = { warn() {}, info() {} }

export interface World {
  app: Awaited<ReturnType<typeof buildApp>>
  store: DbHandle
  events: EventBus
  env: Record<string, string>
  token: string
  close(): Promise<void>
}

export async function world(
  kind: 'sqlite' | 'postgres',
  relay?: Relay,
  extraConfig: Record<string, string> = {},
): Promise<World & { schema?: ThrowawaySchema }> {
  const secret = randomBytes(32).toString('base64')
  const config = testConfig({ APIOPS_SECRET_KEY: secret, ...extraConfig })
  const keys = buildKeyRing(config.secretKey as Buffer, [])
  let store: DbHandle
  let env: Record<string, string>
  let schema: ThrowawaySchema | undefined
  let dir: string | undefined
  if (kind === 'sqlite') {
    dir = mkdtempSync(join(tmpdir(), 'apiops-gw-'))
    store = createDb({ databaseUrl: undefined, dataDir: dir })
    env = { APIOPS_DATA_DIR: dir, APIOPS_SECRET_KEY: secret }
  } else {
    schema = await createThrowawaySchema(PG_URL as string, 'gw')
    store = createDb({ databaseUrl: schema.url, dataDir: '' })
    const through = relay
      ? schemaUrl(PG_URL as string, schema.name, { port: relay.port, connectTimeoutSeconds: 2 })
      : schema.url
    env = { DATABASE_URL: through, APIOPS_SECRET_KEY: secret, APIOPS_DATA_DIR: '/nonexistent' }
  }
  await migrateToLatest(store.db)
  const events = store.pgPool ? createPgBus(store.pgPool, quiet) : createLocalBus()
  const app = await buildApp({
    config,
    store,
    clock: new FrozenClock(),
    events,
    keys,
    consoleDir: '/nonexistent',
  })
  await app.ready()
  const ctx = { app, services: app.services } as unknown as Parameters<typeof makeUser>[0]
  const token = (await tokenFor(ctx, (await makeUser(ctx, 'root', ['ROLE_ADMIN'])).id)).token
  return {
    app,
    store,
    events,
    env,
    token,
    schema,
    async close() {
      await app.close()
      await events.close()
      await store.close()
      await schema?.drop()
      if (dir) rmSync(dir, { recursive: true, force: true })
    },
  }
}

export async function call(w: World, method: 'POST' | 'DELETE', url: string, payload?: object) {
  const res = await w.app.inject({
    method,
    url,
    headers: bearer(w.token),
    ...(payload ? { payload } : {}),
  })
  if (res.statusCode >= 300) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`)
}

export async function setUp(w: World, upstream: Upstream) {
  await call(w, 'POST', '/apiops/projects/', { name: 'Shop' })
  await call(w, 'POST', '/apiops/environments/', {
    name: 'live',
    type: 'TEST',
    accessUrl: 'http://localhost:8081',
    projects: ['Shop'],
  })
  for (const name of ['steady', 'moving']) {
    await call(w, 'POST', '/apiops/projects/Shop/apiProxies/url/', {
      apiProxyName: name,
      apiProxyCreationType: 'REVERSE_PROXY',
      routingInfo: { routingAddressList: [{ address: upstream.url }] },
    })
  }
  await call(w, 'POST', '/apiops/projects/Shop/apiProxies/steady/environments/live/')
}
