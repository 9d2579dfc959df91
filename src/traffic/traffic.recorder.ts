import type { Kysely } from 'kysely'
import type { Clock } from '../clock.ts'
import type { Database } from '../db/schema.ts'
import { insertTraffic, isPostgres } from './traffic.insert.ts'
import type { TrafficRecord } from './traffic.record.ts'
import type { TrafficWrite } from './traffic-writer.ts'

export interface TrafficLimits {
  /** Records held in memory at most; beyond it new records are dropped and counted. */
  maxQueue: number
  /**
   * Records written per transaction at most. SQLite writes on the event loop
   * (better-sqlite3 is synchronous), so its default is smaller: a batch stalls the
   * process for its whole insert (~10 µs a row measured), and batches are written with a
   * turn of the event loop between them.
   */
  batchSize: number
  /** How often the timer writes what is queued. */
  flushEveryMs: number
  /** After a failed write, the wait before the next doubles from flushEveryMs up to this. */
  maxBackoffMs: number
}

/** SQLite's default batch: about 2 ms of event loop per write. */
export const SQLITE_BATCH_SIZE = 200

export const DEFAULT_TRAFFIC_LIMITS: TrafficLimits = {
  maxQueue: 50_000,
  batchSize: 1000,
  flushEveryMs: 1000,
  maxBackoffMs: 30_000,
}

export interface TrafficObserver {
  /** Records dropped because the queue was full (count of this drop). */
  dropped?(count: number): void
  /** A batch could not be written; it stays queued and is tried again later. */
  failed?(error: unknown): void
}

/**
 * Traffic records, from the request path to the database without ever making a request
 * wait: `record()` appends to a bounded queue and returns; a timer writes the queue in
 * batches (one transaction, multi-row INSERTs). A failed write leaves its records queued
 * and backs off; while the database is away the queue fills to its bound and then drops
 * (counted) rather than grow without end.
 */
export class TrafficRecorder {
  readonly limits: TrafficLimits
  private queue: TrafficRecord[] = []
  private droppedCount = 0
  private writtenCount = 0
  private failures = 0
  private retryAtMs = 0
  private writing: Promise<number> | undefined
  private timer: NodeJS.Timeout | undefined
  private closed = false
  private readonly postgres: boolean

  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
    limits: Partial<TrafficLimits> = {},
    private readonly observer: TrafficObserver = {},
    /** How a batch is written; one transaction on `db` unless given (traffic-writer.ts). */
    private readonly write?: TrafficWrite,
  ) {
    this.postgres = isPostgres(db)
    this.limits = {
      ...DEFAULT_TRAFFIC_LIMITS,
      ...(this.postgres ? {} : { batchSize: SQLITE_BATCH_SIZE }),
      ...limits,
    }
    this.timer = setInterval(() => void this.tick(), this.limits.flushEveryMs)
    this.timer.unref()
  }

  /** Queues one record; never waits, never throws. */
  record(r: TrafficRecord): void {
    if (this.closed || this.queue.length >= this.limits.maxQueue) {
      this.droppedCount++
      try {
        this.observer.dropped?.(1)
      } catch {
        // An observer's fault must not reach the request path.
      }
      return
    }
    this.queue.push(r)
  }

  /** Records waiting to be written. */
  get queued(): number {
    return this.queue.length
  }

  /** Records dropped since start (queue full, or recorded after close). */
  get dropped(): number {
    return this.droppedCount
  }

  /** Records written since start. */
  get written(): number {
    return this.writtenCount
  }

  /**
   * Writes what is queued now, batch by batch, unless a backoff is running (`force`
   * ignores it). Answers how many rows were written; a failure stops the round and
   * leaves the rest queued. One round at a time: a second caller joins the first.
   */
  flush(force = false): Promise<number> {
    if (this.writing) return this.writing
    if (!force && this.clock.nowMs() < this.retryAtMs) return Promise.resolve(0)
    this.writing = this.writeAll().finally(() => {
      this.writing = undefined
    })
    return this.writing
  }

  /** Stops the timer and writes what is left (one attempt); later records are dropped. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer)
    this.timer = undefined
    this.closed = true
    if (this.writing) await this.writing
    await this.flush(true)
  }

  private async tick(): Promise<void> {
    if (this.queue.length > 0) await this.flush()
  }

  private async writeAll(): Promise<number> {
    let total = 0
    while (this.queue.length > 0) {
      // The batch is taken off only once written: records keep their order on failure.
      const batch = this.queue.slice(0, this.limits.batchSize)
      try {
        await this.insert(batch)
      } catch (error) {
        this.backOff(error)
        return total
      }
      this.queue.splice(0, batch.length)
      this.writtenCount += batch.length
      total += batch.length
      this.failures = 0
      this.retryAtMs = 0
      // Requests (and other queries) run between batches.
      if (this.queue.length > 0) await new Promise((resolve) => setImmediate(resolve))
    }
    return total
  }

  private async insert(batch: TrafficRecord[]): Promise<void> {
    if (this.write) return this.write(batch)
    await this.db.transaction().execute((trx) => insertTraffic(trx, this.postgres, batch))
  }

  private backOff(error: unknown): void {
    this.failures++
    const wait = Math.min(
      this.limits.maxBackoffMs,
      this.limits.flushEveryMs * 2 ** Math.min(this.failures - 1, 20),
    )
    this.retryAtMs = this.clock.nowMs() + wait
    try {
      this.observer.failed?.(error)
    } catch {
      // Reporting a failure must not end the writer.
    }
  }
}
