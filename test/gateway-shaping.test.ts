import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { GatewayNode } from '../src/gateway/node.ts'
import { type Answer, applied, devGateway, type Shop, send, shopWithDev } from './gateway-setup.ts'
import { startUpstream, type Upstream } from './gateway-upstream.ts'
import { bearer, dialects, type TestContext } from './helpers.ts'
import { json, type SpecHost, serveSpecs } from './spec-support.ts'

/*
 * The settings that shape a request or its answer, through a real gateway node and
 * upstream: CORS (preflights answered by the gateway, headers on actual answers),
 * bufferRequest / bufferResponse with their cap, and an endpoint's backend resource URL.
 */

const P = '/apiops/projects/Shop'
const LIMIT = 64 * 1024
const ORIGIN = 'https://app.example.com'

const fault = (answer: Answer) => JSON.parse(answer.body).fault as Record<string, string>
const corsHeaders = (answer: Answer) =>
  Object.fromEntries(
    Object.entries(answer.headers).filter(([n]) => n.startsWith('access-control-')),
  )

const SPEC = {
  openapi: '3.0.3',
  info: { title: 'pets', version: '1' },
  paths: {
    '/pets/{petId}': { get: { operationId: 'getPet' } },
    '/pets/{petId}/toys/{toyId}': { get: { operationId: 'getToy' } },
    '/status': { get: { operationId: 'status' } },
    '/things': { get: { operationId: 'things' } },
  },
}

