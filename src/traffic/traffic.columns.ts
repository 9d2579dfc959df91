import { type TrafficRecord, toRow } from './traffic.record.ts'

/*
 * The traffic table's columns in INSERT order, and SQLite's multi-row INSERT text, shared
 * by the in-process insert (traffic.insert.ts) and the writing thread
 * (traffic-write.worker.ts). No Kysely here: the thread loads only what it runs.
 */

export const COLUMNS = [
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
export const INTO = `insert into "traffic" (${COLUMNS.map((c) => `"${c}"`).join(', ')})`
export const PG_TEXT = `${INTO} select * from unnest(${COLUMNS.map(
  (c, i) => `$${i + 1}::${PG_TYPES[c] ?? 'text'}[]`,
).join(', ')})`
/** Rows per SQLite statement: 17 x 500 parameters, under its 32,766. */
export const SQLITE_ROWS = 500
const ROW_PLACEHOLDERS = `(${COLUMNS.map(() => '?').join(', ')})`
const sqliteTexts = new Map<number, string>()

export function sqliteText(rows: number): string {
  let text = sqliteTexts.get(rows)
  if (!text) {
    text = `${INTO} values ${Array.from({ length: rows }, () => ROW_PLACEHOLDERS).join(', ')}`
    sqliteTexts.set(rows, text)
  }
  return text
}

/** Rows `from` to `to` of `batch` as one flat parameter list, in COLUMNS order. */
export function sqliteValues(batch: readonly TrafficRecord[], from: number, to: number): unknown[] {
  const values: unknown[] = []
  for (let i = from; i < to; i++) {
    const row = toRow(batch[i] as TrafficRecord) as unknown as Record<string, unknown>
    for (const c of COLUMNS) values.push(row[c] ?? null)
  }
  return values
}
