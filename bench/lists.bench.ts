/**
 * What a list and a create cost as the data grows: proxies of one project and the audit
 * log, at 100, 10,000 and 100,000 rows. Rows are seeded with bulk SQL (not HTTP: the
 * create path is measured separately); requests go through the app (app.inject) with a
 * real token, so each figure is what one request costs the node, parsing and auth
 * included. The goal: each cost within 2x of its cost at 100 rows.
 *
 *   npm run bench:lists                 # SQLite (a file with WAL, as the server runs)
 *   APIOPS_BENCH_PG_URL=postgres://... npm run bench:lists   # PostgreSQL as well
 *   LIST_BENCH_SIZES=100,10000 npm run bench:lists           # other sizes
 *   LIST_BENCH_DIALECTS=postgres npm run bench:lists         # one engine
 */
import { randomBytes, randomUUID } from 'node:crypto'
import { rmSync } from 'node:fs'

import { sql } from 'kysely'
import { buildApp } from '../src/app.ts'
import { systemClock } from '../src/clock.ts'
import { createLocalBus } from '../src/cluster/events.ts'
import { loadConfig } from '../src/config.ts'
import { createDb, type DbHandle, type Dialect } from '../src/db/create-db.ts'
import { migrateToLatest } from '../src/db/migrator.ts'
import { encodeCursor } from '../src/http/lists.ts'
import { NEVER_EXPIRES } from '../src/identity/tokens/expiry.ts'
import { issueToken } from '../src/identity/tokens/tokens.service.ts'
import { createUser } from '../src/identity/users/users.service.ts'
import { buildKeyRing } from '../src/keys.ts'
import { createThrowawaySchema } from '../test/pg-schema.ts'
import { makeTempDir } from './fixture.ts'

const SIZES = (process.env.LIST_BENCH_SIZES ?? '100,10000,100000').split(',').map(Number)
const PG_URL = process.env.APIOPS_BENCH_PG_URL
const WARMUP = 20
const ROUNDS = 100
const PAGE = 100
const SLICE = 2000
const P = '/apiops/projects/Bench'

/** A fresh, migrated database of the dialect, and how to throw it away. */
async function freshDb(dialect: Dialect): Promise<{ store: DbHandle; drop(): Promise<void> }> {
  if (dialect === 'sqlite') {
    const dir = makeTempDir()
    const store = createDb({ databaseUrl: undefined, dataDir: dir })
    await migrateToLatest(store.db)
    return { store, drop: async () => rmSync(dir, { recursive: true, force: true }) }
  }
  const schema = await createThrowawaySchema(PG_URL as string, 'bench')
  const store = createDb({ databaseUrl: schema.url, dataDir: '' })
  await migrateToLatest(store.db)
  return { store, drop: () => schema.drop() }
}

/** `n` proxies in the project and `n` audit events, a slice per statement. */
async function seed(store: DbHandle, projectId: string, n: number): Promise<void> {
  const now = new Date()
  for (let start = 0; start < n; start += SLICE) {
    const count = Math.min(SLICE, n - start)
    const proxies = Array.from({ length: count }, (_, i) => {
      const k = String(start + i).padStart(7, '0')
      return {
        id: randomUUID(),
        project_id: projectId,
        name: `proxy-${k}`,
        description: 'seeded',
        creation_type: 'REVERSE_PROXY',
        spec_url: null,
        client_route: JSON.stringify({ relativePathList: [`/seeded/${k}`], virtualHostList: [] }),
        routing: JSON.stringify({ routingEnabled: true, routingAddressList: [] }),
        revision: 1,
        created_at: now.toISOString(),
        updated_at: now.toISOString(),
        relative_path: `/seeded/${k}`,
      }
    })
    await store.db.transaction().execute(async (trx) => {
      await trx.insertInto('api_proxies').values(proxies).execute()
      await trx
        .insertInto('proxy_routes')
        .values(
          proxies.map((p) => ({ project_id: projectId, path: p.relative_path, proxy_id: p.id })),
        )
        .execute()
      await trx
        .insertInto('audit_events')
        .values(auditRows(start, count, now))
        .execute()
    })
  }
  // A table that took 100,000 rows at once is one autovacuum would visit next: settle
  // it now (visibility map, statistics) rather than measure while it runs.
  await sql.raw(store.dialect === 'postgres' ? 'VACUUM ANALYZE' : 'ANALYZE').execute(store.db)
}

