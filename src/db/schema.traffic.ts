import type { Generated } from 'kysely'

/**
 * One request a gateway served (0027), written in batches by traffic/traffic.recorder.ts.
 * Names are copied beside ids so a report still reads after a proxy or environment is
 * deleted. bigint columns come back from PostgreSQL as strings: aggregate them in SQL and
 * convert with Number().
 */
export interface TrafficTable {
  /** The engine's sequence (SQLite rowid, PostgreSQL bigserial). */
  id: Generated<number | string>
  time: string
  environment_id: string
  environment_name: string
  project_id: string
  proxy_id: string
  proxy_name: string
  /** "GET /users/{id}": the endpoint matched; null for a reverse proxy. */
  endpoint: string | null
  method: string
  status: number
  total_ms: number
  upstream_ms: number | null
  bytes_in: number | string
  bytes_out: number | string
  client_address: string
  credential: string | null
  upstream_address: string | null
  error: string | null
}
