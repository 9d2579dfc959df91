import type { Clock } from '../../clock.ts'
import type { Queryable } from '../../db/types.ts'
import { errors } from '../../errors.ts'
import { authorizeInProject, type Principal } from '../../identity/policy/permissions.ts'
import { deploymentsOf } from '../proxies/proxies.repository.ts'
import { requireProxy } from '../proxies/proxies.service.ts'
import { inventory, sharedProxies } from './reports.inventory.ts'
import {
  type EnvironmentFigures,
  proxyTrafficByEnvironment,
  type TimeRange,
  type TrafficGroup,
  trafficGrouped,
} from './reports.traffic.repository.ts'

export interface ReportsDeps {
  db: Queryable
  clock: Clock
}

const MINUTE = 60_000
const DAY = 86_400_000
/** The longest range one report covers: a month of traffic is read at most. */
export const MAX_RANGE_DAYS = 31
/** The proxy page's default: the last five minutes, "live". */
const DEFAULT_PROXY_WINDOW_MS = 5 * MINUTE
/** The administrators' report's default: the last day. */
const DEFAULT_REPORT_WINDOW_MS = DAY
export const MAX_GROUPS = 1000

const bad = (field: string, message: string) => errors.validationFailed([{ field, message }])

function instant(field: string, text: string): number {
  const ms = Date.parse(text)
  if (Number.isNaN(ms))
    throw bad(field, `is not a date-time: send ISO 8601, e.g. 2026-01-15T10:00:00Z`)
  return ms
}

/**
 * The range asked for (from inclusive, to exclusive), defaulting to the `defaultMs`
 * before now; refused when empty, reversed or longer than MAX_RANGE_DAYS.
 */
export function timeRange(
  clock: Clock,
  query: { from?: string | undefined; to?: string | undefined },
  defaultMs: number,
): TimeRange {
  const to = query.to === undefined ? clock.nowMs() : instant('to', query.to)
  const from = query.from === undefined ? to - defaultMs : instant('from', query.from)
  if (from >= to) {
    throw bad(
      'to',
      `must be later than from (from ${new Date(from).toISOString()}, to ${new Date(to).toISOString()})`,
    )
  }
  if (to - from > MAX_RANGE_DAYS * DAY) {
    throw bad(
      'from',
      `gives a range of ${((to - from) / DAY).toFixed(1)} days; a report covers at most ${MAX_RANGE_DAYS} days: move from or to closer together`,
    )
  }
  return { from: new Date(from).toISOString(), to: new Date(to).toISOString() }
}

export async function apiProxiesReport(
  deps: ReportsDeps,
  query: { includeEndpoints?: boolean | undefined },
) {
  const items = await inventory(deps.db, query.includeEndpoints === true)
  return {
    status: 'SUCCESS' as const,
    success: true as const,
    resultList: items,
    resultCount: items.length,
  }
}

export async function accessReport(deps: ReportsDeps) {
  const apiProxyList = await sharedProxies(deps.db)
  return {
    status: 'SUCCESS' as const,
    success: true as const,
    result: { apiProxyList, dataModelList: [] as never[] },
  }
}

/** The id of a project or environment named in a filter; 404 when none has the name. */
async function idOfNamed(
  db: Queryable,
  table: 'projects' | 'environments',
  what: string,
  name: string | undefined,
): Promise<string | undefined> {
  if (name === undefined) return undefined
  const row = await db.selectFrom(table).select('id').where('name', '=', name).executeTakeFirst()
  if (!row) throw errors.notFound(`${what} '${name}'`)
  return row.id
}

export async function trafficReport(
  deps: ReportsDeps,
  query: {
    from?: string
    to?: string
    groupBy?: TrafficGroup
    projectName?: string
    environmentName?: string
  },
) {
  const range = timeRange(deps.clock, query, DEFAULT_REPORT_WINDOW_MS)
  const projectId = await idOfNamed(deps.db, 'projects', 'Project', query.projectName)
  const environmentId = await idOfNamed(
    deps.db,
    'environments',
    'Environment',
    query.environmentName,
  )
  const groupBy = query.groupBy ?? 'proxy'
  const rows = await trafficGrouped(
    deps.db,
    groupBy,
    {
      ...range,
      ...(projectId !== undefined ? { projectId } : {}),
      ...(environmentId !== undefined ? { environmentId } : {}),
    },
    MAX_GROUPS,
  )
  const resultList = rows.map((row) => ({
    ...(groupBy === 'proxy' || groupBy === 'endpoint'
      ? { apiProxyId: row.proxy_id as string, apiProxyName: row.proxy_name as string }
      : {}),
    ...(groupBy === 'endpoint' ? { endpoint: row.endpoint as string | null } : {}),
    ...(groupBy === 'environment' ? { environmentName: row.environment_name as string } : {}),
    ...(groupBy === 'status' ? { statusCode: Number(row.status) } : {}),
    ...(groupBy === 'credential' ? { credential: row.credential as string | null } : {}),
    ...figuresOf(row),
  }))
  return {
    status: 'SUCCESS' as const,
    success: true as const,
    ...range,
    groupBy,
    resultList,
    resultCount: resultList.length,
  }
}

function figuresOf(f: Omit<EnvironmentFigures, 'environmentId' | 'environmentName' | 'p95Ms'>) {
  return {
    requestCount: f.requestCount,
    errorCount: f.errorCount,
    clientErrorCount: f.clientErrorCount,
    avgMs: f.avgMs,
    maxMs: f.maxMs,
    avgUpstreamMs: f.avgUpstreamMs,
    bytesIn: f.bytesIn,
    bytesOut: f.bytesOut,
  }
}

const ZERO = {
  requestCount: 0,
  errorCount: 0,
  clientErrorCount: 0,
  avgMs: null,
  maxMs: null,
  avgUpstreamMs: null,
  bytesIn: 0,
  bytesOut: 0,
  p95Ms: null,
}

/**
 * One proxy's traffic per environment (every environment it is deployed to, and any other
 * that served it in the range): rates per second over the range, error share, p95.
 */
export async function proxyTraffic(
  deps: ReportsDeps,
  principal: Principal,
  params: { projectName: string; apiProxyName: string },
  query: { from?: string; to?: string },
) {
  const project = await authorizeInProject(deps, principal, 'project.read', params.projectName)
  const proxy = await requireProxy(deps, project, params.apiProxyName)
  const range = timeRange(deps.clock, query, DEFAULT_PROXY_WINDOW_MS)
  const seconds = (Date.parse(range.to) - Date.parse(range.from)) / 1000
  const served = await proxyTrafficByEnvironment(
    deps.db,
    { projectId: project.id, proxyId: proxy.id },
    range,
  )
  const byName = new Map(served.map((f) => [f.environmentName, f]))
  for (const d of await deploymentsOf(deps.db, proxy.id)) {
    if (!byName.has(d.environment_name)) {
      byName.set(d.environment_name, {
        environmentId: d.environment_id,
        environmentName: d.environment_name,
        ...ZERO,
      })
    }
  }
  const environmentList = [...byName.values()]
    .sort((a, b) => a.environmentName.localeCompare(b.environmentName))
    .map((f) => ({
      environmentName: f.environmentName,
      ...figuresOf(f),
      p95Ms: f.p95Ms,
      requestRate: round(f.requestCount / seconds),
      errorRate: f.requestCount === 0 ? 0 : round(f.errorCount / f.requestCount),
    }))
  return {
    status: 'SUCCESS' as const,
    success: true as const,
    result: { apiProxyName: proxy.name, projectName: project.name, ...range, environmentList },
  }
}

const round = (n: number) => Math.round(n * 10_000) / 10_000
