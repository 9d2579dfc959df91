/** One autocannon run against one server, with the numbers the report needs. */
import { readFileSync } from 'node:fs'
import { createHistogram } from 'node:perf_hooks'
import autocannon, { type Result } from 'autocannon'
import type { ServerHandle } from './children.ts'

export interface LoadOptions {
  durationSeconds: number
  connections: number
  pipelining: number
  headers: Record<string, string>
}

export interface Measurement {
  rps: number
  p50Ms: number
  p99Ms: number
  /** Responses whose status was not 2xx, by status code. */
  non2xx: Record<string, number>
  /** Socket errors and timeouts: load that never got an answer. */
  errors: number
  timeouts: number
  /** Cores the server used during the run: near 1 means it, not the client, was the limit. */
  serverCpu: number
  /** Server CPU time per completed request, in µs: the cost of one request, whoever was the limit. */
  serverCpuMicrosPerRequest: number
  /** Cores the load generator (this process) used. */
  clientCpu: number
  /**
   * Cores busy with anything else on the machine (other processes, the hypervisor's
   * steal), from /proc/stat; undefined where there is none. On a 2-core machine a
   * fraction of a core here is enough to distort the comparison.
   */
  otherCpu: number | undefined
}

function runAutocannon(
  url: string,
  options: LoadOptions,
  onLatencyMs: (ms: number) => void,
): Promise<Result> {
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url,
        connections: options.connections,
        pipelining: options.pipelining,
        duration: options.durationSeconds,
        headers: options.headers,
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    )
    instance.on('response', (_client: unknown, _status: number, _bytes: number, ms: number) =>
      onLatencyMs(ms),
    )
  })
}

function non2xxByStatus(result: Result): Record<string, number> {
  return Object.fromEntries(
    Object.entries(result.statusCodeStats)
      .filter(([status]) => !status.startsWith('2'))
      .map(([status, { count }]) => [status, count]),
  )
}

/** Busy CPU seconds of the whole machine so far (Linux; /proc/stat counts in 1/100 s). */
function machineBusySeconds(): number | undefined {
  try {
    const fields = (readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '').split(/\s+/)
    // cpu user nice system idle iowait irq softirq steal: everything but idle and iowait.
    const [user, nice, system, , , irq, softirq, steal] = fields.slice(1, 9).map(Number)
    const busy = [user, nice, system, irq, softirq, steal].reduce<number>((a, b) => a + (b ?? 0), 0)
    return Number.isFinite(busy) ? busy / 100 : undefined
  } catch {
    return undefined
  }
}

/** CPU time of this process and of the whole machine, to attribute a run's CPU afterwards. */
function localCpuSample() {
  const { user, system } = process.cpuUsage()
  return { clientMicros: user + system, machineSeconds: machineBusySeconds() }
}

export async function measure(
  server: ServerHandle,
  path: string,
  options: LoadOptions,
): Promise<Measurement> {
  // autocannon's own histogram keeps whole milliseconds, too coarse for sub-ms latencies
  // on loopback; this one keeps nanoseconds.
  const latencyNs = createHistogram()
  const before = await server.cpuSample()
  const localBefore = localCpuSample()
  const result = await runAutocannon(`http://127.0.0.1:${server.port}${path}`, options, (ms) =>
    latencyNs.record(Math.max(1, Math.round(ms * 1e6))),
  )
  const localAfter = localCpuSample()
  const after = await server.cpuSample()

  const wallSeconds = (after.wallMicros - before.wallMicros) / 1e6
  const serverSeconds = (after.cpuMicros - before.cpuMicros) / 1e6
  const clientSeconds = (localAfter.clientMicros - localBefore.clientMicros) / 1e6
  const machineSeconds =
    localAfter.machineSeconds !== undefined && localBefore.machineSeconds !== undefined
      ? localAfter.machineSeconds - localBefore.machineSeconds
      : undefined
  return {
    rps: result.requests.average,
    p50Ms: latencyNs.percentile(50) / 1e6,
    p99Ms: latencyNs.percentile(99) / 1e6,
    non2xx: non2xxByStatus(result),
    errors: result.errors,
    timeouts: result.timeouts,
    serverCpu: serverSeconds / wallSeconds,
    serverCpuMicrosPerRequest: (serverSeconds * 1e6) / result.requests.total,
    clientCpu: clientSeconds / wallSeconds,
    otherCpu:
      machineSeconds === undefined
        ? undefined
        : Math.max(0, machineSeconds - serverSeconds - clientSeconds) / wallSeconds,
  }
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}

/** Everything that is not a clean 2xx answer; the bench is void if this is not zero. */
export function failedResponses(m: Measurement): number {
  return Object.values(m.non2xx).reduce((a, b) => a + b, 0) + m.errors + m.timeouts
}