describe.each(dialects())('gateway request and answer shaping (%s)', (dialect) => {
  let ctx: TestContext
  let admin: string
  let gw: GatewayNode
  let one: Upstream
  let specs: SpecHost
  let hits = 0
  let ok: Shop['ok']
  const reverse = (name: string, clientRoute: object = {}, address = one.url) =>
    ok('POST', `${P}/apiProxies/url/`, {
      apiProxyName: name,
      apiProxyCreationType: 'REVERSE_PROXY',
      clientRoute: { relativePathList: [`/${name}`], ...clientRoute },
      routingInfo: { routingAddressList: [{ address }] },
    })
  const cors = (name: string, settings: object) =>
    ok('PATCH', `${P}/apiProxies/${name}/settings/cors/`, {
      name: 'CORS',
      corsActive: true,
      ...settings,
    })
  const deployAll = async (...names: string[]) => {
    for (const name of names) await ok('POST', `${P}/apiProxies/${name}/environments/dev/`)
    await applied(ctx, gw)
  }

  beforeAll(async () => {
    ;({ ctx, admin, ok } = await shopWithDev(dialect, {
      APIOPS_SPEC_FETCH_ALLOWLIST: '127.0.0.1/32',
    }))
    one = await startUpstream('one')
    one.server.on('request', () => hits++)
    specs = await serveSpecs('127.0.0.1', { '/pets.json': json(SPEC) })
    gw = await devGateway(ctx, { bufferLimit: LIMIT })
    // The route takes no OPTIONS: a preflight is routed as the request it announces.
    await reverse('web', { methodList: ['GET', 'PUT', 'DELETE'] })
    await cors('web', {
      allowOriginList: [ORIGIN, 'https://other.example.com:443'],
      allowMethodList: ['GET', 'PUT'],
      allowHeaderList: ['Content-Type', 'X-Trace'],
      exposeHeaderList: ['X-Upstream'],
      allowCredentials: 'true',
      maxAge: 600,
    })
    await reverse('open')
    await cors('open', { allowOriginList: ['*'], allowMethodList: ['ALL'], allowHeaderList: ['*'] })
    await reverse('plain')
    await reverse('buf', { bufferRequest: true, bufferResponse: true })
    await deployAll('web', 'open', 'plain', 'buf')
  })
  afterAll(async () => {
    await gw?.close()
    await one?.close()
    await specs?.close()
    await ctx?.close()
  })

  const preflight = (path: string, origin: string, method: string, headers?: string) =>
    send(gw.port, path, {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': method,
        ...(headers ? { 'access-control-request-headers': headers } : {}),
      },
    })

  it('answers an allowed preflight itself, exactly as the CORS settings say', async () => {
    const before = hits
    const res = await preflight('/web/items/1', ORIGIN, 'PUT', 'content-type, x-trace')
    expect(res.status).toBe(200)
    expect(corsHeaders(res)).toEqual({
      'access-control-allow-origin': ORIGIN,
      'access-control-allow-methods': 'GET, PUT',
      'access-control-allow-headers': 'Content-Type, X-Trace',
      'access-control-allow-credentials': 'true',
      'access-control-max-age': '600',
    })
    expect(res.headers.vary).toContain('Origin')
    expect(res.body).toBe('')
    // A listed origin with its default port written out is the browser's origin without it.
    const other = await preflight('/web/items/1', 'https://other.example.com', 'GET')
    expect(other.headers['access-control-allow-origin']).toBe('https://other.example.com')
    expect(hits).toBe(before)
  })

  it('refuses a preflight for another origin, method or header with 403 and no CORS headers', async () => {
    const before = hits
    for (const [origin, method, headers, named] of [
      ['https://evil.example.com', 'GET', undefined, 'Origin https://evil.example.com'],
      [ORIGIN, 'DELETE', undefined, 'Method DELETE'],
      [ORIGIN, 'PUT', 'x-secret', 'Header x-secret'],
    ] as const) {
      const res = await preflight('/web/items/1', origin, method, headers)
      expect(res.status).toBe(403)
      expect(corsHeaders(res)).toEqual({})
      expect(fault(res)).toMatchObject({ faultCode: 'CORS_REJECTED', faultStatusCode: '403' })
      expect(fault(res).faultString).toContain(named)
    }
    expect(hits).toBe(before)
  })

  it('echoes what the wildcard settings allow, without credentials', async () => {
    const res = await preflight('/open/x', 'https://anyone.example', 'PATCH', 'x-a, x-b')
    expect(corsHeaders(res)).toEqual({
      'access-control-allow-origin': '*',
      'access-control-allow-methods': 'PATCH',
      'access-control-allow-headers': 'x-a, x-b',
      'access-control-max-age': '3600',
    })
  })

  it("adds the allowed origin's headers to the upstream's answer, in place of the upstream's own", async () => {
    const res = await send(gw.port, '/web/cors', { headers: { origin: ORIGIN } })
    expect(res.status).toBe(200)
    expect(JSON.parse(res.body).upstream).toBe('one')
    expect(corsHeaders(res)).toEqual({
      'access-control-allow-origin': ORIGIN,
      'access-control-allow-credentials': 'true',
      'access-control-expose-headers': 'X-Upstream',
    })
    expect(res.headers.vary).toBe('Accept, Origin')
    const stranger = await send(gw.port, '/web/cors', {
      headers: { origin: 'https://evil.example.com' },
    })
    expect(stranger.status).toBe(200)
    expect(corsHeaders(stranger)).toEqual({})
    expect(stranger.headers.vary).toBe('Accept, Origin')
    const none = await send(gw.port, '/web/x')
    expect([corsHeaders(none), none.headers.vary]).toEqual([{}, 'Origin'])
    // The gateway's own answers carry them too, so a script can read the fault.
    const failed = await send(gw.port, '/web/reset', { headers: { origin: ORIGIN } })
    expect(failed.status).toBe(502)
    expect(failed.headers['access-control-allow-origin']).toBe(ORIGIN)
  })

  it('forwards OPTIONS to the upstream when CORS is off', async () => {
    const res = await preflight('/plain/x', ORIGIN, 'GET')
    expect(res.status).toBe(200)
    expect(JSON.parse(res.body).method).toBe('OPTIONS')
    expect(corsHeaders(res)).toEqual({})
  })

  it('bufferRequest: forwards a chunked body whole with its length, and refuses one over the cap with 413', async () => {
    const body = await send(gw.port, '/buf/up', {
      method: 'POST',
      chunks: [Buffer.alloc(6000, 97), Buffer.alloc(4240, 98)],
    })
    expect(body.status).toBe(200)
    const seen = JSON.parse(body.body)
    expect(seen.bytes).toBe(10_240)
    expect(seen.headers['content-length']).toBe('10240')
    expect(seen.headers['transfer-encoding']).toBeUndefined()
    const before = hits
    const chunked = await send(gw.port, '/buf/up', {
      method: 'POST',
      chunks: Array.from({ length: 8 }, () => Buffer.alloc(16 * 1024, 99)),
    })
    expect(chunked.status).toBe(413)
    expect(fault(chunked)).toMatchObject({ faultCode: 'PAYLOAD_TOO_LARGE', faultStatusCode: '413' })
    expect(chunked.headers.connection).toBe('close')
    const declared = await send(gw.port, '/buf/up', {
      method: 'POST',
      headers: { 'content-length': String(LIMIT + 1) },
      chunks: [Buffer.alloc(LIMIT + 1, 100)],
    })
    expect(declared.status).toBe(413)
    expect(hits).toBe(before)
    // Without the setting the same body streams through, whatever the cap.
    const streamed = await send(gw.port, '/plain/up', {
      method: 'POST',
      chunks: Array.from({ length: 8 }, () => Buffer.alloc(16 * 1024, 99)),
    })
    expect([streamed.status, JSON.parse(streamed.body).bytes]).toEqual([200, 128 * 1024])
  })

  it('bufferRequest: a body read whole is sent again after a connection error; a streamed one is not', async () => {
    // Every other request has its connection cut once the body has arrived.
    let calls = 0
    const flaky = createServer((req, res) => {
      let bytes = 0
      req.on('data', (d: Buffer) => (bytes += d.length))
      req.on('end', () => {
        if (++calls % 2 === 1) return void req.socket.destroy()
        res.end(JSON.stringify({ bytes }))
      })
    })
    await new Promise<void>((r) => flaky.listen(0, '127.0.0.1', r))
    const address = `http://127.0.0.1:${(flaky.address() as AddressInfo).port}`
    try {
      await reverse('again', { bufferRequest: true }, address)
      await reverse('once', {}, address)
      for (const name of ['again', 'once'])
        await ok('PATCH', `${P}/apiProxies/${name}/settings/connection/`, { retryCount: 1 })
      await deployAll('again', 'once')
      const put = (path: string) =>
        send(gw.port, path, {
          method: 'PUT',
          chunks: [Buffer.alloc(3000, 1), Buffer.alloc(2000, 2)],
        })
      const again = await put('/again/x')
      expect([again.status, again.body, calls]).toEqual([200, '{"bytes":5000}', 2])
      const once = await put('/once/x')
      expect([once.status, fault(once).faultCode, calls]).toEqual([502, 'BAD_GATEWAY', 3])
    } finally {
      flaky.closeAllConnections()
      await new Promise((r) => flaky.close(r))
    }
  })

  it('bufferResponse: answers with the whole body and its length, and 502 when it is over the cap', async () => {
    const whole = await send(gw.port, '/buf/x')
    expect(whole.status).toBe(200)
    expect(whole.headers['content-length']).toBe(String(Buffer.byteLength(whole.body)))
    expect(whole.headers['transfer-encoding']).toBeUndefined()
    // The same answer through a streaming proxy keeps the upstream's chunked framing.
    expect((await send(gw.port, '/plain/x')).headers['transfer-encoding']).toBe('chunked')
    const big = await send(gw.port, '/buf/big/1')
    expect(big.status).toBe(502)
    expect(fault(big)).toMatchObject({ faultCode: 'BAD_GATEWAY' })
    expect(fault(big).faultString).toContain(`${LIMIT} bytes`)
    expect((await send(gw.port, '/plain/big/1')).body.length).toBe(1 << 20)
  })

  it('sends an endpoint to its backend resource URL, carrying the path parameters over', async () => {
    await ok('POST', `${P}/apiProxies/url/`, {
      apiProxyName: 'pets',
      apiProxyCreationType: 'OPEN_API',
      specUrl: `${specs.url}/pets.json`,
      clientRoute: { relativePathList: ['/pets-api'] },
      routingInfo: { routingAddressList: [{ address: `${one.url}/base` }] },
    })
    const endpoint = (name: string, backendResourceUrl: string) =>
      ok('PATCH', `${P}/apiProxies/pets/endpoints/`, {
        name,
        httpMethod: 'GET',
        backendResourceUrl,
      })
    await endpoint('/pets/{petId}', '/animals/{petId}/card')
    await endpoint('/pets/{petId}/toys/{toyId}', '/v2/toys/{toyId}/of/{petId}')
    await endpoint('/status', '/health?probe=1')
    await deployAll('pets')
    const upstreamUrl = async (path: string) => {
      const res = await send(gw.port, path)
      expect(res.status, res.body).toBe(200)
      return JSON.parse(res.body).url as string
    }
    expect(await upstreamUrl('/pets-api/pets/7?x=1')).toBe('/base/animals/7/card?x=1')
    expect(await upstreamUrl('/pets-api/pets/a%20b/')).toBe('/base/animals/a%20b/card')
    expect(await upstreamUrl('/pets-api/pets/7/toys/9')).toBe('/base/v2/toys/9/of/7')
    expect(await upstreamUrl('/pets-api/status?x=1')).toBe('/base/health?probe=1&x=1')
    expect(await upstreamUrl('/pets-api/things?y=2')).toBe('/base/things?y=2')
    // A backend method of its own: the client's GET goes upstream as a POST.
    await ok('PATCH', `${P}/apiProxies/pets/endpoints/`, {
      name: '/status',
      httpMethod: 'GET',
      backendHttpMethod: 'POST',
    })
    await deployAll('pets')
    const moved = await send(gw.port, '/pets-api/status')
    expect(moved.status, moved.body).toBe(200)
    expect(JSON.parse(moved.body)).toMatchObject({ method: 'POST', url: '/base/health?probe=1' })
    expect(JSON.parse((await send(gw.port, '/pets-api/pets/7')).body).method).toBe('GET')
  })

  it('sends an endpoint with an absolute backend URL there, not to the routing address', async () => {
    const two = await startUpstream('two')
    try {
      await ok('PATCH', `${P}/apiProxies/pets/endpoints/`, {
        name: '/pets/{petId}/toys/{toyId}',
        httpMethod: 'GET',
        backendResourceUrl: `${two.url}/v3/toys/{toyId}/of/{petId}?src=gw`,
      })
      await deployAll('pets')
      const toy = await send(gw.port, '/pets-api/pets/7/toys/9?x=1')
      expect(toy.status, toy.body).toBe(200)
      expect(JSON.parse(toy.body)).toMatchObject({
        upstream: 'two',
        url: '/v3/toys/9/of/7?src=gw&x=1',
      })
      // The proxy's other endpoints still go to its routing address.
      expect(JSON.parse((await send(gw.port, '/pets-api/pets/7')).body).upstream).toBe('one')
      // That backend down: the proxy's own 502, as for a routing address.
      await new Promise((r) => two.server.close(r))
      two.server.closeAllConnections()
      const down = await send(gw.port, '/pets-api/pets/7/toys/9')
      expect(down.status).toBe(502)
      expect(fault(down)).toMatchObject({ faultCode: 'BAD_GATEWAY' })
    } finally {
      two.server.close()
    }
  })

  it.each([
    ['ftp://files.example/pets', 'an absolute URL must start with http:// or https://'],
    ['https://user:secret@backend.example/pets', 'must not carry a user name or password'],
    [
      // biome-ignore lint/suspicious/noTemplateCurlyInString: an environment variable reference
      'https://${BACKEND}/pets',
      'an absolute URL cannot hold environment variables: put that backend in a routing address, or give a path',
    ],
    ['http://[::1/pets', 'is not a valid URL'],
  ])('refuses the absolute backend URL %s', async (backendResourceUrl, message) => {
    const res = await ctx.app.inject({
      method: 'PATCH',
      url: `${P}/apiProxies/pets/endpoints/`,
      headers: bearer(admin),
      payload: { name: '/status', httpMethod: 'GET', backendResourceUrl },
    })
    expect(res.statusCode, res.body).toBe(400)
    expect(res.json().error_description).toContain(`backendResourceUrl ${message}`)
    // Nothing was written: the endpoint keeps its backend.
    const list = await ctx.app.inject({
      method: 'GET',
      url: `${P}/apiProxies/pets/endpoints/`,
      headers: bearer(admin),
    })
    expect(list.body).not.toContain(backendResourceUrl)
  })
})
