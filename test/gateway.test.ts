import { request } from 'node:http'
import { connect } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { GatewayNode } from '../src/gateway/node.ts'
import { applied, devGateway } from './gateway-setup.ts'
import { startUpstream, type Upstream } from './gateway-upstream.ts'
import {
  bearer,
  buildTestApp,
  dialects,
  makeUser,
  type TestContext,
  tokenFor,
  until,
} from './helpers.ts'

/*
 * A gateway node in this process, over the same store as the management API: what a
 * deploy puts live, what an edit does not, undeploy, conflicts, and the answers the
 * gateway writes itself when the upstream fails.
 */

const P = '/apiops/projects/Shop'

interface Answer {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

function get(port: number, path: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (d) => (body += d))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

describe.each(dialects())('gateway node in process (%s)', (dialect) => {
  let ctx: TestContext
  let admin: string
  let gw: GatewayNode
  let one: Upstream
  let two: Upstream
  const call = (
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    url: string,
    payload?: object,
  ) => ctx.app.inject({ method, url, headers: bearer(admin), ...(payload ? { payload } : {}) })
  const ok = async (method: 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload?: object) => {
    const res = await call(method, url, payload)
    expect(res.statusCode, `${method} ${url}: ${res.body}`).toBeLessThan(300)
    return res.json()
  }
  const proxy = (name: string, address: string, extra: object = {}) => ({
    apiProxyName: name,
    apiProxyCreationType: 'REVERSE_PROXY',
    clientRoute: { relativePathList: [`/${name}`] },
    routingInfo: { routingAddressList: [{ address }] },
    ...extra,
  })
  const deploy = (name: string, project = 'Shop') =>
    ok('POST', `/apiops/projects/${project}/apiProxies/${name}/environments/dev/`)
  /** Waits until the gateway serves the configuration the last write made. */
  const caughtUp = () => applied(ctx, gw)

  beforeAll(async () => {
    ctx = await buildTestApp(dialect)
    admin = (await tokenFor(ctx, (await makeUser(ctx, 'root', ['ROLE_ADMIN'])).id)).token
    for (const name of ['Shop', 'Other']) await ok('POST', '/apiops/projects/', { name })
    await ok('POST', '/apiops/environments/', {
      name: 'dev',
      type: 'TEST',
      accessUrl: 'http://localhost:8081',
      projects: ['Shop', 'Other'],
    })
    one = await startUpstream('one')
    two = await startUpstream('two')
    gw = await devGateway(ctx)
  })
  afterAll(async () => {
    await gw?.close()
    await one?.close()
    await two?.close()
    await ctx?.close()
  })

  it('serves a deployed proxy, forwarding path, query and forwarded headers', async () => {
    await ok('POST', `${P}/apiProxies/url/`, proxy('orders', `${one.url}/api`))
    expect((await get(gw.port, '/orders/1')).status).toBe(404)
    await deploy('orders')
    await caughtUp()
    const res = await get(gw.port, '/orders/7/items?x=1', {
      'x-forwarded-for': '10.0.0.9',
      connection: 'keep-alive',
    })
    expect(res.status).toBe(200)
    const seen = JSON.parse(res.body)
    expect(seen.url).toBe('/api/7/items?x=1')
    expect(seen.headers['x-forwarded-for']).toBe('10.0.0.9, 127.0.0.1')
    expect(seen.headers['x-forwarded-host']).toBe(`127.0.0.1:${gw.port}`)
    expect(seen.headers['x-forwarded-proto']).toBe('http')
    expect(res.headers['x-upstream']).toBe('one')
    // The upstream's own keep-alive (timeout=3) belongs to its connection, not the client's.
    expect(res.headers['keep-alive']).not.toBe('timeout=3')
    expect(res.headers['x-hop']).toBeUndefined()
    expect(JSON.parse((await get(gw.port, '/orders')).body).url).toBe('/api')
    // A path that only starts like the route is not under it.
    expect((await get(gw.port, '/ordersX')).status).toBe(404)
  })

  it('an edit changes nothing live until the redeploy', async () => {
    await ok('PATCH', `${P}/apiProxies/orders/settings/addresses/`, {
      routingAddressList: [{ address: `${two.url}/api` }],
    })
    expect(JSON.parse((await get(gw.port, '/orders/1')).body).upstream).toBe('one')
    await deploy('orders')
    await caughtUp()
    expect(JSON.parse((await get(gw.port, '/orders/1')).body).upstream).toBe('two')
  })

  it('refuses a second proxy on the same route in the environment, naming the first', async () => {
    await ok('POST', '/apiops/projects/Other/apiProxies/url/', {
      ...proxy('copy', one.url),
      clientRoute: { relativePathList: ['/orders'] },
    })
    const res = await call('POST', '/apiops/projects/Other/apiProxies/copy/environments/dev/')
    expect(res.statusCode).toBe(409)
    expect(res.json().error_description).toContain("API proxy 'orders' (project 'Shop')")
  })

  it('longest prefix wins, and methods narrow a route', async () => {
    await ok('POST', `${P}/apiProxies/url/`, {
      ...proxy('deep', one.url),
      clientRoute: { relativePathList: ['/orders/special'], methodList: ['POST'] },
    })
    await deploy('deep')
    await caughtUp()
    expect(JSON.parse((await get(gw.port, '/orders/special/x')).body).upstream).toBe('two')
    const posted = await new Promise<Answer>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: gw.port,
          path: '/orders/special/x',
          method: 'POST',
          agent: false,
        },
        (res) => {
          let body = ''
          res.on('data', (d) => (body += d))
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
        },
      )
      req.on('error', reject)
      req.end('hello')
    })
    expect(JSON.parse(posted.body)).toMatchObject({ upstream: 'one', url: '/x', bytes: 5 })
  })

  it('answers upstream faults in the error template: refused 502, reset 502, slow 504', async () => {
    await ok('POST', `${P}/apiProxies/url/`, proxy('down', 'http://127.0.0.1:1'))
    await ok('POST', `${P}/apiProxies/url/`, {
      ...proxy('flaky', one.url),
      routingInfo: { routingAddressList: [{ address: one.url }], readTimeout: 1 },
    })
    await deploy('down')
    await deploy('flaky')
    await caughtUp()
    const refused = await get(gw.port, '/down/x')
    expect(refused.status).toBe(502)
    expect(refused.headers['content-type']).toContain('application/json')
    expect(JSON.parse(refused.body).fault).toMatchObject({
      faultCode: 'BAD_GATEWAY',
      faultStatusCode: '502',
    })
    expect((await get(gw.port, '/flaky/reset')).status).toBe(502)
    const slow = await get(gw.port, '/flaky/slow')
    expect(slow.status).toBe(504)
    expect(JSON.parse(slow.body).fault.faultCode).toBe('GATEWAY_TIMEOUT')
  })

  it('a client that goes away aborts the upstream call', async () => {
    const before = one.aborted
    const req = request({
      host: '127.0.0.1',
      port: gw.port,
      path: '/orders/special/slow',
      method: 'POST',
      agent: false,
    })
    req.on('error', () => {})
    req.end()
    await new Promise((r) => setTimeout(r, 200))
    req.destroy()
    await until('the upstream saw the abort', async () => one.aborted > before)
  })

  it('streams a large body through without buffering it', async () => {
    const res = await new Promise<number>((resolve, reject) => {
      request(
        { host: '127.0.0.1', port: gw.port, path: '/orders/special/big/64', agent: false },
        (r) => {
          let n = 0
          r.on('data', (d: Buffer) => (n += d.length))
          r.on('end', () => resolve(n))
        },
      )
        .on('error', reject)
        .end()
    })
    expect(res).toBe(64 << 20)
  })

  it('refuses conflicting Content-Length and Transfer-Encoding with 400 (request smuggling)', async () => {
    const answer = await new Promise<string>((resolve) => {
      const socket = connect(gw.port, '127.0.0.1', () => {
        socket.write(
          'POST /orders/1 HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
        )
      })
      let text = ''
      socket.on('data', (d) => (text += d))
      socket.on('close', () => resolve(text))
      socket.on('error', () => resolve(text))
    })
    expect(answer).toMatch(/^HTTP\/1\.1 400/)
  })

  it('maintenance mode and routing disabled answer without calling the upstream', async () => {
    await ok('POST', `${P}/apiProxies/url/`, {
      ...proxy('resting', one.url),
      maintenanceModeSetting: {
        enabled: true,
        httpStatusCode: 503,
        contentType: 'text/plain',
        message: 'back soon',
      },
    })
    await ok('POST', `${P}/apiProxies/url/`, proxy('off', one.url))
    await ok('PATCH', `${P}/apiProxies/off/settings/routing-status/`, { routingEnabled: false })
    await deploy('resting')
    await deploy('off')
    await caughtUp()
    const resting = await get(gw.port, '/resting/a')
    expect([resting.status, resting.body, resting.headers['content-type']]).toEqual([
      503,
      'back soon',
      'text/plain',
    ])
    const off = await get(gw.port, '/off/a')
    expect(off.status).toBe(503)
    expect(JSON.parse(off.body).fault.faultCode).toBe('ROUTING_DISABLED')
  })

  it('announces itself in gateway_nodes with the version it serves', async () => {
    await until('the node registered', async () => {
      const rows = await ctx.store.db.selectFrom('gateway_nodes').selectAll().execute()
      return rows.length === 1 && rows[0]?.environment_id === gw.environmentId
    })
  })

  it('undeploy answers 404 in the default template', async () => {
    await ok('DELETE', `${P}/apiProxies/orders/environments/dev/`)
    await caughtUp()
    const res = await get(gw.port, '/orders/1')
    expect(res.status).toBe(404)
    expect(JSON.parse(res.body).fault.faultCode).toBe('NOT_FOUND')
  })
})
