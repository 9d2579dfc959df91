import { createServer, request, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { GatewayNode } from '../src/gateway/node.ts'
import {
  createUpstreamChooser,
  type UpstreamChooserFactory,
} from '../src/gateway/upstreams/index.ts'
import { applied, devGateway, type Shop, shopWithDev } from './gateway-setup.ts'
import { startUpstream, type Upstream } from './gateway-upstream.ts'
import { dialects, FrozenClock, type TestContext, until } from './helpers.ts'

/*
 * The gateway choosing among real upstreams: weights, failover past a refusing address,
 * no re-send of a POST whose body went out, and the circuit breaker's 503 and half-open
 * trial. The real chooser is wrapped only to count its picks and reports.
 */

const P = '/apiops/projects/Shop'

interface Answer {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

function send(port: number, path: string, method = 'GET', body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, agent: false }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (d) => (text += d))
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }),
      )
    })
    req.on('error', reject)
    req.end(body)
  })
}

/** An address nothing listens on: a port opened, then closed. */
async function refusingAddress(): Promise<string> {
  const server = createServer()
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as AddressInfo).port
  await new Promise<void>((r) => server.close(() => r()))
  return `http://127.0.0.1:${port}`
}

/** Answers 500 while `failing.on`, else 200. */
async function switchable(failing: { on: boolean }): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      res.writeHead(failing.on ? 500 : 200, { 'content-type': 'text/plain' })
      res.end(failing.on ? 'broken' : 'fine')
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server }
}

