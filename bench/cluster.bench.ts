/**
 * `npm run bench -- --cluster`: real `apiops serve` processes sharing one PostgreSQL.
 *
 * 1. Throughput of 1, 2 and 3 nodes: an authenticated GET /apiops/test/hello/John,
 *    the same total number of connections spread evenly over the nodes, in alternating
 *    rounds; medians are compared with one node.
 * 2. Revocation propagation: a token is used on every node (so each has it cached),
 *    revoked through node A, and every other node is polled until it refuses; the time
 *    from A's answer (its commit) to the last refusal is one sample. Measured idle and
 *    while all nodes are under load. Target: p99 < 100 ms.
 *
 * The database is a throwaway schema of the PostgreSQL at --pg (default:
 * APIOPS_TEST_PG_URL, else postgres://postgres@127.0.0.1:5432/test), dropped afterwards.
 */
import { readFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import autocannon, { type Instance, type Result } from 'autocannon'
import {
  type ApiopsNode,
  clusterSettings,
  measurePropagation,
  quantile,
  startNodes,
  stopNodes,
} from '../test/nodes.ts'
import { createThrowawaySchema } from '../test/pg-schema.ts'
import { HELLO_PATH } from './protocol.ts'

export interface ClusterBenchOptions {
  durationSeconds: number
  rounds: number
  /** Total connections, spread over the nodes under load. */
  connections: number
  /** Propagation samples, idle; half as many are taken under load. */
  samples: number
  pgUrl: string
}

const MAX_NODES = 3
const PROPAGATION_P99_MS = 100
const ADMIN_PASSWORD = 'cluster bench password'

const fmt = {
  int: (n: number) => Math.round(n).toLocaleString('en-US'),
  ms: (n: number) => n.toFixed(1),
  cores: (n: number) => n.toFixed(2),
}

/** CPU seconds a process has used so far (Linux /proc, in 1/100 s). */
function processCpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return 0
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
    return (Number(fields[11]) + Number(fields[12])) / 100
  } catch {
    return 0
  }
}

