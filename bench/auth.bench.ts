/**
 * What does Bearer authentication cost? Loads an authenticated
 * `GET /apiops/test/hello/John` on a real apiops server (buildApp over a SQLite file)
 * and, in the same rounds, the same route without authentication: once on an
 * identical apiops server (same build, same hooks, same handler and schema, the route
 * marked public: "open") and once on a plain Fastify 5 with nothing else ("fastify").
 * auth/open is the cost of authentication, the verdict; auth/fastify and open/fastify
 * say what the rest of apiops (security headers, audit hook, request logger, a router
 * of ~100 routes) costs, for information.
 *
 *   npm run bench                             # 9 rounds x 3 s per target
 *   npm run bench -- --tokens 1000000         # the same on a table of 1M other tokens
 *   npm run bench -- --compare-fill 1000000   # without and with the fill, side by side
 *   npm run bench -- --profile auth           # also write a V8 CPU profile of the auth server
 *   npm run bench -- --cluster                # 1, 2 and 3 nodes on PostgreSQL (bench/cluster.bench.ts)
 *
 * Method: each server runs in its own child process, so autocannon (here) never shares
 * an event loop with the server it measures; on a 2-core machine that is one core each.
 * The apiops servers run what ships, the way `npm start` runs it: the compiled build in
 * dist/ (built first when missing or older than src/), plain node without tsx, with
 * bin/v8-tuning.js loaded first and the environment passed through (so
 * `APIOPS_V8_PRETENURING=off npm run bench` measures that setting).
 * All are warmed up (JIT, caches), then measured in turn, round after round, each
 * round starting one target later (fastify, open, auth; then open, auth, fastify; ...),
 * so drifts of the machine hit every target alike and none always runs first or right
 * after the same neighbour. A ratio is the median of its per-round ratios: the two
 * targets of a pair were measured seconds apart, under the same conditions.
 *
 * Pass criteria (exit code 1 if any fails):
 * - auth/open throughput ratio >= 0.85;
 * - zero non-2xx responses, errors or timeouts: otherwise the numbers measure errors;
 * - table size must not matter: the ratio on an api_tokens table filled with N other
 *   tokens must be within 5% (relative) of the ratio without the fill. Token lookups go
 *   by primary key and through a cache, so if size shows, something on the hot path
 *   scans or re-reads the table. --compare-fill N checks this; it runs both auth servers
 *   (empty and filled database) in the same rounds against the same open measurements,
 *   so machine noise in the baseline cannot fake or hide a difference. Single runs of
 *   one target still vary by ±10-40% on a shared 2-core VM (the same server's CPU per
 *   request moves that much between rounds), hence 9 rounds by default; the report
 *   says when the spread still exceeds 5%: use more rounds (e.g. --rounds 15) then.
 */
import { mkdirSync } from 'node:fs'
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import {
  ensureCompiledServer,
  installCleanupHandlers,
  registerTempDir,
  type ServerHandle,
  startServer,
} from './children.ts'
import { countTokenRows, fillTokens, makeTempDir, prepareAuthDb } from './fixture.ts'
import { failedResponses, type LoadOptions, type Measurement, measure, median } from './load.ts'
import { HELLO_BODY, HELLO_PATH, OPEN_HELLO_PATH, type ServerKind } from './protocol.ts'

const MIN_RATIO = 0.85
const MAX_FILL_DRIFT = 0.05
/** Below this the open server was not the bottleneck, so the ratio understates the auth cost. */
const SATURATED_CPU = 0.9
/** Cores of other work (other processes, steal) above which a run is called noisy. */
const BUSY_MACHINE_CORES = 0.15

interface Options {
  /** The apiops servers' LOG_LEVEL: the shipped default unless told. */
  logLevel: string
  durationSeconds: number
  rounds: number
  warmupSeconds: number
  connections: number
  pipelining: number
  /** Extra token rows per auth server: [0] by default, [N] for --tokens, [0, N] for --compare-fill. */
  fills: number[]
  profile: ServerKind | undefined
  /** Set by --cluster: run bench/cluster.bench.ts instead. */
  cluster: { samples: number; pgUrl: string } | undefined
}