describe.each(dialects())('gateway load balancing and failover (%s)', (dialect) => {
  let ctx: TestContext
  let gw: GatewayNode
  let one: Upstream
  let two: Upstream
  let dead: string
  let flaky: { url: string; server: Server }
  const failing = { on: false }
  const clock = new FrozenClock()
  const picked: string[] = []
  const reported: string[] = []
  const countingFactory: UpstreamChooserFactory = (...args) => {
    const real = createUpstreamChooser(...args)
    return Object.assign(Object.create(real), {
      pick(excluded: ReadonlySet<string>, hashKey?: string) {
        const address = real.pick(excluded, hashKey)
        if (address !== undefined) picked.push(address)
        return address
      },
      report(address: string, outcome: Parameters<typeof real.report>[1]) {
        reported.push(address)
        real.report(address, outcome)
      },
    })
  }

  let ok: Shop['ok']
  const live = async (name: string, routingInfo: object, circuitBreaker?: object) => {
    await ok('POST', `${P}/apiProxies/url/`, {
      apiProxyName: name,
      apiProxyCreationType: 'REVERSE_PROXY',
      clientRoute: { relativePathList: [`/${name}`] },
      routingInfo,
    })
    if (circuitBreaker)
      await ok('PATCH', `${P}/apiProxies/${name}/settings/circuit-breaker/`, circuitBreaker)
    await ok('POST', `${P}/apiProxies/${name}/environments/dev/`, {})
    await applied(ctx, gw)
  }
  const chooserOf = (name: string) =>
    gw.table.proxies.find((p) => p.name === name)?.chooser as ReturnType<
      typeof createUpstreamChooser
    >

  beforeAll(async () => {
    ;({ ctx, ok } = await shopWithDev(dialect))
    one = await startUpstream('one')
    two = await startUpstream('two')
    dead = await refusingAddress()
    flaky = await switchable(failing)
    gw = await devGateway(ctx, { clock, chooserFactory: countingFactory })
  })
  afterAll(async () => {
    await gw?.close()
    await one?.close()
    await two?.close()
    flaky?.server.closeAllConnections()
    await new Promise((r) => (flaky ? flaky.server.close(r) : r(undefined)))
    await ctx?.close()
  })

  it('WEIGHTED 3:1 splits 40 requests 30/10', async () => {
    await live('wrr', {
      loadBalanceAlgorithm: 'WEIGHTED',
      routingAddressList: [
        { address: one.url, weight: 3 },
        { address: two.url, weight: 1 },
      ],
    })
    const seen: Record<string, number> = {}
    for (let i = 0; i < 40; i++) {
      const res = await send(gw.port, '/wrr/x')
      expect(res.status).toBe(200)
      const name = res.headers['x-upstream'] as string
      seen[name] = (seen[name] ?? 0) + 1
    }
    expect(seen).toEqual({ one: 30, two: 10 })
  })

  it('IP_HASH keeps a client on one address; URL_HASH keeps a URL on one', async () => {
    const both = [{ address: one.url }, { address: two.url }]
    await live('iph', { loadBalanceAlgorithm: 'IP_HASH', routingAddressList: both })
    await live('urlh', { loadBalanceAlgorithm: 'URL_HASH', routingAddressList: both })
    const upstreams = async (path: string) => {
      const names = new Set<string>()
      for (let i = 0; i < 8; i++)
        names.add((await send(gw.port, path)).headers['x-upstream'] as string)
      return names
    }
    expect((await upstreams('/iph/a')).size).toBe(1)
    expect((await upstreams('/urlh/same?q=1')).size).toBe(1)
  })

  it('a GET fails over past a refusing address, which is skipped after 3 failures', async () => {
    await live('fo', { routingAddressList: [{ address: dead }, { address: one.url }] })
    const from = picked.length
    for (let i = 0; i < 6; i++) {
      const res = await send(gw.port, '/fo/x')
      expect(res.status).toBe(200)
      expect(res.headers['x-upstream']).toBe('one')
    }
    const picks = picked.slice(from)
    expect(picks.filter((a) => a === dead)).toHaveLength(3)
    expect(picks.filter((a) => a === one.url)).toHaveLength(6)
    // The last three requests went straight to the live address.
    expect(picks.slice(-3)).toEqual([one.url, one.url, one.url])
    await until('every pick reported', async () => reported.length === picked.length)
  })

  it('a POST refused before anything was written goes to the next address, body whole', async () => {
    await live('fobody', { routingAddressList: [{ address: dead }, { address: one.url }] })
    const from = picked.length
    const res = await send(gw.port, '/fobody/x', 'POST', 'twelve bytes')
    expect(res.status).toBe(200)
    expect(JSON.parse(res.body)).toMatchObject({ upstream: 'one', method: 'POST', bytes: 12 })
    expect(picked.slice(from)).toEqual([dead, one.url])
  })

  it('a POST whose body was sent is not re-sent; a GET after the same reset is', async () => {
    await live('once', { routingAddressList: [{ address: one.url }, { address: two.url }] })
    let from = picked.length
    const post = await send(gw.port, '/once/reset', 'POST', 'a body the upstream may have used')
    expect(post.status).toBe(502)
    expect(JSON.parse(post.body).fault.faultCode).toBe('BAD_GATEWAY')
    expect(picked.length - from).toBe(1)
    from = picked.length
    const get = await send(gw.port, '/once/reset')
    expect(get.status).toBe(502)
    expect(picked.length - from).toBe(2)
    await until('every pick reported', async () => reported.length === picked.length)
  })

  it('the circuit breaker opens after its errors (503 in the template), then lets a trial through', async () => {
    await live(
      'cb',
      { routingAddressList: [{ address: flaky.url }] },
      {
        circuitBreakerEnabled: true,
        errorThresholdValue: 2,
        enumErrorThresholdType: 'COUNT',
        errorWindow: 60,
        sleepWindow: 5,
        halfOpenEnabled: true,
      },
    )
    failing.on = true
    expect((await send(gw.port, '/cb/a')).status).toBe(500)
    expect(chooserOf('cb').breakerState(flaky.url)).toBe('closed')
    expect((await send(gw.port, '/cb/a')).status).toBe(500)
    expect(chooserOf('cb').breakerState(flaky.url)).toBe('open')
    const shut = await send(gw.port, '/cb/a')
    expect(shut.status).toBe(503)
    expect(shut.headers['content-type']).toContain('application/json')
    expect(JSON.parse(shut.body).fault).toMatchObject({
      faultCode: 'SERVICE_UNAVAILABLE',
      faultStatusCode: '503',
    })
    expect(JSON.parse(shut.body).fault.faultString).toMatch(/circuit breaker open/)
    clock.advance(4_999)
    expect((await send(gw.port, '/cb/a')).status).toBe(503)
    clock.advance(1)
    expect(chooserOf('cb').breakerState(flaky.url)).toBe('half-open')
    failing.on = false
    expect((await send(gw.port, '/cb/a')).status).toBe(200)
    expect(chooserOf('cb').breakerState(flaky.url)).toBe('closed')
    expect((await send(gw.port, '/cb/a')).status).toBe(200)
  })
})
