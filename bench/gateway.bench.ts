/**
 * What a proxy in front of a small upstream costs, for the apiops gateway and for what
 * it is measured against (issue 13, "Speed"). In one run, in rotating order over rounds,
 * 50 keep-alive connections from autocannon in this process, every server in its own:
 * - direct: the upstream (node:http, a small body) without a proxy;
 * - nginx: /usr/sbin/nginx on its own config, one worker, upstream keep-alive (skipped
 *   with a note where absent);
 * - @fastify/http-proxy 11 on Fastify 5;
 * - the minimal undici proxy (bench/minimal-proxy.ts): the floor of what Node can do;
 * - apiops: a gateway node (`node dist/main.js gateway --environment bench --port N`)
 *   serving one proxy deployed to `bench` through the management API; with
 *   `--proxies 1000`, also a node with 1,000 deployed proxies, against the one with 1.
 *
 *   npm run bench -- --gateway [--seconds 5] [--rounds 3] [--proxies 1000]
 *
 * Prints per server the median over rounds of req/s, p50/p99 and the proxy's CPU per
 * request (utime + stime from /proc, the nginx worker included), and the median of the
 * per-round ratios to direct and to nginx. On a 2-core machine load generator, proxy and
 * upstream share the cores: compare ratios from one run, not figures across machines.
 */
import { parseArgs } from 'node:util'
import {
  ensureCompiledServer,
  installCleanupHandlers,
  registerTempDir,
  type ServerHandle,
} from './children.ts'
import { makeTempDir } from './fixture.ts'
import { prepareGatewayDb } from './gateway-fixture.ts'
import {
  BENCH_PATH,
  gatewayAvailable,
  startFastifyProxy,
  startGateway,
  startMinimalProxy,
  startNginx,
  startUpstream,
} from './gateway-targets.ts'
import { type LoadOptions, type Measurement, measure, median } from './load.ts'

const CONNECTIONS = 50
const WARM_UP_SECONDS = 2

interface Options {
  seconds: number
  rounds: number
  /** Deployed proxies of the second apiops node; 0: no second node. */
  proxies: number
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '5' },
      rounds: { type: 'string', default: '3' },
      proxies: { type: 'string', default: '0' },
    },
  })
  const options = {
    seconds: Number(values.seconds),
    rounds: Number(values.rounds),
    proxies: Number(values.proxies),
  }
  for (const [name, value] of Object.entries(options)) {
    if (!Number.isInteger(value) || value < 0) throw new Error(`--${name} must be a whole number`)
  }
  return options
}

interface Sample {
  m: Measurement
  /** The upstream's CPU per request during the same run (µs). */
  upstreamMicros: number
}

async function run(
  target: ServerHandle,
  upstream: ServerHandle,
  options: LoadOptions,
): Promise<Sample> {
  const before = await upstream.cpuSample()
  const m = await measure(target, BENCH_PATH, options)
  const after = await upstream.cpuSample()
  const requests = m.rps * options.durationSeconds
  return { m, upstreamMicros: (after.cpuMicros - before.cpuMicros) / requests }
}

const load = (seconds: number): LoadOptions => ({
  durationSeconds: seconds,
  connections: CONNECTIONS,
  pipelining: 1,
  headers: {},
})

/** Starts what this machine and build have; prints why anything is left out. */
async function startTargets(options: Options, upstream: ServerHandle): Promise<ServerHandle[]> {
  const origin = `http://127.0.0.1:${upstream.port}`
  const targets: ServerHandle[] = [upstream]
  const nginxDir = makeTempDir()
  registerTempDir(nginxDir)
  const nginx = await startNginx(nginxDir, upstream.port).catch(
    (error: Error) => `nginx: could not start (${error.message}), skipped`,
  )
  if (typeof nginx === 'string') console.log(nginx)
  else targets.push(nginx)
  targets.push(await startFastifyProxy(origin), await startMinimalProxy(origin))
  if (!gatewayAvailable()) {
    console.log('apiops gateway: not available in this build')
    return targets
  }
  const counts = options.proxies > 1 ? [1, options.proxies] : [1]
  for (const count of counts) {
    const name = count === 1 ? 'apiops' : `apiops, ${count} proxies`
    try {
      const fixture = await prepareGatewayDb(origin, count)
      targets.push(await startGateway(name, fixture.dataDir, fixture.secretBase64))
    } catch (error) {
      console.log(`${name}: could not start (${error instanceof Error ? error.message : error})`)
    }
  }
  return targets
}

