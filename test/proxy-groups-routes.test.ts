import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dialects } from './helpers.ts'
import { base, GroupsWorld, proxyBody } from './proxy-groups-support.ts'

/*
 * A group's relative paths and the proxies' share one space per project: a path held
 * by a proxy or by another group is refused (409, naming the holder), in both
 * directions, on create, on update and through the client-route setting.
 */

const group = (name: string, ...paths: string[]) => ({
  name,
  description: `${name} group`,
  clientRoute: { relativePathList: paths, methodList: ['GET'] },
})

describe.each(dialects())('relative paths of groups and proxies (%s)', (dialect) => {
  let w: GroupsWorld
  beforeAll(async () => {
    w = await GroupsWorld.build(dialect)
  })
  afterAll(() => w.ctx.close())

  const refused = async (
    method: string,
    url: string,
    body: unknown,
    holder: string,
    path: string,
  ) => {
    const res = await w.call(method, url, 'admin', body)
    expect(res.statusCode, res.body).toBe(409)
    expect(res.json()).toEqual({
      error: 'conflict',
      error_description: `Relative path '${path}' is already used by ${holder}.`,
    })
  }

  it("refuses a group a proxy's path, or another group's, naming the holder", async () => {
    await refused(
      'POST',
      `${base}/`,
      group('g0', '/free', '/PaymentAPI'),
      "API proxy 'PaymentAPI'",
      '/PaymentAPI',
    )
    await w.ok('POST', `${base}/`, 'grouper', group('checkout', '/checkout', '/pay'))
    await refused('POST', `${base}/`, group('g1', '/pay'), "API proxy group 'checkout'", '/pay')
    // Nothing of the refused groups was stored.
    expect((await w.call('GET', `${base}/g0/`, 'grouper')).statusCode).toBe(404)
    await w.ok('POST', `${base}/`, 'grouper', group('g0', '/free'))
  })

  it('refuses the same on update; a group keeps its own paths, and gives up those it drops', async () => {
    await w.ok('PUT', `${base}/`, 'grouper', group('checkout', '/checkout', '/pay', '/cart'))
    await refused(
      'PUT',
      `${base}/`,
      group('g0', '/free', '/cart'),
      "API proxy group 'checkout'",
      '/cart',
    )
    await refused(
      'PUT',
      `${base}/`,
      group('g0', '/RefundAPI'),
      "API proxy 'RefundAPI'",
      '/RefundAPI',
    )
    await w.ok('PUT', `${base}/`, 'grouper', group('checkout', '/checkout', '/pay'))
    await w.ok('PUT', `${base}/`, 'grouper', group('g0', '/free', '/cart'))
  })

  it("refuses a proxy a group's path: create, update, and the client-route setting", async () => {
    const proxies = '/apiops/projects/MyProject/apiProxies'
    await refused(
      'POST',
      `${proxies}/url/`,
      proxyBody('NewAPI', '/checkout'),
      "API proxy group 'checkout'",
      '/checkout',
    )
    await refused(
      'PUT',
      `${proxies}/url/`,
      proxyBody('UserAPI', '/pay'),
      "API proxy group 'checkout'",
      '/pay',
    )
    await refused(
      'PATCH',
      `${proxies}/UserAPI/settings/client-route/`,
      { relativePathList: ['/UserAPI', '/cart'] },
      "API proxy group 'g0'",
      '/cart',
    )
    expect((await w.call('GET', `${proxies}/NewAPI/`, 'admin')).statusCode).toBe(404)
  })

  it('lets exactly one of a proxy and a group racing for a path have it', async () => {
    const proxies = '/apiops/projects/MyProject/apiProxies'
    for (let i = 0; i < 8; i++) {
      const path = `/race${i}`
      const [p, g] = await Promise.all([
        w.call('POST', `${proxies}/url/`, 'admin', proxyBody(`Race${i}API`, path)),
        w.call('POST', `${base}/`, 'grouper', group(`race${i}`, path)),
      ])
      expect([p.statusCode, g.statusCode].sort(), `${path}: ${p.body} ${g.body}`).toEqual([
        200, 409,
      ])
    }
  })

  it('frees the paths of a deleted group, and leaves other projects alone', async () => {
    await w.ok('DELETE', `${base}/checkout/`, 'grouper')
    await w.ok(
      'POST',
      '/apiops/projects/MyProject/apiProxies/url/',
      'admin',
      proxyBody('CheckoutAPI', '/checkout'),
    )
    await w.ok('POST', '/apiops/projects/Other/apiProxyGroups/', 'admin', group('cart', '/cart'))
    await w.ok(
      'POST',
      '/apiops/projects/Other/apiProxyGroups/',
      'admin',
      group('payment', '/PaymentAPI'),
    )
  })
})