const USAGE = `Usage: npm run bench -- [options]
  --duration <s>        seconds per measurement (default 3)
  --rounds <n>          rounds of measurements, one per target each (default 9)
  --log-level <level>   LOG_LEVEL of the apiops servers (default info, as shipped; lines go to /dev/null)
  --warmup <s>          warm-up seconds per target (default 2)
  --connections <n>     autocannon connections (default 10)
  --pipelining <n>      autocannon pipelining (default 1)
  --tokens <n>          fill api_tokens with n other users' tokens first (default 0)
  --compare-fill <n>    measure without fill and with n rows, and compare the ratios
  --profile <kind>      bare|auth: write V8 CPU profiles of those servers to bench/profiles/
  --cluster             instead: throughput of 1, 2, 3 nodes on PostgreSQL and revocation propagation
  --samples <n>         --cluster: propagation samples (default 100; half as many under load)
  --pg <url>            --cluster: PostgreSQL to use (default APIOPS_TEST_PG_URL or
                        postgres://postgres@127.0.0.1:5432/test); a throwaway schema is made and dropped`

function wholeNumber(name: string, raw: string | undefined, fallback: number, min = 1): number {
  if (raw === undefined) return fallback
  const value = Number(raw.replaceAll('_', ''))
  if (!Number.isInteger(value) || value < min) {
    throw new Error(`--${name} must be a whole number >= ${min}`)
  }
  return value
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']

function logLevelOf(value: string | undefined): string {
  if (value === undefined) return 'info'
  if (!LOG_LEVELS.includes(value))
    throw new Error(`--log-level must be one of ${LOG_LEVELS.join(', ')}`)
  return value
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      duration: { type: 'string' },
      rounds: { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string' },
      pipelining: { type: 'string' },
      tokens: { type: 'string' },
      'compare-fill': { type: 'string' },
      profile: { type: 'string' },
      cluster: { type: 'boolean' },
      samples: { type: 'string' },
      pg: { type: 'string' },
      'log-level': { type: 'string' },
      help: { type: 'boolean' },
    },
  })
  if (values.help) {
    console.log(USAGE)
    process.exit(0)
  }
  if (values.profile !== undefined && values.profile !== 'bare' && values.profile !== 'auth') {
    throw new Error('--profile must be bare or auth')
  }
  if (values['compare-fill'] !== undefined && values.tokens !== undefined) {
    throw new Error('--compare-fill already says how many rows to fill; drop --tokens')
  }
  const fills =
    values['compare-fill'] !== undefined
      ? [0, wholeNumber('compare-fill', values['compare-fill'], 0)]
      : [wholeNumber('tokens', values.tokens, 0, 0)]
  return {
    logLevel: logLevelOf(values['log-level']),
    durationSeconds: wholeNumber('duration', values.duration, 3),
    rounds: wholeNumber('rounds', values.rounds, 9),
    warmupSeconds: wholeNumber('warmup', values.warmup, 2, 0),
    connections: wholeNumber('connections', values.connections, 10),
    pipelining: wholeNumber('pipelining', values.pipelining, 1),
    fills,
    profile: values.profile as ServerKind | undefined,
    cluster: values.cluster
      ? {
          samples: wholeNumber('samples', values.samples, 100),
          pgUrl:
            values.pg ??
            process.env.APIOPS_TEST_PG_URL ??
            'postgres://postgres@127.0.0.1:5432/test',
        }
      : undefined,
  }
}

const fmt = {
  int: (n: number) => Math.round(n).toLocaleString('en-US'),
  ms: (n: number) => n.toFixed(3),
  pct: (n: number) => `${(n * 100).toFixed(1)}%`,
  cores: (n: number) => n.toFixed(2),
  ratio: (n: number) => n.toFixed(3),
}

