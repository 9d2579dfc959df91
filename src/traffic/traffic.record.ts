import type { Insertable } from 'kysely'
import type { TrafficTable } from '../db/schema.traffic.ts'

/** What a gateway knows about one request once it has answered it. */
export interface TrafficRecord {
  /** When the request arrived, ISO 8601 UTC (Date#toISOString()). */
  time: string
  environmentId: string
  environmentName: string
  projectId: string
  proxyId: string
  proxyName: string
  /** The endpoint matched, as "<METHOD> <path template>"; null for a reverse proxy. */
  endpoint: string | null
  method: string
  status: number
  /** From arrival to the last byte answered, in milliseconds (fractions kept). */
  totalMs: number
  /** Time spent waiting on the upstream; null when no upstream was called. */
  upstreamMs: number | null
  bytesIn: number
  bytesOut: number
  clientAddress: string
  /** The username of the credential that authenticated, if one did. */
  credential: string | null
  /** "host:port" of the address called; null when none was. */
  upstreamAddress: string | null
  /** A short code (upstream_refused, upstream_timeout, client_abort, ...); null on success. */
  error: string | null
}

/** Bounds on what a row can hold: a gateway bug must not make a batch fail to insert. */
const cut = (text: string, max: number) => (text.length > max ? text.slice(0, max) : text)
const cutOrNull = (text: string | null, max: number) => (text === null ? null : cut(text, max))

export function toRow(r: TrafficRecord): Insertable<TrafficTable> {
  return {
    time: cut(r.time, 24),
    environment_id: cut(r.environmentId, 36),
    environment_name: cut(r.environmentName, 100),
    project_id: cut(r.projectId, 36),
    proxy_id: cut(r.proxyId, 36),
    proxy_name: cut(r.proxyName, 200),
    endpoint: cutOrNull(r.endpoint, 600),
    method: cut(r.method, 16),
    status: r.status | 0,
    total_ms: Number.isFinite(r.totalMs) ? r.totalMs : 0,
    upstream_ms: r.upstreamMs !== null && Number.isFinite(r.upstreamMs) ? r.upstreamMs : null,
    bytes_in: Math.max(0, Math.trunc(r.bytesIn) || 0),
    bytes_out: Math.max(0, Math.trunc(r.bytesOut) || 0),
    client_address: cut(r.clientAddress, 64),
    credential: cutOrNull(r.credential, 200),
    upstream_address: cutOrNull(r.upstreamAddress, 300),
    error: cutOrNull(r.error, 64),
  }
}
