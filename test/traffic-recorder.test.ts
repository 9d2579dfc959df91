import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'kysely'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createDb, type DbHandle } from '../src/db/create-db.ts'
import { migrateToLatest } from '../src/db/migrator.ts'
import { TrafficRecorder } from '../src/traffic/traffic.recorder.ts'
import { purgeTraffic } from '../src/traffic/traffic.retention.ts'
import { SqliteTrafficWriter } from '../src/traffic/traffic-writer.ts'
import { trafficRecord } from './fixtures/traffic.ts'
import { dialects, FrozenClock, freshStore, until } from './helpers.ts'

/** The timer never fires on its own in these tests (but the one that checks it does). */
const NEVER = 3_600_000

describe.each(dialects())('traffic recorder on %s', (dialect) => {
  let store: Awaited<ReturnType<typeof freshStore>>
  const clock = new FrozenClock()
  const rows = async () => store.db.selectFrom('traffic').selectAll().orderBy('id').execute()

  beforeAll(async () => {
    store = await freshStore(dialect)
  })
  afterAll(async () => {
    await store.drop()
  })
  beforeEach(async () => {
    await store.db.deleteFrom('traffic').execute()
    clock.set('2026-01-15T10:00:00.000Z')
  })

  it('writes queued records in batches, in the order recorded, every field kept', async () => {
    const recorder = new TrafficRecorder(store.db, clock, { batchSize: 7, flushEveryMs: NEVER })
    const started = performance.now()
    for (let i = 0; i < 30; i++) recorder.record(trafficRecord(i, { status: 200 + i }))
    // record() returns before anything is written.
    expect(performance.now() - started).toBeLessThan(50)
    expect(recorder.queued).toBe(30)
    expect(await rows()).toHaveLength(0)
    expect(await recorder.flush()).toBe(30)
    const written = await rows()
    expect(written.map((r) => r.status)).toEqual(Array.from({ length: 30 }, (_, i) => 200 + i))
    expect(written[0]).toMatchObject({
      time: '2026-01-15T10:00:00.000Z',
      environment_id: 'env-1',
      environment_name: 'production',
      project_id: 'project-1',
      proxy_id: 'proxy-1',
      proxy_name: 'orders',
      endpoint: 'GET /orders/{id}',
      method: 'GET',
      total_ms: 1.5,
      upstream_ms: 1.25,
      client_address: '10.0.0.1',
      credential: null,
      upstream_address: '127.0.0.1:9000',
      error: null,
    })
    expect(Number(written[0]?.bytes_out)).toBe(200)
    expect(recorder.queued).toBe(0)
    expect(recorder.written).toBe(30)
    await recorder.close()
  })

  it('writes on its own timer', async () => {
    const recorder = new TrafficRecorder(store.db, clock, { flushEveryMs: 20 })
    recorder.record(trafficRecord(1))
    await until('the timer wrote the record', async () => (await rows()).length === 1)
    await recorder.close()
  })

  it('drops and counts records beyond the bound, keeping the first ones', async () => {
    const drops: number[] = []
    const recorder = new TrafficRecorder(
      store.db,
      clock,
      { maxQueue: 5, flushEveryMs: NEVER },
      { dropped: (n) => drops.push(n) },
    )
    for (let i = 0; i < 8; i++) recorder.record(trafficRecord(i, { status: 200 + i }))
    expect(recorder.queued).toBe(5)
    expect(recorder.dropped).toBe(3)
    expect(drops).toEqual([1, 1, 1])
    await recorder.flush()
    expect((await rows()).map((r) => r.status)).toEqual([200, 201, 202, 203, 204])
    await recorder.close()
  })

  it('keeps records while the database fails, backs off, and writes them when it returns', async () => {
    const failures: unknown[] = []
    const recorder = new TrafficRecorder(
      store.db,
      clock,
      { maxQueue: 10, batchSize: 4, flushEveryMs: 1000, maxBackoffMs: 4000 },
      { failed: (e) => failures.push(e) },
    )
    await sql`alter table traffic rename to traffic_away`.execute(store.db)
    try {
      for (let i = 0; i < 6; i++) recorder.record(trafficRecord(i, { status: 200 + i }))
      expect(await recorder.flush()).toBe(0)
      expect(failures).toHaveLength(1)
      expect(recorder.queued).toBe(6)
      // Backing off: no attempt until the clock passes the wait (1 s, then 2 s, ...).
      expect(await recorder.flush()).toBe(0)
      expect(failures).toHaveLength(1)
      clock.advance(1000)
      expect(await recorder.flush()).toBe(0)
      expect(failures).toHaveLength(2)
      clock.advance(1000)
      expect(await recorder.flush()).toBe(0)
      expect(failures).toHaveLength(2)
      // Still filling up to the bound, then dropping.
      for (let i = 6; i < 14; i++) recorder.record(trafficRecord(i, { status: 200 + i }))
      expect(recorder.queued).toBe(10)
      expect(recorder.dropped).toBe(4)
    } finally {
      await sql`alter table traffic_away rename to traffic`.execute(store.db)
    }
    clock.advance(1000)
    expect(await recorder.flush()).toBe(10)
    expect((await rows()).map((r) => r.status)).toEqual(
      Array.from({ length: 10 }, (_, i) => 200 + i),
    )
    // A success ends the backoff.
    recorder.record(trafficRecord(20))
    expect(await recorder.flush()).toBe(1)
    await recorder.close()
  })

  it('close() writes what is left and drops what comes after', async () => {
    const recorder = new TrafficRecorder(store.db, clock, { flushEveryMs: NEVER })
    recorder.record(trafficRecord(1))
    recorder.record(trafficRecord(2))
    await recorder.close()
    expect(await rows()).toHaveLength(2)
    recorder.record(trafficRecord(3))
    expect(recorder.dropped).toBe(1)
    expect(recorder.queued).toBe(0)
  })

  it('never throws on odd values: cut to the column bounds', async () => {
    const recorder = new TrafficRecorder(store.db, clock, { flushEveryMs: NEVER })
    recorder.record(
      trafficRecord(1, {
        endpoint: `GET /${'x'.repeat(2000)}`,
        totalMs: Number.NaN,
        bytesIn: -5,
        error: 'e'.repeat(500),
      }),
    )
    expect(await recorder.flush()).toBe(1)
    const [row] = await rows()
    expect(row?.endpoint).toHaveLength(600)
    expect(row?.total_ms).toBe(0)
    expect(Number(row?.bytes_in)).toBe(0)
    expect(row?.error).toHaveLength(64)
    await recorder.close()
  })

  it('retention deletes rows older than the setting, in slices, and keeps the rest', async () => {
    const recorder = new TrafficRecorder(store.db, clock, { flushEveryMs: NEVER })
    const day = 86_400_000
    const at = (daysAgo: number, i: number) =>
      new Date(clock.nowMs() - daysAgo * day + i).toISOString()
    for (let i = 0; i < 25; i++) recorder.record(trafficRecord(i, { time: at(31, i) }))
    for (let i = 0; i < 5; i++) recorder.record(trafficRecord(i, { time: at(29, i) }))
    await recorder.close()
    expect(await purgeTraffic({ db: store.db, clock }, 30, 10)).toBe(25)
    const left = await rows()
    expect(left).toHaveLength(5)
    expect(left.every((r) => r.time > at(30, 0))).toBe(true)
    expect(await purgeTraffic({ db: store.db, clock }, 30, 10)).toBe(0)
  })
})

