// autocannon ships no types and @types/autocannon is not a dependency: this declares
// only the part of its API the bench uses.
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events'

  export interface Options {
    url: string
    connections?: number
    pipelining?: number
    /** Seconds. */
    duration?: number
    headers?: Record<string, string>
    method?: string
    body?: string
    /** Seconds a request may take before it counts as a timeout. */
    timeout?: number
    /** Requests per second from each connection (unpaced when absent). */
    connectionRate?: number
  }

  export interface Percentiles {
    average: number
    mean: number
    stddev: number
    min: number
    max: number
    p50: number
    p99: number
  }

  export interface Result {
    duration: number
    errors: number
    timeouts: number
    non2xx: number
    resets: number
    '2xx': number
    statusCodeStats: Record<string, { count: number }>
    /** Milliseconds, 2xx responses only. */
    latency: Percentiles & { totalCount: number }
    /** Requests per second, sampled each second. */
    requests: Percentiles & { total: number; sent: number }
  }

  /** Emits 'response' (client, statusCode, bytes, responseTimeMs) for every response. */
  export type Instance = EventEmitter & { stop(): void }

  function autocannon(
    options: Options,
    callback: (error: Error | null, result: Result) => void,
  ): Instance
  export default autocannon
}
