import type { Kysely } from 'kysely'
import type { Clock } from '../clock.ts'
import type { Database } from '../db/schema.ts'

/**
 * Deletes traffic older than `retentionDays`, oldest first, `slice` rows per statement so
 * no statement holds locks (or SQLite's one writer) for long; gateways keep writing between
 * slices. Answers how many rows went.
 */
export async function purgeTraffic(
  deps: { db: Kysely<Database>; clock: Clock },
  retentionDays: number,
  slice = 2000,
): Promise<number> {
  const cutoff = new Date(deps.clock.nowMs() - retentionDays * 86_400_000).toISOString()
  let total = 0
  for (;;) {
    const result = await deps.db
      .deleteFrom('traffic')
      .where('id', 'in', (eb) =>
        eb.selectFrom('traffic').select('id').where('time', '<', cutoff).limit(slice),
      )
      .executeTakeFirst()
    const n = Number(result.numDeletedRows)
    total += n
    if (n < slice) return total
    // Let queued work (the recorder's inserts, requests) run between slices.
    await new Promise((resolve) => setImmediate(resolve))
  }
}

/**
 * Runs purgeTraffic now and then every `everyMs`, reading the retention each time (it
 * may change at runtime). Answers the function that stops it.
 */
export function scheduleTrafficRetention(
  deps: { db: Kysely<Database>; clock: Clock },
  options: {
    retentionDays: () => number
    everyMs: number
    onPurged?: (rows: number) => void
    onError: (error: unknown) => void
  },
): () => void {
  let running = false
  const run = async () => {
    if (running) return
    running = true
    try {
      const n = await purgeTraffic(deps, options.retentionDays())
      if (n > 0) options.onPurged?.(n)
    } catch (error) {
      options.onError(error)
    } finally {
      running = false
    }
  }
  void run()
  const timer = setInterval(run, options.everyMs)
  timer.unref()
  return () => clearInterval(timer)
}
