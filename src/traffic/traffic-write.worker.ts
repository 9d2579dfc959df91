import { parentPort, workerData } from 'node:worker_threads'
import SqliteDatabase from 'better-sqlite3'
import { COLUMNS, SQLITE_ROWS, sqliteText } from './traffic.columns.ts'

/*
 * The writing thread of traffic-writer.ts: its own connection to the SQLite file, one
 * transaction per batch. better-sqlite3 is synchronous: here the wait for the disk and
 * the index updates block this thread, not the gateway's event loop.
 */

export interface WriteJob {
  id: number
  rows: number
  /** rows x COLUMNS.length parameters, row after row. */
  values: unknown[]
}

export type WriteAnswer = { id: number; ok: true } | { id: number; ok: false; problem: string }

const port = parentPort
if (port === null) throw new Error('traffic-write.worker.ts runs as a worker thread')
const sqlite = new SqliteDatabase((workerData as { path: string }).path)
// The file is in WAL mode already (its owner set it); another writer holds the lock at
// most a batch's time: wait for it, here, where waiting blocks no request.
sqlite.pragma('busy_timeout = 5000')
sqlite.pragma('synchronous = NORMAL')
const statements = new Map<number, SqliteDatabase.Statement>()
const statementFor = (rows: number) => {
  let statement = statements.get(rows)
  if (statement === undefined) {
    statement = sqlite.prepare(sqliteText(rows))
    statements.set(rows, statement)
  }
  return statement
}
const write = sqlite.transaction((job: WriteJob) => {
  const width = COLUMNS.length
  for (let from = 0; from < job.rows; from += SQLITE_ROWS) {
    const rows = Math.min(SQLITE_ROWS, job.rows - from)
    statementFor(rows).run(job.values.slice(from * width, (from + rows) * width))
  }
})

port.on('message', (job: WriteJob) => {
  try {
    write(job)
    port.postMessage({ id: job.id, ok: true } satisfies WriteAnswer)
  } catch (error) {
    port.postMessage({
      id: job.id,
      ok: false,
      problem: (error as Error).message,
    } satisfies WriteAnswer)
  }
})
port.postMessage('ready')
