import { hostname } from 'node:os'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type GatewayNode, startGateway } from '../src/gateway/node.ts'
import { configVersion } from '../src/resources/proxies/proxies.snapshot.ts'
import { statusOf } from './gateway-process.ts'
import { startUpstream, type Upstream } from './gateway-upstream.ts'
import { dialects, until } from './helpers.ts'
import { base, GroupsWorld, proxyBody } from './proxy-groups-support.ts'

/*
 * API proxy groups through a gateway node (in this process, over the management API's
 * store): a deployed group answers under its relative path followed by each member's,
 * narrowed by its methods; its route is frozen at the deploy; a route another deployed
 * proxy or group holds is refused with 409 naming it; undeploying answers 404. The
 * deploy answers also carry the node's result (APPLIED), so no test waits for a reload.
 */

const PROXIES = '/apiops/projects/MyProject/apiProxies'
const env = (group: string) => `${base}/${group}/environments/development/`

interface Seen {
  upstream: string
  method: string
  url: string
}

async function through(port: number, path: string, method = 'GET') {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { method })
  const text = await res.text()
  return { status: res.status, seen: res.status === 200 ? (JSON.parse(text) as Seen) : null }
}

describe.each(dialects())('API proxy groups through the gateway (%s)', (dialect) => {
  let w: GroupsWorld
  let gw: GatewayNode
  let one: Upstream
  let two: Upstream

  const group = (name: string, paths: string[], methodList: string[] | null = null) => ({
    name,
    description: `${name} group`,
    clientRoute: { relativePathList: paths, methodList },
  })
  const deployGroup = async (name: string) => {
    const res = await w.ok('POST', env(name), 'grouper')
    return res.deploymentResult.environmentResults[0]
  }

  beforeAll(async () => {
    w = await GroupsWorld.build(dialect)
    one = await startUpstream('one')
    two = await startUpstream('two')
    await w.ok('POST', `${PROXIES}/url/`, 'admin', proxyBody('orders', '/orders', `${one.url}/api`))
    await w.ok('POST', `${PROXIES}/url/`, 'admin', proxyBody('stock', '/stock', `${two.url}/s`))
    await w.ok('POST', `${base}/`, 'grouper', group('shop', ['/shop', '/store'], ['GET']))
    for (const member of ['orders', 'stock'])
      await w.ok('POST', `${base}/shop/apiProxies/${member}/`, 'grouper')
    gw = await startGateway({
      store: w.ctx.store,
      events: w.ctx.events,
      atRestKeys: w.ctx.keys.atRestKeys,
      environment: 'development',
      port: 0,
      host: '127.0.0.1',
    })
  })
  afterAll(async () => {
    await gw?.close()
    await one?.close()
    await two?.close()
    await w?.ctx.close()
  })

  it("serves each member under the group's relative path, with the group's methods", async () => {
    expect((await through(gw.port, '/shop/orders/7')).status).toBe(404)
    const result = await deployGroup('shop')
    // The node applied it before the answer: its entry says so, and no wait is needed.
    expect(result).toMatchObject({ environmentName: 'development', status: 'APPLIED' })
    expect(result.nodeResults).toEqual([
      expect.objectContaining({ address: `${hostname()}:${gw.port}`, status: 'APPLIED' }),
    ])

    const a = await through(gw.port, '/shop/orders/7?x=1')
    expect(a.seen).toMatchObject({ upstream: 'one', url: '/api/7?x=1' })
    expect((await through(gw.port, '/store/stock')).seen).toMatchObject({
      upstream: 'two',
      url: '/s',
    })
    expect((await through(gw.port, '/shop/stock/a/b')).seen?.url).toBe('/s/a/b')
    // The members are deployed in their own right too, at their own paths.
    expect((await through(gw.port, '/orders/1')).seen?.url).toBe('/api/1')
    // Only members, only the group's methods, only whole segments.
    expect((await through(gw.port, '/shop/other')).status).toBe(404)
    expect((await through(gw.port, '/shop')).status).toBe(404)
    expect((await through(gw.port, '/shop/ordersX')).status).toBe(404)
    expect((await through(gw.port, '/shop/orders/7', 'POST')).status).toBe(404)
    expect((await through(gw.port, '/orders/7', 'POST')).status).toBe(200)
  })

  it('refuses a proxy whose route the deployed group serves, naming the group', async () => {
    await w.ok('POST', `${PROXIES}/url/`, 'admin', proxyBody('clash', '/shop/orders', one.url))
    const res = await w.call('POST', `${PROXIES}/clash/environments/development/`, 'proxyOps')
    expect(res.statusCode, res.body).toBe(409)
    expect(res.json().error_description).toBe(
      "API proxy group 'shop' (project 'MyProject') already serves relative path '/shop/orders' for the same hosts and methods in environment 'development'; change the client route of one of them, or undeploy 'shop' first",
    )
    expect((await through(gw.port, '/shop/orders/1')).seen?.upstream).toBe('one')
  })

  it('refuses a group whose route a deployed proxy serves, and deploys nothing of it', async () => {
    await w.ok('POST', `${PROXIES}/url/`, 'admin', proxyBody('mallstock', '/mall/stock', one.url))
    await w.ok('POST', `${PROXIES}/mallstock/environments/development/`, 'proxyOps')
    await w.ok('POST', `${base}/`, 'grouper', group('mall', ['/mall']))
    await w.ok('POST', `${base}/mall/apiProxies/stock/`, 'grouper')
    const res = await w.call('POST', env('mall'), 'grouper')
    expect(res.statusCode, res.body).toBe(409)
    expect(res.json().error_description).toContain(
      "API proxy 'mallstock' (project 'MyProject') already serves relative path '/mall/stock'",
    )
    expect((await w.groupEnvironments('mall')).find((e) => e.deployed)).toBeUndefined()
    expect((await through(gw.port, '/mall/stock')).seen?.upstream).toBe('one')
  })

  it('serves the group as deployed: an edit waits for the redeploy', async () => {
    await w.ok('PUT', `${base}/`, 'grouper', group('shop', ['/market'], ['GET']))
    expect((await through(gw.port, '/market/orders')).status).toBe(404)
    expect((await through(gw.port, '/shop/orders')).status).toBe(200)
    expect((await deployGroup('shop')).status).toBe('APPLIED')
    expect((await through(gw.port, '/market/orders/2')).seen?.url).toBe('/api/2')
    expect((await through(gw.port, '/shop/orders')).status).toBe(404)
  })

  it('ALL in a methodList is every method, for routing and for conflicts', async () => {
    const route = { relativePathList: ['/anything'], methodList: ['ALL'] }
    await w.ok('POST', `${PROXIES}/url/`, 'admin', {
      ...proxyBody('anything', '/anything', one.url),
      clientRoute: route,
    })
    await w.ok('POST', `${PROXIES}/anything/environments/development/`, 'proxyOps')
    expect((await through(gw.port, '/anything/x')).status).toBe(200)
    expect((await through(gw.port, '/anything/x', 'DELETE')).status).toBe(200)
    await w.ok('POST', `${PROXIES}/url/`, 'admin', {
      ...proxyBody('anyget', '/anything/', two.url),
      clientRoute: { relativePathList: ['/anything/'], methodList: ['GET'] },
    })
    const res = await w.call('POST', `${PROXIES}/anyget/environments/development/`, 'proxyOps')
    expect(res.statusCode, res.body).toBe(409)
    expect(res.json().error_description).toContain("API proxy 'anything'")
  })

  it('undeploying the group answers 404 under its route (and at its members own)', async () => {
    const res = await w.ok('DELETE', env('shop'), 'grouper')
    expect(res.deploymentResult.environmentResults[0].status).toBe('APPLIED')
    expect(await statusOf(gw.port, '/market/orders/2')).toBe(404)
    expect(await statusOf(gw.port, '/market/stock')).toBe(404)
    expect(await statusOf(gw.port, '/orders/1')).toBe(404)
  })

  it('deleting a deployed group takes its routes away; its members stay deployed', async () => {
    await deployGroup('shop')
    expect(await statusOf(gw.port, '/market/orders')).toBe(200)
    await w.ok('DELETE', `${base}/shop/`, 'grouper')
    const version = await configVersion(w.ctx.store.db, gw.environmentId)
    await until('the gateway applied the deletion', async () => gw.version === version)
    expect(await statusOf(gw.port, '/market/orders')).toBe(404)
    expect(await statusOf(gw.port, '/orders/1')).toBe(200)
  })
})
