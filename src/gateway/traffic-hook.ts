/*
 * The seam the traffic recorder plugs into: one call per completed request, after the
 * answer is written. It runs on the request's tick, so it must only enqueue (never
 * write to a database or await); the gateway builds the record only when a hook is set.
 */

import type { LiveProxy } from './table.ts'

export interface CompletedRequest {
  /** When the request arrived (epoch ms). */
  time: number
  environment: string
  /** The proxy's name, or null when no route matched. */
  proxy: string | null
  /** The deployed proxy that answered (ids, traffic-log setting), or null. */
  live: LiveProxy | null
  /** The matched endpoint's path template, or null. */
  endpoint: string | null
  method: string
  status: number
  totalMs: number
  /** From dispatch to the upstream's response headers; null when no upstream was called. */
  upstreamMs: number | null
  /** The request body's declared length (0 when none or chunked). */
  bytesIn: number
  bytesOut: number
  clientAddress: string
  /** The upstream origin called, or null. */
  upstreamAddress: string | null
  /** The fault code when the gateway answered an error itself (NOT_FOUND, BAD_GATEWAY...), else null. */
  error: string | null
}

export type TrafficHook = (completed: CompletedRequest) => void
