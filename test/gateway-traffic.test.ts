import { request } from 'node:http'
import { Registry } from 'prom-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { GatewayNode } from '../src/gateway/node.ts'
import { type GatewayTraffic, gatewayTraffic } from '../src/gateway/traffic-wiring.ts'
import { applied, devGateway, type Shop, shopWithDev } from './gateway-setup.ts'
import { startUpstream, type Upstream } from './gateway-upstream.ts'
import { dialects, type TestContext } from './helpers.ts'

/*
 * What a gateway node records: every answered request of a deployed proxy becomes a
 * traffic row (written in a batch, off the request path) and a metric observation; a
 * request no proxy matched is counted once per environment, never recorded as traffic.
 */

function get(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode ?? 0))
    })
    req.on('error', reject)
    req.end()
  })
}

describe.each(dialects())('gateway traffic records and metrics (%s)', (dialect) => {
  let ctx: TestContext
  let gw: GatewayNode
  let upstream: Upstream
  let traffic: GatewayTraffic
  const registry = new Registry()
  let ok: Shop['ok']

  beforeAll(async () => {
    ;({ ctx, ok } = await shopWithDev(dialect))
    upstream = await startUpstream('one')
    traffic = gatewayTraffic(ctx.store, ctx.clock, registry, { warn: () => {} })
    gw = await devGateway(ctx, { onCompleted: traffic.hook })
    for (const [name, address] of [
      ['orders', `${upstream.url}/api`],
      // Nothing listens on port 9 of loopback: the gateway answers 502.
      ['broken', 'http://127.0.0.1:9'],
    ] as const) {
      await ok('POST', '/apiops/projects/Shop/apiProxies/url/', {
        apiProxyName: name,
        apiProxyCreationType: 'REVERSE_PROXY',
        clientRoute: { relativePathList: [`/${name}`] },
        routingInfo: { routingAddressList: [{ address }] },
      })
      await ok('POST', `/apiops/projects/Shop/apiProxies/${name}/environments/dev/`, {})
    }
    await applied(ctx, gw)
  })
  afterAll(async () => {
    await gw?.close()
    await traffic?.close()
    await upstream?.close()
    await ctx?.close()
  })

  it('writes a row per answered request of a deployed proxy, and counts every request', async () => {
    expect(await get(gw.port, '/orders/1')).toBe(200)
    expect(await get(gw.port, '/orders/2?x=1')).toBe(200)
    expect(await get(gw.port, '/broken/x')).toBe(502)
    expect(await get(gw.port, '/nowhere')).toBe(404)
    await traffic.close()
    const rows = await ctx.store.db
      .selectFrom('traffic')
      .select(['proxy_name', 'status', 'method', 'error', 'environment_name'])
      .orderBy('id')
      .execute()
    expect(rows.map((r) => [r.proxy_name, Number(r.status), r.method, r.error])).toEqual([
      ['orders', 200, 'GET', null],
      ['orders', 200, 'GET', null],
      ['broken', 502, 'GET', 'BAD_GATEWAY'],
    ])
    expect(new Set(rows.map((r) => r.environment_name))).toEqual(new Set(['dev']))
    const text = await registry.metrics()
    const count = (labels: string) =>
      Number(text.match(new RegExp(`apiops_gateway_requests_total\\{${labels}\\} (\\d+)`))?.[1])
    expect(count('environment="dev",project="Shop",proxy="orders",status_class="2xx"')).toBe(2)
    expect(count('environment="dev",project="Shop",proxy="broken",status_class="5xx"')).toBe(1)
    expect(count('environment="dev",project="",proxy="",status_class="4xx"')).toBe(1)
    expect(text).toMatch(
      /apiops_gateway_upstream_errors_total\{environment="dev",project="Shop",proxy="broken",kind="bad_gateway"\} 1/,
    )
  })
})
