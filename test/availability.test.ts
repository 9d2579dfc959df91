import { randomBytes } from 'node:crypto'
import { sql } from 'kysely'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../src/app.ts'
import { createLocalBus } from '../src/cluster/events.ts'
import { createDb } from '../src/db/create-db.ts'
import { migrateToLatest, migrations, SchemaTooNewError } from '../src/db/migrator.ts'
import { NEVER_EXPIRES } from '../src/identity/tokens/expiry.ts'
import { issueToken } from '../src/identity/tokens/tokens.service.ts'
import { createUser } from '../src/identity/users/users.service.ts'
import { buildKeyRing } from '../src/keys.ts'
import {
  bearer,
  dialects,
  FrozenClock,
  freshStore,
  PG_URL,
  testConfig,
  throwawaySchema,
} from './helpers.ts'
import { Relay } from './relay.ts'

describe.each(dialects())('readiness (%s)', (dialect) => {
  it('answers OK while the database answers', async () => {
    const store = await freshStore(dialect)
    const config = testConfig()
    const app = await buildApp({
      config,
      store,
      clock: new FrozenClock(),
      events: createLocalBus(),
      keys: buildKeyRing(config.secretKey as Buffer),
    })
    try {
      const res = await app.inject({ url: '/apiops/test/readiness' })
      expect(res.statusCode).toBe(200)
      expect(res.body).toBe('OK')
    } finally {
      await app.close()
      await store.drop()
    }
  })
})

describe('schema versions', () => {
  it('refuses to run against a database migrated by a newer apiops, saying so', async () => {
    const store = await freshStore('sqlite')
    try {
      await sql`insert into kysely_migration (name, timestamp) values ('9999_from_the_future', '2030-01-01')`.execute(
        store.db,
      )
      const error = await migrateToLatest(store.db).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(SchemaTooNewError)
      expect((error as Error).message).toMatch(/newer than this apiops build/)
    } finally {
      await store.drop()
    }
  })
})

describe.runIf(dialects().includes('postgres'))('migrating beside other schemas', () => {
  it('migrates although other schemas vanish while the catalogue is read', async () => {
    // Kysely's migrator reads every schema's catalogue; a schema another client drops
    // during that read failed it with 3F000 (seen in CI). Here a client drops schemas in
    // a loop while fresh schemas migrate.
    const churn = new pg.Client({ connectionString: PG_URL })
    await churn.connect()
    let churning = true
    const churner = (async () => {
      while (churning) {
        const name = `churn_${randomBytes(4).toString('hex')}`
        await churn.query(`CREATE SCHEMA ${name}; CREATE TABLE ${name}.t (id serial)`)
        await churn.query(`DROP SCHEMA ${name} CASCADE`)
      }
    })()
    try {
      for (let round = 0; round < 8; round++) {
        const store = await freshStoreUnmigrated()
        try {
          expect((await migrateToLatest(store.db)).sort()).toEqual(Object.keys(migrations).sort())
        } finally {
          await store.drop()
        }
      }
    } finally {
      churning = false
      await churner
      await churn.end()
    }
  })
})

async function freshStoreUnmigrated() {
  const schema = await throwawaySchema('race')
  const store = createDb({ databaseUrl: schema.url, dataDir: '' })
  return {
    db: store.db,
    async drop() {
      await store.close()
      await schema.drop()
    },
  }
}

describe.runIf(dialects().includes('postgres'))('PostgreSQL faults', () => {
  const schema = `fault_${randomBytes(5).toString('hex')}`
  const relay = new Relay(PG_URL as string, 5432)
  let app: Awaited<ReturnType<typeof buildApp>>
  let store: ReturnType<typeof createDb>
  let token: string

  beforeAll(async () => {
    const admin = new pg.Client({ connectionString: PG_URL })
    await admin.connect()
    await admin.query(`CREATE SCHEMA ${schema}`)
    await admin.end()
    await relay.start()
    const url = new URL(PG_URL as string)
    url.port = String(relay.port)
    url.hostname = '127.0.0.1'
    url.searchParams.set('options', `-c search_path=${schema}`)
    url.searchParams.set('connect_timeout', '2')
    store = createDb({ databaseUrl: url.toString(), dataDir: '' })
    // Two nodes starting at once: the migration lock lets exactly one of them migrate.
    const twin = createDb({ databaseUrl: url.toString(), dataDir: '' })
    const applied = await Promise.all([migrateToLatest(store.db), migrateToLatest(twin.db)])
    await twin.close()
    expect(applied.flat().sort()).toEqual(Object.keys(migrations).sort())
    const config = testConfig()
    const clock = new FrozenClock()
    const keys = buildKeyRing(config.secretKey as Buffer)
    app = await buildApp({ config, store, clock, events: createLocalBus(), keys })
    const user = await createUser(app.services, { username: 'alice', password: 'long enough pw' })
    token = (
      await issueToken(app.services, {
        userId: user.id,
        name: 't',
        source: 'cli',
        expiresAt: NEVER_EXPIRES,
      })
    ).token
  })

  afterAll(async () => {
    await app.close()
    await store.close()
    const admin = new pg.Client({ connectionString: PG_URL })
    await admin.connect()
    await admin.query(`DROP SCHEMA ${schema} CASCADE`)
    await admin.end()
  })

  it('answers 503 while the database is gone, never accepting a token it could not check, and recovers', async () => {
    const fresh = (
      await issueToken(app.services, {
        userId: (
          await app.services.db.selectFrom('users').select('id').executeTakeFirstOrThrow()
        ).id,
        name: 'cold',
        source: 'cli',
        expiresAt: NEVER_EXPIRES,
      })
    ).token
    expect((await app.inject({ url: '/apiops/me/', headers: bearer(token) })).statusCode).toBe(200)

    await relay.cut()
    // A token this node has never seen (cold cache) cannot be checked: 503, not 200 and not 401.
    const cold = await app.inject({ url: '/apiops/me/', headers: bearer(fresh) })
    expect(cold.statusCode).toBe(503)
    expect(cold.json()).toMatchObject({ error: 'service_unavailable' })
    expect(cold.headers['retry-after']).toBe('5')
    const ready = await app.inject({ url: '/apiops/test/readiness' })
    expect(ready.statusCode).toBe(503)
    // The token endpoint cannot write a token: 503, and nothing half-written later.
    const mint = await app.inject({
      method: 'POST',
      url: '/apiops/auth/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'grant_type=client_credentials&client_id=alice&client_secret=long+enough+pw',
    })
    expect(mint.statusCode).toBe(503)

    await relay.start()
    const back = await app.inject({ url: '/apiops/me/', headers: bearer(fresh) })
    expect(back.statusCode).toBe(200)
    expect((await app.inject({ url: '/apiops/test/readiness' })).statusCode).toBe(200)
    const tokens = await app.services.db.selectFrom('api_tokens').select('name').execute()
    expect(tokens.map((t) => t.name).sort()).toEqual(['cold', 't'])
  })
})
