import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { freePort } from '../test/nodes.ts'

/**
 * Start-up cost of an apiops entry point, for docs/operations.md ("Build and start-up"):
 * time from spawn to the first 200 on /apiops/test/healthcheck (polled every 10 ms, fresh
 * data dir each run), the server's RSS at that moment, and the wall time of one CLI
 * command (`user list` on an existing data dir). Medians; entry points given together
 * are run in turn, so a busy machine weighs on each alike.
 *
 *   node --import tsx bench/startup.ts [--runs 5] bin/apiops.js [other-entry.js ...]
 */

const POLL_MS = 10
const READY_TIMEOUT_MS = 60_000
const PASSWORD = 'startup-bench-password-1'
/** USER_HZ: /proc counts CPU time in these ticks on Linux. */
const TICKS_PER_S = 100

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}

function rssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB/m)
  return line ? Number(line[1]) / 1024 : Number.NaN
}

/** user+system CPU ms from a /proc/<pid>/stat line, own (fields 14, 15) or children's (16, 17). */
function cpuMs(stat: string, children = false): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  const at = children ? 13 : 11
  return ((Number(fields[at]) + Number(fields[at + 1])) * 1000) / TICKS_PER_S
}

function env(dataDir: string, port = 0): NodeJS.ProcessEnv {
  return {
    ...process.env,
    APIOPS_DATA_DIR: dataDir,
    APIOPS_ADMIN_PASSWORD: PASSWORD,
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    APIOPS_GATEWAY_PORT: '0',
  }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return
  const exited = new Promise((r) => child.once('exit', r))
  child.kill('SIGTERM')
  await exited
}

/** One server start on a fresh data dir: ms to healthy, and RSS (MB) then. */
async function serveOnce(bin: string): Promise<{ readyMs: number; rss: number; cpu: number }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'apiops-startup-'))
  const port = await freePort()
  const started = performance.now()
  const child = spawn(process.execPath, [bin, 'serve'], {
    env: env(dataDir, port),
    stdio: 'ignore',
  })
  try {
    while (performance.now() - started < READY_TIMEOUT_MS) {
      if (child.exitCode !== null) throw new Error(`${bin} exited with ${child.exitCode}`)
      const ok = await fetch(`http://127.0.0.1:${port}/apiops/test/healthcheck`).then(
        (r) => r.ok,
        () => false,
      )
      if (ok) {
        const readyMs = performance.now() - started
        const cpu = cpuMs(readFileSync(`/proc/${child.pid}/stat`, 'utf8'))
        return { readyMs, rss: rssMb(child.pid as number), cpu }
      }
      await new Promise((r) => setTimeout(r, POLL_MS))
    }
    throw new Error(`${bin} was not ready in ${READY_TIMEOUT_MS} ms`)
  } finally {
    await stop(child)
    rmSync(dataDir, { recursive: true, force: true })
  }
}

/** Wall and CPU ms of one `user list`; the shell reports its child's CPU time after it. */
function cliOnce(bin: string, dataDir: string): { wall: number; cpu: number } {
  const started = performance.now()
  const script = `"${process.execPath}" "${bin}" user list >/dev/null || exit 1; cat /proc/$$/stat`
  const run = spawnSync('sh', ['-c', script], { env: env(dataDir), encoding: 'utf8' })
  const wall = performance.now() - started
  if (run.status !== 0) throw new Error(`${bin} user list failed: ${run.stderr}`)
  return { wall, cpu: cpuMs(run.stdout, true) }
}

const args = process.argv.slice(2)
let runs = 5
if (args[0] === '--runs') {
  runs = Number(args[1])
  args.splice(0, 2)
}
const bins = args.length ? args.map((b) => resolve(b)) : [resolve('bin/apiops.js')]
type Samples = Record<'ready' | 'readyCpu' | 'rss' | 'cli' | 'cliCpu', number[]>
const samples = new Map<string, Samples>(
  bins.map((b) => [b, { ready: [], readyCpu: [], rss: [], cli: [], cliCpu: [] }]),
)
const cliDir = mkdtempSync(join(tmpdir(), 'apiops-startup-cli-'))
try {
  // The first command creates the database and the admin user; later ones only read.
  cliOnce(bins[0] as string, cliDir)
  for (let i = 0; i < runs; i++) {
    for (const bin of bins) {
      const s = samples.get(bin) as Samples
      const { readyMs, rss, cpu } = await serveOnce(bin)
      s.ready.push(readyMs)
      s.readyCpu.push(cpu)
      s.rss.push(rss)
      const cli = cliOnce(bin, cliDir)
      s.cli.push(cli.wall)
      s.cliCpu.push(cli.cpu)
    }
  }
} finally {
  rmSync(cliDir, { recursive: true, force: true })
}
for (const [bin, s] of samples) {
  process.stdout.write(
    `${bin} (medians of ${runs}):\n` +
      `  ready ${median(s.ready).toFixed(0)} ms (CPU ${median(s.readyCpu).toFixed(0)} ms), ` +
      `RSS ${median(s.rss).toFixed(0)} MB\n` +
      `  user list ${median(s.cli).toFixed(0)} ms (CPU ${median(s.cliCpu).toFixed(0)} ms)\n`,
  )
}