// ---------------------------------------------------------------------------
// Setting up: databases, servers, and a check that they answer as assumed.

/**
 * fastify: plain Fastify; open: apiops without auth; open+token: the same open route
 * sent the same Authorization header (ignored there), to tell the cost of carrying a
 * token from the cost of checking it; auth: apiops with a Bearer token.
 */
type Role = 'fastify' | 'open' | 'open+token' | 'auth'

interface Target {
  label: string
  role: Role
  kind: ServerKind
  path: string
  /** Extra token rows in this server's database (auth only). */
  fill: number
  server: ServerHandle
  load: LoadOptions
  runs: Measurement[]
}

function authLabel(fill: number): string {
  return fill === 0 ? 'auth' : `auth, +${fmt.int(fill)} tokens`
}

function profiling(kind: ServerKind, options: Options): { cpuProfileDir?: string } {
  if (options.profile !== kind) return {}
  const dir = resolve(import.meta.dirname, 'profiles')
  mkdirSync(dir, { recursive: true })
  return { cpuProfileDir: dir }
}

function loadOptions(options: Options, headers: Record<string, string>): LoadOptions {
  return {
    durationSeconds: options.durationSeconds,
    connections: options.connections,
    pipelining: options.pipelining,
    headers,
  }
}

async function startFastify(options: Options): Promise<Target> {
  const server = await startServer(
    'fastify',
    { type: 'start', target: 'bare' },
    profiling('bare', options),
  )
  return {
    label: 'fastify',
    role: 'fastify',
    kind: 'bare',
    path: HELLO_PATH,
    fill: 0,
    server,
    load: loadOptions(options, {}),
    runs: [],
  }
}

interface AuthDatabase {
  fill: number
  dir: string
  secretBase64: string
  token: string
}

/** A fresh, migrated database with the bench user and token, filled first if asked. */
async function prepareDatabase(fill: number): Promise<AuthDatabase> {
  const dir = makeTempDir()
  // Removed when the bench exits, after the server using it is gone.
  registerTempDir(dir)
  const fixture = await prepareAuthDb(dir)
  if (fill > 0) {
    const { seconds } = await fillTokens(fixture, fill)
    console.log(
      `  filled ${fmt.int(fill)} token rows in ${seconds.toFixed(1)} s (${fmt.int(countTokenRows(dir))} rows in all)`,
    )
  }
  return { fill, dir, secretBase64: fixture.secretBase64, token: fixture.token }
}

/** An apiops server over `db`: for the auth target, or (open) for its unauthenticated twin route. */
async function startApiops(
  db: AuthDatabase,
  role: 'open' | 'auth',
  options: Options,
): Promise<Target> {
  const label = role === 'open' ? 'open' : authLabel(db.fill)
  const start = {
    type: 'start',
    target: 'auth',
    dataDir: db.dir,
    secretBase64: db.secretBase64,
    logLevel: options.logLevel,
  } as const
  // --profile auth profiles the authenticated servers only.
  const server = await startServer(label, start, role === 'auth' ? profiling('auth', options) : {})
  const headers: Record<string, string> =
    role === 'auth' ? { authorization: `Bearer ${db.token}` } : {}
  return {
    label,
    role,
    kind: 'auth',
    path: role === 'auth' ? HELLO_PATH : OPEN_HELLO_PATH,
    fill: db.fill,
    server,
    load: loadOptions(options, headers),
    runs: [],
  }
}

async function get(target: Target, headers: Record<string, string>) {
  const response = await fetch(`http://127.0.0.1:${target.server.port}${target.path}`, { headers })
  return { status: response.status, body: await response.text() }
}