describe('traffic written by a thread of its own (a SQLite file)', () => {
  let dir: string
  let store: DbHandle
  const rows = () => store.db.selectFrom('traffic').selectAll().orderBy('id').execute()

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'apiops-traffic-'))
    store = createDb({ databaseUrl: undefined, dataDir: dir })
    await migrateToLatest(store.db)
  })
  afterAll(async () => {
    await store.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('is the writer for a file, not for memory or PostgreSQL', async () => {
    expect(store.sqliteFile).toBe(join(dir, 'apiops.sqlite'))
    const memory = createDb({ databaseUrl: undefined, sqlitePath: ':memory:', dataDir: '' })
    expect(memory.sqliteFile).toBeUndefined()
    await memory.close()
  })

  it('writes each batch from its thread, in order, every field kept; the main connection reads them', async () => {
    const writer = new SqliteTrafficWriter(store.sqliteFile as string)
    const recorder = new TrafficRecorder(
      store.db,
      new FrozenClock(),
      { batchSize: 450, flushEveryMs: NEVER },
      {},
      writer.write,
    )
    // More rows than one statement takes (SQLITE_ROWS), in batches of 450.
    for (let i = 0; i < 1200; i++) recorder.record(trafficRecord(i, { status: 200 + (i % 300) }))
    expect(await recorder.flush()).toBe(1200)
    const written = await rows()
    expect(written.map((r) => r.status)).toEqual(
      Array.from({ length: 1200 }, (_, i) => 200 + (i % 300)),
    )
    expect(written[0]).toMatchObject({
      environment_name: 'production',
      proxy_name: 'orders',
      endpoint: 'GET /orders/{id}',
      upstream_address: '127.0.0.1:9000',
      error: null,
    })
    await recorder.close()
    await writer.close()
  })

  it('a failed write writes nothing and keeps the batch queued; the same thread writes it later', async () => {
    await store.db.deleteFrom('traffic').execute()
    const failures: string[] = []
    const writer = new SqliteTrafficWriter(store.sqliteFile as string)
    const recorder = new TrafficRecorder(
      store.db,
      new FrozenClock(),
      { batchSize: 10, flushEveryMs: NEVER },
      { failed: (error) => failures.push((error as Error).message) },
      writer.write,
    )
    for (let i = 0; i < 10; i++) recorder.record(trafficRecord(i))
    // The table gone while the thread writes: its transaction fails, nothing is written.
    await sql`alter table traffic rename to traffic_away`.execute(store.db)
    try {
      expect(await recorder.flush(true)).toBe(0)
    } finally {
      await sql`alter table traffic_away rename to traffic`.execute(store.db)
    }
    expect(failures).toEqual([expect.stringMatching(/no such table: traffic/)])
    expect(recorder.queued).toBe(10)
    expect(await rows()).toHaveLength(0)
    expect(await recorder.flush(true)).toBe(10)
    expect(await rows()).toHaveLength(10)
    await recorder.close()
    await writer.close()
    // A closed writer starts a new thread when asked again.
    await writer.write([trafficRecord(11)])
    expect(await rows()).toHaveLength(11)
    await writer.close()
  })
})