const ACTIONS = ['createApiProxyFromUrl', 'deployApiProxy', 'createMyToken', 'grantRoles']

function auditRows(start: number, count: number, now: Date) {
  return Array.from({ length: count }, (_, i) => {
    const k = start + i
    // One event a second, ending an hour ago: older than anything the bench records.
    const at = new Date(now.getTime() - 3_600_000 - k * 1000).toISOString()
    return {
      id: `${(1e12 - k).toString(16).padStart(12, '0')}${randomBytes(10).toString('hex')}`,
      at,
      actor_user_id: null,
      actor_username: `user${k % 50}`,
      token_id: null,
      client_ip: '10.0.0.1',
      user_agent: 'bench',
      action: ACTIONS[k % ACTIONS.length] as string,
      target: `name=p${k}`,
      outcome: k % 7 === 0 ? 'denied' : 'success',
      status: k % 7 === 0 ? 403 : 200,
      folded_count: null,
      username_hash: null,
    }
  })
}

type App = Awaited<ReturnType<typeof buildApp>>

function requester(app: App, token: string) {
  return async (url: string, init: { method?: 'POST'; payload?: object } = {}) => {
    const res = await app.inject({ url, ...init, headers: { authorization: `Bearer ${token}` } })
    if (res.statusCode >= 300) throw new Error(`${url}: ${res.statusCode} ${res.body}`)
    return res
  }
}

/** The cursor that reads the list's last page: the key of the item just before it. */
async function lastPageCursors(store: DbHandle, projectId: string, n: number) {
  const before = Math.max(0, n - PAGE - 1)
  const proxy = await store.db
    .selectFrom('api_proxies')
    .select('name')
    .where('project_id', '=', projectId)
    .orderBy('name')
    .offset(before)
    .limit(1)
    .executeTakeFirstOrThrow()
  const event = await store.db
    .selectFrom('audit_events')
    .select(['at', 'id'])
    .orderBy('at', 'desc')
    .orderBy('id', 'desc')
    .offset(before)
    .limit(1)
    .executeTakeFirstOrThrow()
  return {
    proxies: encodeCursor('name,asc', [proxy.name]),
    audit: encodeCursor('at,desc', [event.at, event.id]),
  }
}

interface Fixture {
  n: number
  get: ReturnType<typeof requester>
  cursors: { proxies: string; audit: string }
  close(): Promise<void>
}

/** A database of `n` proxies and `n` events, and an app on it with an admin's token. */
async function fixture(dialect: Dialect, n: number): Promise<Fixture> {
  const { store, drop } = await freshDb(dialect)
  const secret = randomBytes(32)
  const config = loadConfig({
    APIOPS_SECRET_KEY: secret.toString('base64'),
    APIOPS_DATA_DIR: '/nonexistent',
    LOG_LEVEL: 'silent',
  })
  const app = await buildApp({
    config,
    store,
    clock: systemClock,
    events: createLocalBus(),
    keys: buildKeyRing(secret),
    consoleDir: '/nonexistent',
  })
  await app.ready()
  const admin = await createUser(app.services, {
    username: 'bench-admin',
    password: 'bench password 123',
    roles: ['ROLE_ADMIN'],
  })
  const { token } = await issueToken(app.services, {
    userId: admin.id as string,
    name: 'bench',
    source: 'cli',
    expiresAt: NEVER_EXPIRES,
  })
  const get = requester(app, token)
  await get('/apiops/projects/', { method: 'POST', payload: { name: 'Bench' } })
  const project = await store.db.selectFrom('projects').select('id').executeTakeFirstOrThrow()
  const t0 = performance.now()
  await seed(store, project.id, n)
  process.stderr.write(`  ${dialect} ${n}: seeded in ${Math.round(performance.now() - t0)} ms\n`)
  const cursors = await lastPageCursors(store, project.id, n)
  return {
    n,
    get,
    cursors,
    async close() {
      await app.close()
      await store.close()
      await drop()
    },
  }
}