/** Proves each server answers the way the bench assumes before any number is taken. */
async function smokeTest(target: Target): Promise<void> {
  const checks: [string, Record<string, string>, number, string | null][] = [
    [target.label, target.load.headers, 200, HELLO_BODY],
  ]
  // Without the token the route must refuse: otherwise "auth" would measure no auth at all.
  if (target.role === 'auth') checks.push([`${target.label} without a token`, {}, 401, null])
  for (const [what, headers, status, body] of checks) {
    const got = await get(target, headers)
    if (got.status !== status || (body !== null && got.body !== body)) {
      throw new Error(
        `smoke test '${what}': expected ${status} ${body ?? ''}, got ${got.status} ${got.body}`,
      )
    }
  }
}

// ---------------------------------------------------------------------------
// Measuring

function describe(m: Measurement): string {
  const failed = failedResponses(m)
  return (
    `${fmt.int(m.rps)} req/s, p50 ${fmt.ms(m.p50Ms)} ms, p99 ${fmt.ms(m.p99Ms)} ms, ` +
    `CPU: server ${fmt.cores(m.serverCpu)} (${fmt.int(m.serverCpuMicrosPerRequest)} µs/req), ` +
    `client ${fmt.cores(m.clientCpu)}, other ${m.otherCpu === undefined ? 'n/a' : fmt.cores(m.otherCpu)}` +
    (failed ? `, ${failed} FAILED RESPONSES` : '')
  )
}

async function measureInTurn(targets: Target[], options: Options): Promise<void> {
  const width = Math.max(...targets.map((t) => t.label.length))
  if (options.warmupSeconds > 0) {
    for (const t of targets) {
      console.log(`  warm-up ${t.label} (${options.warmupSeconds} s)`)
      await measure(t.server, t.path, { ...t.load, durationSeconds: options.warmupSeconds })
    }
  }
  for (let round = 1; round <= options.rounds; round++) {
    const order = targets.map((_, i) => targets[(i + round - 1) % targets.length] as Target)
    for (const t of order) {
      const m = await measure(t.server, t.path, t.load)
      t.runs.push(m)
      console.log(`  round ${round}/${options.rounds} ${t.label.padEnd(width)}: ${describe(m)}`)
    }
  }
}

// ---------------------------------------------------------------------------
// Reporting; each function prints and returns whether its check passed.

const medianOf = (t: Target, pick: (m: Measurement) => number) => median(t.runs.map(pick))

/** Half the range of one target's req/s across rounds, relative to its median: the run-to-run noise. */
function rpsSpread(t: Target): number {
  const rps = t.runs.map((m) => m.rps)
  return (Math.max(...rps) - Math.min(...rps)) / 2 / median(rps)
}

/** The median of the round-by-round ratios pick(target) / pick(baseline) (see the method above). */
function pairedRatio(target: Target, baseline: Target, pick: (m: Measurement) => number): number {
  return median(target.runs.map((m, i) => pick(m) / pick(baseline.runs[i] as Measurement)))
}

const throughputRatio = (target: Target, baseline: Target) =>
  pairedRatio(target, baseline, (m) => m.rps)

function printTable(targets: Target[], rounds: number): void {
  const width = Math.max(6, ...targets.map((t) => t.label.length))
  const columns = [
    'req/s',
    'req/s ±',
    'p50 ms',
    'p99 ms',
    'server CPU',
    'CPU µs/req',
    'client CPU',
    'other CPU',
  ]
  console.log(
    `\nResults (medians of ${rounds} rounds; ± is half the req/s range across rounds; CPU in cores)`,
  )
  console.log(`  ${'target'.padEnd(width)} ${columns.map((c) => c.padStart(10)).join(' ')}`)
  for (const t of targets) {
    const cells = [
      fmt.int(medianOf(t, (m) => m.rps)),
      fmt.pct(rpsSpread(t)),
      fmt.ms(medianOf(t, (m) => m.p50Ms)),
      fmt.ms(medianOf(t, (m) => m.p99Ms)),
      fmt.cores(medianOf(t, (m) => m.serverCpu)),
      fmt.int(medianOf(t, (m) => m.serverCpuMicrosPerRequest)),
      fmt.cores(medianOf(t, (m) => m.clientCpu)),
      t.runs.some((m) => m.otherCpu === undefined)
        ? 'n/a'
        : fmt.cores(medianOf(t, (m) => m.otherCpu ?? 0)),
    ]
    console.log(`  ${t.label.padEnd(width)} ${cells.map((c) => c.padStart(10)).join(' ')}`)
  }
}

