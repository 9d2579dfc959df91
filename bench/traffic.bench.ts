import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { systemClock } from '../src/clock.ts'
import { createDb, type DbHandle } from '../src/db/create-db.ts'
import { migrateToLatest } from '../src/db/migrator.ts'
import { TrafficRecorder } from '../src/traffic/traffic.recorder.ts'
import { trafficRecord } from '../test/fixtures/traffic.ts'
import { createThrowawaySchema } from '../test/pg-schema.ts'

/*
 * The traffic recorder's two costs: record() on the request path (ns per call, queue
 * filling, and when full so dropping), and flush throughput (rows/s) into a SQLite file
 * (WAL, as the server runs it) and PostgreSQL.
 *
 *   npm run bench:traffic       # PostgreSQL from APIOPS_TEST_PG_URL, if set
 */

const N = 200_000
const ROWS = 100_000

function recordCost(): void {
  const records = Array.from({ length: 1000 }, (_, i) => trafficRecord(i))
  // A recorder whose database is never reached: only record() is timed.
  const db = createDb({ databaseUrl: undefined, sqlitePath: ':memory:', dataDir: '' })
  for (const [label, maxQueue] of [
    ['queueing', N * 2],
    ['dropping (queue full)', 0],
  ] as const) {
    const recorder = new TrafficRecorder(db.db, systemClock, { maxQueue, flushEveryMs: 3_600_000 })
    for (let i = 0; i < 10_000; i++) recorder.record(records[i % 1000] as never)
    const start = process.hrtime.bigint()
    const cpu = process.cpuUsage()
    for (let i = 0; i < N; i++) recorder.record(records[i % 1000] as never)
    const used = process.cpuUsage(cpu)
    const ns = Number(process.hrtime.bigint() - start) / N
    const cpuNs = ((used.user + used.system) * 1000) / N
    console.log(
      `record() ${label}: ${ns.toFixed(0)} ns per call (CPU ${cpuNs.toFixed(0)} ns; the machine's load inflates wall time)`,
    )
  }
  void db.close()
}

async function flushRate(label: string, store: DbHandle): Promise<void> {
  await migrateToLatest(store.db)
  const recorder = new TrafficRecorder(store.db, systemClock, {
    maxQueue: ROWS,
    flushEveryMs: 3_600_000,
  })
  for (let i = 0; i < ROWS; i++) recorder.record(trafficRecord(i))
  const stalls = monitorEventLoopDelay({ resolution: 1 })
  stalls.enable()
  const start = performance.now()
  const cpu = process.cpuUsage()
  const written = await recorder.flush()
  const used = process.cpuUsage(cpu)
  stalls.disable()
  const seconds = (performance.now() - start) / 1000
  const cpuUs = (used.user + used.system) / written
  console.log(
    `flush ${label}: ${written} rows in ${seconds.toFixed(2)} s = ${Math.round(written / seconds)} rows/s (batches of ${recorder.limits.batchSize}; this process's CPU ${cpuUs.toFixed(1)} µs per row; longest event-loop stall ${(stalls.max / 1e6).toFixed(1)} ms)`,
  )
  await recorder.close()
}

async function main(): Promise<void> {
  recordCost()
  const dir = mkdtempSync(join(tmpdir(), 'apiops-traffic-bench-'))
  try {
    const sqlite = createDb({ databaseUrl: undefined, dataDir: dir })
    await flushRate('SQLite (file, WAL)', sqlite)
    await sqlite.close()
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  const pgUrl = process.env.APIOPS_TEST_PG_URL
  if (!pgUrl) {
    console.log('PostgreSQL: skipped (set APIOPS_TEST_PG_URL)')
    return
  }
  const schema = await createThrowawaySchema(pgUrl, 'bench_traffic')
  const pg = createDb({ databaseUrl: schema.url, dataDir: '' })
  try {
    await flushRate('PostgreSQL', pg)
  } finally {
    await pg.close()
    await schema.drop()
  }
}

await main()