const fixed = (value: number, digits: number) =>
  Number.isFinite(value) ? value.toFixed(digits) : '-'

function report(targets: ServerHandle[], samples: Map<string, Sample[]>, options: Options): void {
  const of = (name: string, round: number) => samples.get(name)?.[round]?.m.rps ?? Number.NaN
  const ratio = (name: string, base: string) =>
    median(
      Array.from({ length: options.rounds }, (_, r) => of(name, r) / of(base, r)).filter(
        Number.isFinite,
      ),
    )
  const rows = targets.map((target) => {
    const list = samples.get(target.name) ?? []
    const direct = target.name === 'direct'
    return [
      target.name,
      fixed(median(list.map((s) => s.m.rps)), 0),
      fixed(median(list.map((s) => s.m.p50Ms)), 2),
      fixed(median(list.map((s) => s.m.p99Ms)), 2),
      direct ? '-' : fixed(median(list.map((s) => s.m.serverCpuMicrosPerRequest)), 1),
      fixed(median(list.map((s) => s.upstreamMicros)), 1),
      fixed(median(list.map((s) => s.m.clientCpu)), 2),
      fixed(median(list.map((s) => s.m.otherCpu ?? Number.NaN)), 2),
      fixed(ratio(target.name, 'direct'), 2),
      fixed(ratio(target.name, 'nginx'), 2),
    ]
  })
  const header = [
    'server',
    'req/s',
    'p50 ms',
    'p99 ms',
    'proxy CPU µs/req',
    'upstream µs/req',
    'client cores',
    'other cores',
    'vs direct',
    'vs nginx',
  ]
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]?.length ?? 0)))
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0)))
      .join('  ')
  console.log(
    `\nmedians over ${options.rounds} round(s) of ${options.seconds} s, ${CONNECTIONS} connections:`,
  )
  console.log(line(header))
  for (const row of rows) console.log(line(row))
  console.log(
    'proxy CPU: the proxy process(es) per request; client: this process (autocannon); other: ' +
      'the rest of the machine, the upstream included (about one upstream core on a quiet machine)',
  )
  if (options.proxies > 1 && samples.has(`apiops, ${options.proxies} proxies`)) {
    console.log(
      `apiops with ${options.proxies} proxies deployed: ${fixed(ratio(`apiops, ${options.proxies} proxies`, 'apiops'), 3)} of the throughput with 1`,
    )
  }
}

async function main(): Promise<void> {
  const options = parseOptions()
  installCleanupHandlers()
  console.log(await ensureCompiledServer())
  const upstream = await startUpstream()
  const targets = await startTargets(options, upstream)
  try {
    for (const target of targets) await run(target, upstream, load(WARM_UP_SECONDS))
    const samples = new Map<string, Sample[]>(targets.map((t) => [t.name, []]))
    for (let round = 0; round < options.rounds; round++) {
      // Each round starts one server later, so no server always runs first or last.
      const order = targets.map((_, i) => targets[(i + round) % targets.length] as ServerHandle)
      const parts: string[] = []
      for (const target of order) {
        const sample = await run(target, upstream, load(options.seconds))
        samples.get(target.name)?.push(sample)
        const failed = sample.m.errors + sample.m.timeouts + Object.keys(sample.m.non2xx).length
        parts.push(`${target.name} ${sample.m.rps.toFixed(0)}/s${failed ? ' (FAILURES)' : ''}`)
      }
      console.log(`round ${round + 1}: ${parts.join(', ')}`)
    }
    report(targets, samples, options)
  } finally {
    for (const target of targets) await target.stop()
  }
}

await main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(
      `\nbench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    )
    process.exit(1)
  },
)