function reportRatio(auth: Target, open: Target, comparingFills: boolean): boolean {
  const ratio = throughputRatio(auth, open)
  const ok = ratio >= MIN_RATIO
  const which =
    auth.fill > 0 ? ` (+${fmt.int(auth.fill)} tokens)` : comparingFills ? ' (no fill)' : ''
  console.log(
    `  throughput ratio auth/open${which}: ${fmt.ratio(ratio)} (target >= ${MIN_RATIO}): ${ok ? 'PASS' : 'FAIL'}`,
  )
  // The same comparison in server CPU per request, which holds even when the client is the limit.
  const cpu = pairedRatio(open, auth, (m) => m.serverCpuMicrosPerRequest)
  console.log(`    (server CPU per request, open/auth${which}: ${fmt.ratio(cpu)}, for information)`)
  if (auth.fill > 0 && !comparingFills) {
    console.log(
      `    this ratio must be within ${MAX_FILL_DRIFT * 100}% of the ratio without the fill (check with --compare-fill ${auth.fill})`,
    )
  }
  return ok
}

/** Splits auth/open into carrying the token (request size) and checking it: context, not a verdict. */
function reportTokenCosts(open: Target, openToken: Target, auth: Target): void {
  const cpu = (t: Target) => medianOf(t, (m) => m.serverCpuMicrosPerRequest)
  console.log(
    `  for information, where it goes: carrying the token (open+token/open) ${fmt.ratio(throughputRatio(openToken, open))}, ` +
      `checking it (auth/open+token) ${fmt.ratio(throughputRatio(auth, openToken))}; server CPU per request ` +
      `open ${fmt.int(cpu(open))} µs, open+token ${fmt.int(cpu(openToken))} µs, auth ${fmt.int(cpu(auth))} µs`,
  )
}

/** What the rest of apiops costs against a plain Fastify: context, not a verdict. */
function reportFrameworkRatios(fastify: Target, open: Target, auth: Target): void {
  console.log(
    `  for information, against a plain Fastify 5 with no hooks: open/fastify ${fmt.ratio(throughputRatio(open, fastify))}, ` +
      `auth/fastify ${fmt.ratio(throughputRatio(auth, fastify))}`,
  )
}

/** Says when the numbers compare something other than the two servers' own costs. */
function reportMeasurementQuality(open: Target, all: Target[]): void {
  const others = all.flatMap((t) => t.runs.map((m) => m.otherCpu ?? 0))
  const busiest = Math.max(...others)
  if (busiest > BUSY_MACHINE_CORES) {
    console.log(
      `  note: other work on this machine used up to ${fmt.cores(busiest)} cores during the runs ` +
        `(median ${fmt.cores(median(others))}); the numbers are noisy, rerun on a quiet machine`,
    )
  }
  if (medianOf(open, (m) => m.serverCpu) < SATURATED_CPU) {
    const limit =
      medianOf(open, (m) => m.clientCpu) >= SATURATED_CPU
        ? 'the load generator was the limit'
        : 'neither process was CPU-bound (scheduling or other load)'
    console.log(
      `  note: the open server was not CPU-bound, ${limit}: the throughput ratios are flattered`,
    )
  }
}

