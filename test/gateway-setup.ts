import { request } from 'node:http'
import { expect } from 'vitest'
import type { Dialect } from '../src/db/create-db.ts'
import { type GatewayNode, type GatewayOptions, startGateway } from '../src/gateway/node.ts'
import { configVersion } from '../src/resources/proxies/proxies.snapshot.ts'
import { bearer, buildTestApp, makeUser, type TestContext, tokenFor, until } from './helpers.ts'

/*
 * Where the in-process gateway tests start: an app with an administrator, project Shop
 * and environment dev, and a gateway node serving dev from the app's own store.
 */

export interface Shop {
  ctx: TestContext
  admin: string
  /** A management call that must succeed (< 300), as the administrator. */
  ok(method: 'POST' | 'PATCH', url: string, payload?: object): Promise<void>
}

export async function shopWithDev(
  dialect: Dialect,
  env: Record<string, string> = {},
): Promise<Shop> {
  const ctx = await buildTestApp(dialect, { env })
  const admin = (await tokenFor(ctx, (await makeUser(ctx, 'root', ['ROLE_ADMIN'])).id)).token
  const ok = async (method: 'POST' | 'PATCH', url: string, payload?: object) => {
    const res = await ctx.app.inject({
      method,
      url,
      headers: bearer(admin),
      ...(payload ? { payload } : {}),
    })
    expect(res.statusCode, `${method} ${url}: ${res.body}`).toBeLessThan(300)
  }
  await ok('POST', '/apiops/projects/', { name: 'Shop' })
  await ok('POST', '/apiops/environments/', {
    name: 'dev',
    type: 'TEST',
    accessUrl: 'http://localhost:8081',
    projects: ['Shop'],
  })
  return { ctx, admin, ok }
}

/** A gateway node serving dev from `ctx`'s store on a free loopback port. */
export function devGateway(
  ctx: TestContext,
  options: Partial<GatewayOptions> = {},
): Promise<GatewayNode> {
  return startGateway({
    store: ctx.store,
    events: ctx.events,
    atRestKeys: ctx.keys.atRestKeys,
    environment: 'dev',
    port: 0,
    host: '127.0.0.1',
    ...options,
  })
}

/** Waits until `gw` serves the environment's current configuration. */
export async function applied(ctx: TestContext, gw: GatewayNode): Promise<void> {
  const version = await configVersion(ctx.store.db, gw.environmentId)
  await until('the gateway applied the change', async () => gw.version === version)
}

export interface Answer {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

export interface Sent {
  method?: string
  headers?: Record<string, string>
  /** Written as separate chunks (no Content-Length unless a header says so): chunked. */
  chunks?: Buffer[]
}

/** One request on a fresh connection; the whole answer, body as text. */
export function send(port: number, path: string, sent: Sent = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: sent.method ?? 'GET',
        headers: sent.headers,
        agent: false,
      },
      (res) => {
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (d) => (body += d))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
      },
    )
    req.on('error', reject)
    for (const chunk of sent.chunks ?? []) req.write(chunk)
    req.end()
  })
}