type Operation = (f: Fixture, round: number) => Promise<unknown>

const q = `size=${PAGE}`
const lastPage = (f: Fixture) => Math.floor((f.n - 1) / PAGE)
const RUN = randomBytes(3).toString('hex')

/** What is timed, by name: one request each. */
const OPERATIONS: Record<string, Operation> = {
  'proxies: first page': (f) => f.get(`${P}/apiProxies/?${q}`),
  'proxies: last page (page=)': (f) => f.get(`${P}/apiProxies/?${q}&page=${lastPage(f)}`),
  'proxies: last page (after=)': (f) => f.get(`${P}/apiProxies/?${q}&after=${f.cursors.proxies}`),
  'proxies: create': (f, round) =>
    f.get(`${P}/apiProxies/url/`, {
      method: 'POST',
      payload: {
        apiProxyName: `new-${RUN}-${round}`,
        apiProxyCreationType: 'REVERSE_PROXY',
        clientRoute: { relativePathList: [`/new/${RUN}/${round}`] },
        routingInfo: { routingAddressList: [{ address: 'https://backend.internal' }] },
      },
    }),
  'audit: first page': (f) => f.get(`/apiops/audit/?${q}`),
  'audit: last page (page=)': (f) => f.get(`/apiops/audit/?${q}&page=${lastPage(f)}`),
  'audit: last page (after=)': (f) => f.get(`/apiops/audit/?${q}&after=${f.cursors.audit}`),
  // A quarter of the events match: pages of 20 are full at every size, 100 rows included.
  'audit: first page, action= (size 20)': (f) =>
    f.get('/apiops/audit/?size=20&action=deployApiProxy'),
}

/**
 * Median milliseconds of each operation on each fixture. Every round times every size
 * in turn (starting with a different one each round), so a burst of load elsewhere on
 * the machine falls on all sizes alike rather than on whichever ran that minute.
 */
async function measure(fixtures: Fixture[]): Promise<Map<number, Record<string, number>>> {
  const results = new Map(fixtures.map((f) => [f.n, {} as Record<string, number>]))
  let round = 0
  for (const [name, operation] of Object.entries(OPERATIONS)) {
    const times = new Map(fixtures.map((f) => [f.n, [] as number[]]))
    for (let r = -WARMUP; r < ROUNDS; r++) {
      for (let k = 0; k < fixtures.length; k++) {
        const f = fixtures[(r + WARMUP + k) % fixtures.length] as Fixture
        const t0 = performance.now()
        await operation(f, round++)
        if (r >= 0) times.get(f.n)?.push(performance.now() - t0)
      }
    }
    for (const [n, list] of times) {
      list.sort((a, b) => a - b)
      ;(results.get(n) as Record<string, number>)[name] = list[
        Math.floor(list.length / 2)
      ] as number
    }
  }
  return results
}

function print(dialect: Dialect, results: Map<number, Record<string, number>>) {
  const sizes = [...results.keys()]
  const base = results.get(sizes[0] as number) as Record<string, number>
  const head = ['', ...sizes.map((s) => `${s.toLocaleString('en')} rows`)]
  const rows = Object.keys(base).map((name) => [
    name,
    ...sizes.map((s) => {
      const ms = (results.get(s) as Record<string, number>)[name] as number
      const ratio = ms / (base[name] as number)
      return `${ms.toFixed(2)} ms (${ratio.toFixed(2)}x)`
    }),
  ])
  console.log(`\n${dialect}: median ms per request (ratio to ${sizes[0]} rows)`)
  console.log(`| ${head.join(' | ')} |`)
  console.log(`|${head.map(() => '---').join('|')}|`)
  for (const row of rows) console.log(`| ${row.join(' | ')} |`)
}

async function main() {
  const dialects = (
    process.env.LIST_BENCH_DIALECTS ?? (PG_URL ? 'sqlite,postgres' : 'sqlite')
  ).split(',') as Dialect[]
  for (const dialect of dialects) {
    const fixtures: Fixture[] = []
    try {
      for (const n of SIZES) fixtures.push(await fixture(dialect, n))
      print(dialect, await measure(fixtures))
    } finally {
      for (const f of fixtures) await f.close()
    }
  }
}

await main()