function reportFillDrift(without: Target, withFill: Target, open: Target, rounds: number): boolean {
  const before = throughputRatio(without, open)
  const after = throughputRatio(withFill, open)
  const drift = Math.abs(after - before) / before
  const ok = drift <= MAX_FILL_DRIFT
  console.log(
    `  ratio without fill ${fmt.ratio(before)}, with ${fmt.int(withFill.fill)} rows ${fmt.ratio(after)}`,
  )
  console.log(
    `  relative difference: ${fmt.pct(drift)} (must be <= ${MAX_FILL_DRIFT * 100}%): ${ok ? 'PASS' : 'FAIL'}`,
  )
  // A verdict finer than the noise is luck either way: say so, and how to get a real one.
  const noise = Math.max(rpsSpread(without), rpsSpread(withFill))
  if (noise > MAX_FILL_DRIFT) {
    console.log(
      `    note: one target's runs differ by up to ±${fmt.pct(noise)} here, more than the ` +
        `${MAX_FILL_DRIFT * 100}% being checked; rerun with more rounds (e.g. --rounds ${2 * rounds}) for a stable verdict`,
    )
  }
  return ok
}

/** Loud on purpose: a run with errors measured error handling, not the route. */
function reportFailedResponses(targets: Target[]): boolean {
  const bad = targets.flatMap((t) =>
    t.runs.filter((m) => failedResponses(m) > 0).map((m) => [t, m] as const),
  )
  if (bad.length === 0) {
    console.log('  non-2xx responses: none (0 non-2xx, 0 errors, 0 timeouts)')
    return true
  }
  console.log('  !!!!!!!! FAIL: NOT EVERY RESPONSE WAS 2xx; THESE NUMBERS ARE INVALID !!!!!!!!')
  for (const [t, m] of bad) {
    console.log(
      `  !!! ${t.label}: non-2xx by status ${JSON.stringify(m.non2xx)}, errors ${m.errors}, timeouts ${m.timeouts}`,
    )
  }
  return false
}

function report(
  fastify: Target,
  open: Target,
  openToken: Target,
  auths: Target[],
  options: Options,
): boolean {
  const all = [fastify, open, openToken, ...auths]
  printTable(all, options.rounds)
  const checks = auths.map((auth) => reportRatio(auth, open, auths.length > 1))
  const [without, withFill] = auths
  if (without) {
    reportTokenCosts(open, openToken, without)
    reportFrameworkRatios(fastify, open, without)
  }
  if (without && withFill) checks.push(reportFillDrift(without, withFill, open, options.rounds))
  reportMeasurementQuality(open, all)
  checks.push(reportFailedResponses(all))
  return checks.every(Boolean)
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2))
  if (options.cluster) {
    const { runClusterBench } = await import('./cluster.bench.ts')
    return runClusterBench({ ...options, ...options.cluster })
  }
  installCleanupHandlers()
  console.log(
    `apiops auth bench: ${options.rounds} rounds x ${options.durationSeconds} s per target, ` +
      `warm-up ${options.warmupSeconds} s, ${options.connections} connections, ` +
      `pipelining ${options.pipelining}, servers on 127.0.0.1`,
  )
  console.log(await ensureCompiledServer())
  // Every database is ready before any server starts, so the (slow) fill never
  // competes with a server for the CPU.
  const databases: AuthDatabase[] = []
  for (const fill of options.fills) databases.push(await prepareDatabase(fill))
  const targets: Target[] = []
  try {
    targets.push(await startFastify(options))
    const open = await startApiops(databases[0] as AuthDatabase, 'open', options)
    targets.push(open)
    // Same server as open: only the request differs.
    const token = { authorization: `Bearer ${(databases[0] as AuthDatabase).token}` }
    targets.push({
      ...open,
      label: 'open+token',
      role: 'open+token',
      load: loadOptions(options, token),
      runs: [],
    })
    for (const db of databases) targets.push(await startApiops(db, 'auth', options))
    for (const t of targets) await smokeTest(t)
    await measureInTurn(targets, options)
  } finally {
    await Promise.all([...new Set(targets.map((t) => t.server))].map((server) => server.stop()))
  }
  const [fastify, open, openToken, ...auths] = targets as [Target, Target, Target, ...Target[]]
  return report(fastify, open, openToken, auths, options) ? 0 : 1
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(
      `\nbench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    )
    process.exit(1)
  },
)
