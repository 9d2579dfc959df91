/**
 * What does the token endpoint get out of argon2? Measures, on this machine:
 * - raw: argon2id verifies per second with apiops' parameters, CONNECTIONS at once, in
 *   a process doing nothing else (the thread pool is the limit, as in the server);
 * - the token endpoint (client_credentials) on a real apiops server (child process,
 *   SQLite) at CONNECTIONS connections, all for one username, then spread over 16;
 * - the ratio of each to raw, and the p99 of GET /apiops/test/healthcheck (one
 *   connection, paced at PROBE_RATE a second) while the logins run: what the event loop
 *   makes other requests wait.
 *
 *   node --import tsx bench/login.bench.ts [--seconds 5] [--rounds 3]
 *
 * Each round measures raw, then one username, then sixteen; a ratio is the median of
 * its per-round ratios (a shared 2-core machine moves raw by 2x between minutes).
 *
 * Goal (issue 10): ratio >= 0.8 for one username and for many; healthcheck p99 < 5 ms.
 */
import { createHistogram } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { verify } from '@node-rs/argon2'
import autocannon, { type Result } from 'autocannon'
import { systemClock } from '../src/clock.ts'
import { createLocalBus } from '../src/cluster/events.ts'
import { closeServices, createServices } from '../src/composition.ts'
import { loadConfig } from '../src/config.ts'
import { createDb } from '../src/db/create-db.ts'
import { hashPassword } from '../src/identity/credentials/passwords.ts'
import { createUser } from '../src/identity/users/users.service.ts'
import { buildKeyRing } from '../src/keys.ts'
import {
  ensureCompiledServer,
  installCleanupHandlers,
  registerTempDir,
  startServer,
} from './children.ts'
import { makeTempDir, prepareAuthDb } from './fixture.ts'
import { median } from './load.ts'

const CONNECTIONS = 16
const USERS = 16
const PASSWORD = 'login bench password'

/** The library's own verify, in libuv's thread pool: what argon2id gives with no server. */
async function rawVerifyRate(seconds: number): Promise<number> {
  const stored = await hashPassword(PASSWORD)
  const end = Date.now() + seconds * 1000
  let done = 0
  const worker = async () => {
    while (Date.now() < end) {
      await verify(stored, PASSWORD)
      done++
    }
  }
  const start = Date.now()
  await Promise.all(Array.from({ length: CONNECTIONS }, worker))
  return done / ((Date.now() - start) / 1000)
}

async function makeUsers(dataDir: string, secretBase64: string): Promise<void> {
  const config = loadConfig({ APIOPS_SECRET_KEY: secretBase64, APIOPS_DATA_DIR: dataDir })
  const store = createDb({ databaseUrl: undefined, dataDir: config.dataDir })
  try {
    const deps = {
      config,
      store,
      clock: systemClock,
      events: createLocalBus(),
      keys: buildKeyRing(Buffer.from(secretBase64, 'base64')),
    }
    const services = createServices(deps, (error) => {
      throw error
    })
    for (let i = 0; i < USERS; i++) {
      await createUser(services, { username: `login${i}`, password: PASSWORD })
    }
    await closeServices(services)
  } finally {
    await store.close()
  }
}

interface Load {
  rps: number
  failed: number
}

/** `users` autocannon instances sharing `CONNECTIONS` connections, one username each. */
async function loginLoad(port: number, users: number, seconds: number): Promise<Load> {
  const runs = Array.from({ length: users }, (_, i) => {
    const body = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: `login${i}`,
      client_secret: PASSWORD,
    }).toString()
    return new Promise<Result>((resolve, reject) =>
      autocannon(
        {
          url: `http://127.0.0.1:${port}/apiops/auth/token`,
          method: 'POST',
          body,
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          connections: CONNECTIONS / users,
          duration: seconds,
          timeout: 30,
        },
        (error, result) => (error ? reject(error) : resolve(result)),
      ),
    )
  })
  const results = await Promise.all(runs)
  return {
    rps: results.reduce((sum, r) => sum + r.requests.total / r.duration, 0),
    failed: results.reduce((sum, r) => sum + r.non2xx + r.errors + r.timeouts, 0),
  }
}

/**
 * Health checks a paced client sends while logins run (one every 10 ms): a probe of what
 * the event loop makes other requests wait. Unpaced, the probe was a second load that
 * kept a core busy answering health checks, and measured its own cost, not the wait.
 */
const PROBE_RATE = 100

/** p99 (ms) of the healthcheck on one connection at PROBE_RATE a second, for `seconds`. */
function healthP99(port: number, seconds: number): Promise<number> {
  const latencyNs = createHistogram()
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: `http://127.0.0.1:${port}/apiops/test/healthcheck`,
        connections: 1,
        connectionRate: PROBE_RATE,
        duration: seconds,
      },
      (error) => (error ? reject(error) : resolve(latencyNs.percentile(99) / 1e6)),
    )
    instance.on('response', (_c: unknown, _s: number, _b: number, ms: number) =>
      latencyNs.record(Math.max(1, Math.round(ms * 1e6))),
    )
  })
}

interface Round {
  raw: number
  loads: { users: number; load: Load; health: number }[]
}

/** Raw, then one user, then many: neighbours in time, so a ratio compares like with like. */
async function round(port: number, seconds: number): Promise<Round> {
  const raw = await rawVerifyRate(seconds)
  const loads: Round['loads'] = []
  for (const users of [1, USERS]) {
    const [load, health] = await Promise.all([
      loginLoad(port, users, seconds),
      healthP99(port, seconds),
    ])
    loads.push({ users, load, health })
  }
  return { raw, loads }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '5' },
      rounds: { type: 'string', default: '3' },
    },
  })
  const seconds = Number(values.seconds)
  installCleanupHandlers()
  console.log(await ensureCompiledServer())
  const dataDir = makeTempDir()
  registerTempDir(dataDir)
  const fixture = await prepareAuthDb(dataDir)
  await makeUsers(dataDir, fixture.secretBase64)
  const server = await startServer('auth', {
    type: 'start',
    target: 'auth',
    dataDir,
    secretBase64: fixture.secretBase64,
    logLevel: 'info',
  })
  try {
    console.log(`healthcheck p99 idle: ${(await healthP99(server.port, 2)).toFixed(1)} ms`)
    await loginLoad(server.port, USERS, 2) // warm-up: JIT, and every user's address known
    const rounds: Round[] = []
    for (let i = 0; i < Number(values.rounds); i++) {
      const r = await round(server.port, seconds)
      rounds.push(r)
      const parts = r.loads.map(
        ({ users, load, health }) =>
          `${users} user(s) ${load.rps.toFixed(1)}/s = ${(load.rps / r.raw).toFixed(2)}, ` +
          `health p99 ${health.toFixed(1)} ms${load.failed ? `, ${load.failed} NOT 2xx` : ''}`,
      )
      console.log(`round ${i + 1}: raw ${r.raw.toFixed(1)}/s; ${parts.join('; ')}`)
    }
    for (const [index, users] of [1, USERS].entries()) {
      const ratio = median(rounds.map((r) => (r.loads[index]?.load.rps ?? 0) / r.raw))
      const health = median(rounds.map((r) => r.loads[index]?.health ?? 0))
      console.log(
        `median, ${users} user(s) at ${CONNECTIONS} connections: ${ratio.toFixed(2)} of raw, ` +
          `healthcheck p99 ${health.toFixed(1)} ms`,
      )
    }
  } finally {
    await server.stop()
  }
}

await main()