function load(base: string, token: string, connections: number, seconds: number) {
  let instance: Instance | undefined
  const done = new Promise<Result>((resolve, reject) => {
    instance = autocannon(
      {
        url: `${base}${HELLO_PATH}`,
        connections,
        duration: seconds,
        headers: { authorization: `Bearer ${token}` },
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    )
  })
  return { done, stop: () => instance?.stop() }
}

interface Throughput {
  rps: number
  p99Ms: number
  failed: number
  nodesCpu: number
  clientCpu: number
}

async function measureThroughput(
  nodes: readonly ApiopsNode[],
  token: string,
  options: ClusterBenchOptions,
): Promise<Throughput> {
  const per = Math.max(1, Math.round(options.connections / nodes.length))
  const cpuBefore = nodes.map((n) => processCpuSeconds(n.pid))
  const clientBefore = process.cpuUsage()
  const started = performance.now()
  const results = await Promise.all(
    nodes.map((n) => load(n.base, token, per, options.durationSeconds).done),
  )
  const seconds = (performance.now() - started) / 1000
  const client = process.cpuUsage(clientBefore)
  const nodesCpu = nodes.reduce(
    (sum, n, i) => sum + processCpuSeconds(n.pid) - (cpuBefore[i] ?? 0),
    0,
  )
  return {
    rps: results.reduce((sum, r) => sum + r.requests.total, 0) / seconds,
    p99Ms: Math.max(...results.map((r) => r.latency.p99)),
    failed: results.reduce((sum, r) => sum + r.non2xx + r.errors + r.timeouts, 0),
    nodesCpu: nodesCpu / seconds,
    clientCpu: (client.user + client.system) / 1e6 / seconds,
  }
}

const median = (values: number[]) =>
  quantile(
    [...values].sort((a, b) => a - b),
    0.5,
  )

async function propagation(nodes: readonly ApiopsNode[], samples: number): Promise<number[]> {
  const taken: number[] = []
  for (let i = 0; i < samples; i++) {
    taken.push(await measurePropagation(nodes, 'admin', ADMIN_PASSWORD))
  }
  return taken.sort((a, b) => a - b)
}

function reportPropagation(what: string, sorted: number[]): boolean {
  const ok = quantile(sorted, 0.99) < PROPAGATION_P99_MS
  console.log(
    `  ${what} (${sorted.length} samples): p50 ${fmt.ms(quantile(sorted, 0.5))} ms, ` +
      `p90 ${fmt.ms(quantile(sorted, 0.9))} ms, p99 ${fmt.ms(quantile(sorted, 0.99))} ms, ` +
      `max ${fmt.ms(quantile(sorted, 1))} ms (target p99 < ${PROPAGATION_P99_MS} ms): ${ok ? 'PASS' : 'FAIL'}`,
  )
  return ok
}

export async function runClusterBench(options: ClusterBenchOptions): Promise<number> {
  console.log(
    `apiops cluster bench: up to ${MAX_NODES} nodes on one PostgreSQL, ${options.rounds} rounds x ` +
      `${options.durationSeconds} s per node count, ${options.connections} connections in all, ` +
      `${availableParallelism()} cores on this machine`,
  )
  const schema = await createThrowawaySchema(options.pgUrl, 'bench_cluster')
  let nodes: ApiopsNode[] = []
  try {
    nodes = await startNodes(MAX_NODES, clusterSettings(schema.url, ADMIN_PASSWORD))
    const token = await (nodes[0] as ApiopsNode).token('admin', ADMIN_PASSWORD)
    // Warm-up: JIT and caches of every node.
    await measureThroughput(nodes, token, { ...options, durationSeconds: 2 })

    const runs = new Map<number, Throughput[]>()
    for (let round = 1; round <= options.rounds; round++) {
      for (let count = 1; count <= MAX_NODES; count++) {
        const m = await measureThroughput(nodes.slice(0, count), token, options)
        runs.set(count, [...(runs.get(count) ?? []), m])
        console.log(
          `  round ${round}/${options.rounds}, ${count} node${count > 1 ? 's' : ''}: ${fmt.int(m.rps)} req/s, ` +
            `p99 ${fmt.ms(m.p99Ms)} ms, nodes' CPU ${fmt.cores(m.nodesCpu)} cores, client ${fmt.cores(m.clientCpu)}` +
            (m.failed > 0 ? `, ${m.failed} FAILED` : ''),
        )
      }
    }
    const one = median((runs.get(1) ?? []).map((m) => m.rps))
    console.log(`\nThroughput (medians of ${options.rounds} rounds)`)
    console.log('  nodes      req/s  vs 1 node     p99 ms  nodes CPU  client CPU')
    for (const [count, list] of runs) {
      const rps = median(list.map((m) => m.rps))
      const cells = [
        fmt.int(rps),
        (rps / one).toFixed(2),
        fmt.ms(median(list.map((m) => m.p99Ms))),
        fmt.cores(median(list.map((m) => m.nodesCpu))),
        fmt.cores(median(list.map((m) => m.clientCpu))),
      ]
      console.log(`  ${String(count).padEnd(5)} ${cells.map((c) => c.padStart(10)).join(' ')}`)
    }
    const failed = [...runs.values()].flat().reduce((sum, m) => sum + m.failed, 0)
    console.log(
      `  note: every node and the load generator share this machine's ${availableParallelism()} cores, so more ` +
        'nodes cannot add CPU here; these figures show what coordination costs, not how N machines scale',
    )

    console.log('\nRevocation propagation (A committed -> every other node refusing)')
    const idle = reportPropagation('idle', await propagation(nodes, options.samples))
    const loads = nodes.map((n) =>
      load(n.base, token, Math.max(1, Math.round(options.connections / nodes.length)), 600),
    )
    let loaded: boolean
    try {
      loaded = reportPropagation(
        `while all ${nodes.length} nodes serve the load`,
        await propagation(nodes, Math.ceil(options.samples / 2)),
      )
    } finally {
      for (const l of loads) l.stop()
      await Promise.all(loads.map((l) => l.done))
    }
    if (failed > 0)
      console.log(`  !!! ${failed} non-2xx answers or errors during the throughput runs`)
    return idle && loaded && failed === 0 ? 0 : 1
  } finally {
    await stopNodes(nodes)
    await schema.drop()
  }
}
