import type { Worker } from 'node:worker_threads'
import { spawnWorker, workerModule } from '../worker-pool.ts'
import { sqliteValues } from './traffic.columns.ts'
import type { TrafficRecord } from './traffic.record.ts'
import type { WriteAnswer, WriteJob } from './traffic-write.worker.ts'

/*
 * Where a SQLite file's traffic batches are written: a thread of its own. On the event
 * loop, the INSERTs (index updates included) were the whole gap between the gateway and
 * the minimal undici proxy in the gateway bench: about 10 µs of CPU per request, and
 * p99 12 ms against 5.4 ms, since a batch blocked every request in flight while it
 * was written (docs/performance.md). The event loop now only flattens a batch into
 * parameters and posts it. PostgreSQL and in-memory SQLite keep the in-process insert
 * (the first waits on the network, not the CPU; the second has no file to share), and
 * so does the gateway embedded in the management server (traffic-wiring.ts says why).
 */

export type TrafficWrite = (batch: readonly TrafficRecord[]) => Promise<void>

interface Pending {
  resolve(): void
  reject(error: Error): void
}

export class SqliteTrafficWriter {
  private worker: Worker | undefined
  private ready: Promise<void> | undefined
  private readonly pending = new Map<number, Pending>()
  private nextId = 0

  constructor(private readonly path: string) {}

  /** One transaction; rejects with the database's words when it fails (nothing written). */
  readonly write: TrafficWrite = async (batch) => {
    if (batch.length === 0) return
    const worker = await this.started()
    const job: WriteJob = {
      id: this.nextId++,
      rows: batch.length,
      values: sqliteValues(batch, 0, batch.length),
    }
    return new Promise<void>((resolve, reject) => {
      this.pending.set(job.id, { resolve, reject })
      worker.postMessage(job)
    })
  }

  async close(): Promise<void> {
    const worker = this.worker
    this.worker = undefined
    this.ready = undefined
    this.fail(new Error('the traffic writer closed'))
    await worker?.terminate()
  }

  /** The thread, started on first use and again after it died. */
  private started(): Promise<Worker> {
    if (this.worker && this.ready) {
      const worker = this.worker
      return this.ready.then(() => worker)
    }
    const url = workerModule(import.meta.url, 'traffic-write.worker')
    const worker = spawnWorker(url, { workerData: { path: this.path } })
    this.worker = worker
    this.ready = new Promise<void>((resolve, reject) => {
      worker.once('message', (first) =>
        first === 'ready' ? resolve() : reject(new Error('the traffic writer did not start')),
      )
      worker.once('error', reject)
    })
    worker.on('message', (answer: WriteAnswer | 'ready') => {
      if (answer === 'ready') return
      const waiting = this.pending.get(answer.id)
      this.pending.delete(answer.id)
      if (answer.ok) waiting?.resolve()
      else waiting?.reject(new Error(answer.problem))
    })
    worker.on('exit', () => {
      if (this.worker !== worker) return
      this.worker = undefined
      this.ready = undefined
      this.fail(new Error('the traffic writer thread ended'))
    })
    // An idle writer never keeps the process alive; a pending write does not either:
    // the recorder's close() awaits its last flush.
    worker.unref()
    return this.ready.then(() => worker)
  }

  private fail(error: Error): void {
    for (const waiting of this.pending.values()) waiting.reject(error)
    this.pending.clear()
  }
}
