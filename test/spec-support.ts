import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import pino from 'pino'
import { loggerOptions } from '../src/app.ts'
import { type HostResolver, type ResolvedAddress, systemResolver } from '../src/outbound-connect.ts'
import { bearer, makeUser, type TestContext, tokenFor } from './helpers.ts'

/** What the spec import tests share: spec servers, a resolver table, a proxy maker. */

export type Route = (req: IncomingMessage, res: ServerResponse) => void

export interface SpecHost {
  server: Server
  port: number
  /** http://host:port */
  url: string
  close(): Promise<void>
}

/** An HTTP server on a loopback address; `port` 0 picks a free one. */
export function serveSpecs(
  host: string,
  routes: Record<string, Route>,
  port = 0,
): Promise<SpecHost> {
  const server = createServer((req, res) => {
    const route = routes[req.url ?? '']
    if (route) return route(req, res)
    res.writeHead(404)
    res.end()
  })
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      const bound = (server.address() as AddressInfo).port
      resolve({
        server,
        port: bound,
        url: `http://${host}:${bound}`,
        close: () => new Promise((r) => server.close(() => r())),
      })
    })
  })
}

export const json =
  (doc: unknown): Route =>
  (_req, res) =>
    res.end(typeof doc === 'string' ? doc : JSON.stringify(doc))

export const openApi = (operationId: string, extra: Record<string, unknown> = {}) => ({
  openapi: '3.0.3',
  info: { title: operationId, version: '1' },
  servers: [{ url: 'https://backend.example/v1' }],
  paths: { '/things': { get: { operationId } } },
  ...extra,
})

/** Every line the app logs, at debug level. */
export function captureLog() {
  const lines: Record<string, unknown>[] = []
  const log = pino(loggerOptions('debug') as pino.LoggerOptions, {
    write: (line: string) => lines.push(JSON.parse(line)),
  })
  return { log, lines }
}

/**
 * Answers names from a table: a name's n-th lookup gets its n-th answer (the last one
 * repeats). `localhost` is the system's; any other name does not exist. Counts lookups.
 */
export function tableResolver(
  table: Record<string, string[][]>,
): HostResolver & { calls: Map<string, number> } {
  const calls = new Map<string, number>()
  const resolve = async (hostname: string): Promise<ResolvedAddress[]> => {
    const n = calls.get(hostname) ?? 0
    calls.set(hostname, n + 1)
    if (hostname === 'localhost') return systemResolver(hostname)
    const answers = table[hostname]
    const answer = answers?.[Math.min(n, answers.length - 1)]
    if (!answer)
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' })
    return answer.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }))
  }
  return Object.assign(resolve, { calls })
}

/**
 * Sets up a project with a member allowed to write proxies, and answers a function that
 * creates a proxy from a spec URL (each call under a new name).
 */
export async function proxyMaker(ctx: TestContext) {
  const admin = (await tokenFor(ctx, (await makeUser(ctx, 'root', ['ROLE_ADMIN'])).id)).token
  const dev = (await tokenFor(ctx, (await makeUser(ctx, 'dev', ['ROLE_MANAGE_PROXIES'])).id)).token
  for (const [url, payload] of [
    ['/apiops/projects/', { name: 'Specs' }],
    ['/apiops/projects/Specs/members/', { username: 'dev' }],
  ] as const) {
    const res = await ctx.app.inject({ method: 'POST', url, headers: bearer(admin), payload })
    if (res.statusCode !== 201) throw new Error(`${url}: ${res.statusCode} ${res.body}`)
  }
  let made = 0
  return (specUrl: string, kind: 'OPEN_API' | 'SWAGGER' = 'OPEN_API') =>
    ctx.app.inject({
      method: 'POST',
      url: '/apiops/projects/Specs/apiProxies/url/',
      headers: bearer(dev),
      payload: {
        apiProxyName: `p${++made}`,
        apiProxyCreationType: kind,
        specUrl,
        routingInfo: { routingAddressList: [{ address: 'https://backend.example' }] },
      },
    })
}
