import { CompiledQuery, type Kysely, PostgresAdapter, type Transaction } from 'kysely'
import type { Database } from '../db/schema.ts'
import { type TrafficRecord, toRow } from './traffic.record.ts'

/*
 * The recorder's INSERT, written once per shape rather than built per batch: the query
 * builder spent more time compiling a 500-row VALUES list (8,500 parameters) than the
 * database spent inserting it. PostgreSQL gets one array per column through unnest (17
 * parameters whatever the batch size); SQLite a multi-row VALUES list, its text cached
 * per row count.
 */

const COLUMNS = [
  'time',
  'environment_id',
  'environment_name',
  'project_id',
  'proxy_id',
  'proxy_name',
  'endpoint',
  'method',
  'status',
  'total_ms',
  'upstream_ms',
  'bytes_in',
  'bytes_out',
  'client_address',
  'credential',
  'upstream_address',
  'error',
] as const
const PG_TYPES: Partial<Record<(typeof COLUMNS)[number], string>> = {
  status: 'int4',
  total_ms: 'float8',
  upstream_ms: 'float8',
  bytes_in: 'int8',
  bytes_out: 'int8',
}
const INTO = `insert into "traffic" (${COLUMNS.map((c) => `"${c}"`).join(', ')})`
const PG_TEXT = `${INTO} select * from unnest(${COLUMNS.map(
  (c, i) => `$${i + 1}::${PG_TYPES[c] ?? 'text'}[]`,
).join(', ')})`
/** Rows per SQLite statement: 17 x 500 parameters, under its 32,766. */
const SQLITE_ROWS = 500
const ROW_PLACEHOLDERS = `(${COLUMNS.map(() => '?').join(', ')})`
const sqliteTexts = new Map<number, string>()

function sqliteText(rows: number): string {
  let text = sqliteTexts.get(rows)
  if (!text) {
    text = `${INTO} values ${Array.from({ length: rows }, () => ROW_PLACEHOLDERS).join(', ')}`
    sqliteTexts.set(rows, text)
  }
  return text
}

export function isPostgres(db: Kysely<Database>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter
}

/** Inserts `batch` in order, inside `trx`. */
export async function insertTraffic(
  trx: Transaction<Database>,
  postgres: boolean,
  batch: readonly TrafficRecord[],
): Promise<void> {
  const rows = batch.map(toRow) as unknown as Record<string, unknown>[]
  if (postgres) {
    const arrays = COLUMNS.map((c) => rows.map((r) => r[c] ?? null))
    await trx.executeQuery(CompiledQuery.raw(PG_TEXT, arrays))
    return
  }
  for (let i = 0; i < rows.length; i += SQLITE_ROWS) {
    const slice = rows.slice(i, i + SQLITE_ROWS)
    const values: unknown[] = []
    for (const r of slice) for (const c of COLUMNS) values.push(r[c] ?? null)
    await trx.executeQuery(CompiledQuery.raw(sqliteText(slice.length), values))
  }
}
