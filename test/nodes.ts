import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createServer } from 'node:net'
import { ensureServerBuilt } from '../scripts/ensure-build.js'

/**
 * Real `apiops serve` processes on loopback, as a cluster runs them: the cluster and
 * fault tests and `npm run bench -- --cluster` start nodes through this one place.
 */

const BIN = new URL('../bin/apiops.js', import.meta.url).pathname
// Generous: a cold start on a busy 2-core machine registers every route and schema first.
const READY_TIMEOUT_MS = 90_000

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

export interface NodeSettings {
  databaseUrl: string
  /** The master secret every node shares (base64). */
  secret: string
  adminPassword: string
  redisUrl?: string
  /** Other environment (APIOPS_TOKEN_RATE_LIMIT, LOG_LEVEL, ...). */
  env?: Record<string, string>
}

export function clusterSettings(databaseUrl: string, adminPassword: string): NodeSettings {
  return { databaseUrl, adminPassword, secret: randomBytes(32).toString('base64') }
}

export class ApiopsNode {
  private constructor(
    readonly base: string,
    private readonly child: ChildProcess,
    private readonly output: () => string,
  ) {}

  static async start(settings: NodeSettings): Promise<ApiopsNode> {
    // bin/apiops.js runs the compiled server: compile it first if src/ changed.
    await ensureServerBuilt()
    const port = await freePort()
    let output = ''
    const env: Record<string, string> = {
      ...(process.env as Record<string, string>),
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: settings.databaseUrl,
      APIOPS_SECRET_KEY: settings.secret,
      APIOPS_ADMIN_PASSWORD: settings.adminPassword,
      LOG_LEVEL: 'warn',
      // No embedded gateway: parallel nodes would all want port 8081.
      APIOPS_GATEWAY_PORT: '0',
      ...settings.env,
    }
    delete env.REDIS_URL
    if (settings.redisUrl) env.REDIS_URL = settings.redisUrl
    const child = spawn(process.execPath, [BIN, 'serve'], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    child.stdout?.on('data', (d) => (output += d))
    child.stderr?.on('data', (d) => (output += d))
    const node = new ApiopsNode(`http://127.0.0.1:${port}`, child, () => output)
    await node.waitUntilReady()
    return node
  }

  /** What the process printed: for failure messages. */
  get log(): string {
    return this.output()
  }

  get pid(): number | undefined {
    return this.child.pid
  }

  private async waitUntilReady(): Promise<void> {
    const end = Date.now() + READY_TIMEOUT_MS
    while (Date.now() < end) {
      if (this.child.exitCode !== null) throw new Error(`node exited early:\n${this.log}`)
      if (await this.ready()) return
      await new Promise((r) => setTimeout(r, 100))
    }
    throw new Error(`node did not become ready:\n${this.log}`)
  }

  async ready(): Promise<boolean> {
    try {
      return (await fetch(`${this.base}/apiops/test/readiness`)).ok
    } catch {
      return false
    }
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return
    const exited = new Promise((r) => this.child.once('exit', r))
    this.child.kill('SIGTERM')
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000)
    await exited
    clearTimeout(timer)
  }

  /** POST /apiops/auth/token with a user's credentials, as the seed's curl does. */
  login(username: string, password: string, headers: Record<string, string> = {}) {
    return fetch(`${this.base}/apiops/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: username,
        client_secret: password,
      }),
    })
  }

  async token(username: string, password: string): Promise<string> {
    const res = await this.login(username, password)
    if (res.status !== 200)
      throw new Error(`login as ${username}: ${res.status} ${await res.text()}`)
    return ((await res.json()) as { access_token: string }).access_token
  }

  call(token: string, path = '/apiops/me/', init: RequestInit = {}) {
    return fetch(`${this.base}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${token}`, ...(init.headers as Record<string, string>) },
    })
  }

  async status(token: string, path = '/apiops/me/'): Promise<number> {
    const res = await this.call(token, path)
    await res.arrayBuffer()
    return res.status
  }

  /** The id of the token a request is made with (GET /apiops/me/). */
  async tokenId(token: string): Promise<string> {
    const res = await this.call(token)
    if (res.status !== 200) throw new Error(`GET /apiops/me/: ${res.status}`)
    return ((await res.json()) as { token: { id: string } }).token.id
  }

  async revoke(token: string, id?: string): Promise<void> {
    const tokenId = id ?? (await this.tokenId(token))
    const res = await this.call(token, `/apiops/me/tokens/${tokenId}/`, { method: 'DELETE' })
    if (res.status !== 200) throw new Error(`revoke: ${res.status} ${await res.text()}`)
  }

  async createUser(adminToken: string, username: string, password: string): Promise<void> {
    const res = await this.call(adminToken, '/apiops/users/', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    })
    if (res.status !== 201) throw new Error(`create ${username}: ${res.status} ${await res.text()}`)
  }
}

/** Starts `count` nodes at once: the migration lock and the admin bootstrap must cope. */
export async function startNodes(count: number, settings: NodeSettings): Promise<ApiopsNode[]> {
  const started = await Promise.allSettled(
    Array.from({ length: count }, () => ApiopsNode.start(settings)),
  )
  const nodes = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []))
  const failed = started.find((s) => s.status === 'rejected')
  if (failed) {
    await stopNodes(nodes)
    throw (failed as PromiseRejectedResult).reason
  }
  return nodes
}

export async function stopNodes(nodes: readonly ApiopsNode[]): Promise<void> {
  await Promise.all(nodes.map((n) => n.stop()))
}

/** The q-quantile of sorted samples (nearest rank). */
export function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? NaN
}

/**
 * One revocation's propagation: from node A's answer to the DELETE (its commit) until
 * every other node refuses the token. The token is first used on every node, so each
 * must learn of the revocation by event, not by a cache miss.
 */
export async function measurePropagation(
  nodes: readonly ApiopsNode[],
  username: string,
  password: string,
  timeoutMs = 5000,
): Promise<number> {
  const [a, ...others] = nodes as [ApiopsNode, ...ApiopsNode[]]
  const token = await a.token(username, password)
  for (const node of nodes) {
    const status = await node.status(token)
    if (status !== 200) throw new Error(`${node.base} answered ${status} to a fresh token`)
  }
  const id = await a.tokenId(token)
  await a.revoke(token, id)
  const started = performance.now()
  await Promise.all(
    others.map(async (node) => {
      while ((await node.status(token)) === 200) {
        if (performance.now() - started > timeoutMs)
          throw new Error(`revocation never reached ${node.base}`)
      }
    }),
  )
  return performance.now() - started
}
