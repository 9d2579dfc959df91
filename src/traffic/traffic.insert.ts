import { CompiledQuery, type Kysely, PostgresAdapter, type Transaction } from 'kysely'
import type { Database } from '../db/schema.ts'
import { COLUMNS, PG_TEXT, SQLITE_ROWS, sqliteText, sqliteValues } from './traffic.columns.ts'
import { type TrafficRecord, toRow } from './traffic.record.ts'

/*
 * The recorder's INSERT, written once per shape rather than built per batch: the query
 * builder spent more time compiling a 500-row VALUES list (8,500 parameters) than the
 * database spent inserting it. PostgreSQL gets one array per column through unnest (17
 * parameters whatever the batch size); SQLite a multi-row VALUES list, its text cached
 * per row count.
 */

export function isPostgres(db: Kysely<Database>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter
}

/** Inserts `batch` in order, inside `trx`. */
export async function insertTraffic(
  trx: Transaction<Database>,
  postgres: boolean,
  batch: readonly TrafficRecord[],
): Promise<void> {
  if (postgres) {
    const rows = batch.map(toRow) as unknown as Record<string, unknown>[]
    const arrays = COLUMNS.map((c) => rows.map((r) => r[c] ?? null))
    await trx.executeQuery(CompiledQuery.raw(PG_TEXT, arrays))
    return
  }
  for (let i = 0; i < batch.length; i += SQLITE_ROWS) {
    const to = Math.min(batch.length, i + SQLITE_ROWS)
    await trx.executeQuery(CompiledQuery.raw(sqliteText(to - i), sqliteValues(batch, i, to)))
  }
}
