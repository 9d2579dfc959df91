import type { IncomingMessage } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { MirrorOutcome } from '../src/gateway/mirror.ts'
import type { GatewayNode } from '../src/gateway/node.ts'
import { applied, devGateway, type Shop, send, shopWithDev } from './gateway-setup.ts'
import { startUpstream, type Upstream } from './gateway-upstream.ts'
import { bearer, dialects, until } from './helpers.ts'
import { freePort } from './nodes.ts'

/*
 * Request mirroring through a real gateway node: with routingInfo.mirrorEnabled and a
 * mirrorAddressList, each request also goes, whole, to every mirror address; the client
 * gets the routing address's answer whatever the mirror does.
 */

const P = '/apiops/projects/Shop'

interface Copy {
  method: string
  url: string
  body: string
  headers: IncomingMessage['headers']
}

describe.each(dialects())('request mirroring (%s)', (dialect) => {
  let shop: Shop
  let gw: GatewayNode
  let one: Upstream
  let two: Upstream
  const copies: Copy[] = []
  const outcomes: MirrorOutcome[] = []
  const mirror = (name: string, body: object) =>
    shop.ctx.app.inject({
      method: 'PATCH',
      url: `${P}/apiProxies/${name}/settings/routing-status/`,
      headers: bearer(shop.admin),
      payload: body,
    })
  const deploy = async (name: string) => {
    await shop.ok('POST', `${P}/apiProxies/${name}/environments/dev/`)
    await applied(shop.ctx, gw)
  }

  beforeAll(async () => {
    shop = await shopWithDev(dialect)
    one = await startUpstream('one')
    two = await startUpstream('two')
    two.server.on('request', (req: IncomingMessage) => {
      let body = ''
      req.on('data', (d: Buffer) => (body += d.toString('utf8')))
      req.on('end', () =>
        copies.push({ method: req.method ?? '', url: req.url ?? '', body, headers: req.headers }),
      )
    })
    gw = await devGateway(shop.ctx, { onMirrored: (_proxy, outcome) => outcomes.push(outcome) })
    await shop.ok('POST', `${P}/apiProxies/url/`, {
      apiProxyName: 'orders',
      apiProxyCreationType: 'REVERSE_PROXY',
      clientRoute: { relativePathList: ['/orders'] },
      routingInfo: { routingAddressList: [{ address: `${one.url}/live` }] },
    })
  })

  afterAll(async () => {
    await gw?.close()
    await one?.close()
    await two?.close()
    await shop?.ctx.close()
  })

  it("takes the docs' mirrorEnabled alone (nothing to mirror to yet), refuses addresses it could not use", async () => {
    // The docs' own example: stored, and the gateway sends no copy until addresses come.
    expect((await mirror('orders', { mirrorEnabled: true })).statusCode).toBe(200)
    await deploy('orders')
    expect((await send(gw.port, '/orders/1')).status).toBe(200)
    expect((await send(gw.port, '/orders/2')).status).toBe(200)
    expect(copies).toEqual([])
    expect(outcomes).toEqual([])
    const variable = await mirror('orders', {
      mirrorEnabled: true,
      // biome-ignore lint/suspicious/noTemplateCurlyInString: an environment variable reference
      mirrorAddressList: [{ address: 'https://${SHADOW}/x' }],
    })
    expect(variable.statusCode).toBe(400)
    expect(variable.json().error_description).toContain(
      'mirrorAddressList.0.address must be an http:// or https:// URL without environment variables',
    )
    const view = await shop.ctx.app.inject({
      method: 'GET',
      url: `${P}/apiProxies/orders/`,
      headers: bearer(shop.admin),
    })
    expect(view.json().routing.mirrorAddressList).toBeUndefined()
  })

  it('sends each request, body and all, to the mirror too; the client gets the real answer', async () => {
    await shop.ok('PATCH', `${P}/apiProxies/orders/settings/routing-status/`, {
      mirrorEnabled: true,
      mirrorAddressList: [{ address: `${two.url}/shadow` }],
    })
    const view = await shop.ctx.app.inject({
      method: 'GET',
      url: `${P}/apiProxies/orders/`,
      headers: bearer(shop.admin),
    })
    expect(view.json().routing).toMatchObject({
      mirrorEnabled: true,
      mirrorAddressList: [{ address: `${two.url}/shadow` }],
    })
    await deploy('orders')
    const answer = await send(gw.port, '/orders/7?full=1', {
      method: 'POST',
      chunks: [Buffer.from('{"qty":'), Buffer.from('2}')],
    })
    expect(answer.status).toBe(200)
    expect(JSON.parse(answer.body)).toMatchObject({
      upstream: 'one',
      method: 'POST',
      url: '/live/7?full=1',
      bytes: 9,
    })
    await until('the copy arrived', async () => copies.length === 1)
    expect(copies[0]).toMatchObject({ method: 'POST', url: '/shadow/7?full=1', body: '{"qty":2}' })
    // The body was read whole, so the copy carries its length rather than chunks.
    expect(copies[0]?.headers['content-length']).toBe('9')
    expect(copies[0]?.headers['x-forwarded-for']).toBe('127.0.0.1')
    await until('the copy was counted', async () => outcomes.includes('sent'))
  })

  it('answers the client whatever the mirror does, and counts the copies that failed', async () => {
    const closed = await freePort()
    await shop.ok('PATCH', `${P}/apiProxies/orders/settings/routing-status/`, {
      mirrorAddressList: [{ address: `http://127.0.0.1:${closed}` }],
    })
    await deploy('orders')
    const before = outcomes.filter((o) => o === 'failed').length
    const answer = await send(gw.port, '/orders/8')
    expect(answer.status).toBe(200)
    expect(JSON.parse(answer.body)).toMatchObject({ upstream: 'one', url: '/live/8' })
    await until('the failed copy was counted', async () => {
      return outcomes.filter((o) => o === 'failed').length === before + 1
    })
  })

  it('stops mirroring when turned off, keeping the addresses for next time', async () => {
    await shop.ok('PATCH', `${P}/apiProxies/orders/settings/routing-status/`, {
      mirrorEnabled: false,
      mirrorAddressList: [{ address: `${two.url}/shadow` }],
    })
    await deploy('orders')
    // The deployed plan has no mirror: no copy can be sent, whatever the timing.
    expect(gw.table.proxies.find((p) => p.name === 'orders')?.mirror).toBeNull()
    const seen = copies.length
    const counted = outcomes.length
    expect((await send(gw.port, '/orders/9')).status).toBe(200)
    expect((await send(gw.port, '/orders/10')).status).toBe(200)
    expect(copies.length).toBe(seen)
    expect(outcomes.length).toBe(counted)
    // The addresses are kept for next time.
    const view = await shop.ctx.app.inject({
      method: 'GET',
      url: `${P}/apiProxies/orders/`,
      headers: bearer(shop.admin),
    })
    expect(view.json().routing.mirrorAddressList).toEqual([{ address: `${two.url}/shadow` }])
  })
})
