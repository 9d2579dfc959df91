import { type ExpressionBuilder, type SelectQueryBuilder, sql } from 'kysely'
import type { Database } from '../../db/schema.ts'
import type { Queryable } from '../../db/types.ts'

/*
 * Aggregations over the traffic table, done by the database. Every query is bounded by a
 * time range and starts from an index (see migration 0027): project+proxy+time for one
 * proxy, environment+time or time for the administrators' report.
 */

export interface TimeRange {
  from: string
  to: string
}

export interface TrafficFigures {
  requestCount: number
  /** 5xx answers and requests the gateway failed (an error code recorded). */
  errorCount: number
  /** 4xx answers. */
  clientErrorCount: number
  avgMs: number | null
  maxMs: number | null
  avgUpstreamMs: number | null
  bytesIn: number
  bytesOut: number
}

type TrafficEb = ExpressionBuilder<Database, 'traffic'>

const isError = sql<number>`case when status >= 500 or error is not null then 1 else 0 end`
const isClientError = sql<number>`case when status >= 400 and status < 500 then 1 else 0 end`

function figures(eb: TrafficEb) {
  return [
    eb.fn.countAll().as('request_count'),
    eb.fn.sum(isError).as('error_count'),
    eb.fn.sum(isClientError).as('client_error_count'),
    eb.fn.avg('total_ms').as('avg_ms'),
    eb.fn.max('total_ms').as('max_ms'),
    eb.fn.avg('upstream_ms').as('avg_upstream_ms'),
    eb.fn.sum('bytes_in').as('bytes_in'),
    eb.fn.sum('bytes_out').as('bytes_out'),
  ] as const
}

const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v))
const numOrNull = (v: unknown): number | null =>
  v === null || v === undefined ? null : Math.round(Number(v) * 1000) / 1000

function toFigures(row: Record<string, unknown>): TrafficFigures {
  return {
    requestCount: num(row.request_count),
    errorCount: num(row.error_count),
    clientErrorCount: num(row.client_error_count),
    avgMs: numOrNull(row.avg_ms),
    maxMs: numOrNull(row.max_ms),
    avgUpstreamMs: numOrNull(row.avg_upstream_ms),
    bytesIn: num(row.bytes_in),
    bytesOut: num(row.bytes_out),
  }
}

export interface EnvironmentFigures extends TrafficFigures {
  environmentId: string
  environmentName: string
  p95Ms: number | null
}

/** One proxy's traffic in the range, per environment, with each environment's p95. */
export async function proxyTrafficByEnvironment(
  db: Queryable,
  proxy: { projectId: string; proxyId: string },
  range: TimeRange,
): Promise<EnvironmentFigures[]> {
  const ofProxy = db
    .selectFrom('traffic')
    .where('project_id', '=', proxy.projectId)
    .where('proxy_id', '=', proxy.proxyId)
    .where('time', '>=', range.from)
    .where('time', '<', range.to)
  const rows = await ofProxy
    .select((eb) => ['environment_id', 'environment_name', ...figures(eb)])
    .groupBy(['environment_id', 'environment_name'])
    .orderBy('environment_name')
    .execute()
  const out: EnvironmentFigures[] = []
  for (const row of rows) {
    const f = toFigures(row)
    const p95Ms = await percentile(
      ofProxy.where('environment_id', '=', row.environment_id),
      f.requestCount,
      0.95,
    )
    out.push({
      environmentId: row.environment_id,
      environmentName: row.environment_name,
      ...f,
      p95Ms,
    })
  }
  return out
}

/**
 * The nearest-rank percentile of total_ms among `count` rows: the one row at that rank
 * in latency order. Portable (SQLite has no percentile function) and exact.
 */
async function percentile(
  rows: SelectQueryBuilder<Database, 'traffic', object>,
  count: number,
  p: number,
): Promise<number | null> {
  if (count === 0) return null
  const rank = Math.max(1, Math.ceil(p * count))
  const row = await rows
    .select('total_ms')
    .orderBy('total_ms')
    .limit(1)
    .offset(rank - 1)
    .executeTakeFirst()
  return row ? numOrNull(row.total_ms) : null
}

export type TrafficGroup = 'proxy' | 'environment' | 'endpoint' | 'status' | 'credential'

const GROUP_COLUMNS = {
  proxy: ['project_id', 'proxy_id', 'proxy_name'],
  environment: ['environment_id', 'environment_name'],
  endpoint: ['project_id', 'proxy_id', 'proxy_name', 'endpoint'],
  status: ['status'],
  credential: ['credential'],
} as const

export interface TrafficFilter extends TimeRange {
  projectId?: string
  environmentId?: string
}

/** Everyone's traffic in the range, grouped; the busiest groups first, at most `limit`. */
export async function trafficGrouped(
  db: Queryable,
  group: TrafficGroup,
  filter: TrafficFilter,
  limit: number,
): Promise<(TrafficFigures & Record<string, unknown>)[]> {
  const columns = GROUP_COLUMNS[group]
  let query = db
    .selectFrom('traffic')
    .where('time', '>=', filter.from)
    .where('time', '<', filter.to)
  if (filter.projectId !== undefined) query = query.where('project_id', '=', filter.projectId)
  if (filter.environmentId !== undefined)
    query = query.where('environment_id', '=', filter.environmentId)
  const rows = await query
    .select((eb) => [...columns, ...figures(eb)])
    .groupBy([...columns])
    .orderBy('request_count', 'desc')
    .orderBy(columns[0])
    .limit(limit)
    .execute()
  return rows.map((row) => {
    const keys = Object.fromEntries(
      columns.map((c) => [c, (row as Record<string, unknown>)[c] ?? null]),
    )
    return { ...keys, ...toFigures(row) }
  })
}
