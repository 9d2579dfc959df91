import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { freePort } from '../test/nodes.ts'

/**
 * Start-up cost of an apiops entry point, for the README's "Build and start-up" table:
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

function env(dataDir: string, port = 0): NodeJS.ProcessEnv {
  return {
    ...process.env,
    APIOPS_DATA_DIR: dataDir,
    APIOPS_ADMIN_PASSWORD: PASSWORD,
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
  }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return
  const exited = new Promise((r) => child.once('exit', r))
  child.kill('SIGTERM')
  await exited
}

/** One server start on a fresh data dir: ms to healthy, and RSS (MB) then. */
async function serveOnce(bin: string): Promise<{ readyMs: number; rss: number }> {
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
      if (ok) return { readyMs: performance.now() - started, rss: rssMb(child.pid as number) }
      await new Promise((r) => setTimeout(r, POLL_MS))
    }
    throw new Error(`${bin} was not ready in ${READY_TIMEOUT_MS} ms`)
  } finally {
    await stop(child)
    rmSync(dataDir, { recursive: true, force: true })
  }
}

function cliOnce(bin: string, dataDir: string): number {
  const started = performance.now()
  const run = spawnSync(process.execPath, [bin, 'user', 'list'], { env: env(dataDir) })
  if (run.status !== 0) throw new Error(`${bin} user list failed: ${run.stderr}`)
  return performance.now() - started
}

const args = process.argv.slice(2)
let runs = 5
if (args[0] === '--runs') {
  runs = Number(args[1])
  args.splice(0, 2)
}
const bins = args.length ? args.map((b) => resolve(b)) : [resolve('bin/apiops.js')]
const samples = new Map(
  bins.map((b) => [b, { ready: [] as number[], rss: [] as number[], cli: [] as number[] }]),
)
const cliDir = mkdtempSync(join(tmpdir(), 'apiops-startup-cli-'))
try {
  // The first command creates the database and the admin user; later ones only read.
  cliOnce(bins[0] as string, cliDir)
  for (let i = 0; i < runs; i++) {
    for (const bin of bins) {
      const s = samples.get(bin) as { ready: number[]; rss: number[]; cli: number[] }
      const { readyMs, rss } = await serveOnce(bin)
      s.ready.push(readyMs)
      s.rss.push(rss)
      s.cli.push(cliOnce(bin, cliDir))
    }
  }
} finally {
  rmSync(cliDir, { recursive: true, force: true })
}
for (const [bin, s] of samples) {
  process.stdout.write(
    `${bin}: ready ${median(s.ready).toFixed(0)} ms, RSS ${median(s.rss).toFixed(0)} MB, ` +
      `user list ${median(s.cli).toFixed(0)} ms (median of ${runs}; ready ${s.ready.map((v) => v.toFixed(0)).join(' ')})\n`,
  )
}
