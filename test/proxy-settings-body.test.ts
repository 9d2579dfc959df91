import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loggerOptions } from '../src/app.ts'
import { secretContext } from '../src/resources/proxies/settings/settings.store.ts'
import { MASK, unseal } from '../src/sealed.ts'
import { bodyExamples, DOCS_ROOT, readPage } from './fixtures/settings-docs.ts'
import { bearer, buildTestApp, dialects, makeUser, type TestContext, tokenFor } from './helpers.ts'

/*
 * The secrets inside proxy settings (sealed at rest, masked on read, never logged, the
 * proxy password never sent to a server it was not given for), and the documented
 * create/update body of `apiProxies/url/` accepted as the docs write it.
 */

// biome-ignore lint/suspicious/noExplicitAny: proxy reads are walked field by field
type Json = Record<string, any>

const OPENAPI = {
  openapi: '3.0.3',
  info: { title: 'Pets', version: '1' },
  servers: [{ url: 'https://pets.backend.internal/v1' }],
  paths: { '/pets': { get: { operationId: 'listPets' } } },
}

function specServer(): Promise<{ server: Server; url: string }> {
  const server = createServer((_req, res) => res.end(JSON.stringify(OPENAPI)))
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }),
    ),
  )
}

const crudExamples = (file: string) =>
  bodyExamples(readPage(join(DOCS_ROOT, 'crud', file)).text) as Json[]

describe.each(dialects())('API proxy settings: secrets and the documented body (%s)', (dialect) => {
  let ctx: TestContext
  let spec: { server: Server; url: string }
  let token: string
  const logLines: string[] = []

  beforeAll(async () => {
    spec = await specServer()
    const log = pino(loggerOptions('trace') as pino.LoggerOptions, {
      write: (line: string) => logLines.push(line),
    })
    ctx = await buildTestApp(dialect, {
      log,
      env: { APIOPS_SPEC_FETCH_ALLOWLIST: '127.0.0.1/32' },
    })
    token = (await tokenFor(ctx, (await makeUser(ctx, 'root', ['ROLE_ADMIN'])).id)).token
    for (const [url, payload] of [
      ['/apiops/projects/', { name: 'MyProject' }],
      [
        '/apiops/environments/',
        {
          name: 'production',
          type: 'PRODUCTION',
          accessUrl: 'https://p.example',
          projects: ['MyProject'],
        },
      ],
    ] as const) {
      const res = await ctx.app.inject({ method: 'POST', url, headers: bearer(token), payload })
      expect(res.statusCode, url).toBe(201)
    }
  })
  afterAll(async () => {
    await ctx?.close()
    spec?.server.close()
  })

  const call = (method: string, url: string, payload?: unknown) =>
    ctx.app.inject({
      method: method as 'PUT',
      url,
      headers: bearer(token),
      payload: payload as Json,
    })
  const base = '/apiops/projects/MyProject/apiProxies'
  const read = async (name: string): Promise<Json> => {
    const res = await call('GET', `${base}/${name}/`)
    expect(res.statusCode, res.body).toBe(200)
    return res.json()
  }
  const create = async (name: string) => {
    const res = await call('POST', `${base}/url/`, {
      apiProxyName: name,
      apiProxyCreationType: 'REVERSE_PROXY',
      clientRoute: { relativePathList: [`/${name}`] },
      routingInfo: { routingAddressList: [{ address: 'https://backend.example.com' }] },
    })
    expect(res.statusCode, res.body).toBe(200)
  }
  const stored = async (name: string): Promise<{ id: string; text: string; settings: Json }> => {
    const row = await ctx.store.db
      .selectFrom('proxy_settings')
      .innerJoin('api_proxies', 'api_proxies.id', 'proxy_settings.proxy_id')
      .select(['api_proxies.id', 'proxy_settings.settings'])
      .where('api_proxies.name', '=', name)
      .executeTakeFirstOrThrow()
    return { id: row.id, text: row.settings, settings: JSON.parse(row.settings) }
  }
  const open = (id: string, field: string, sealed: string) =>
    unseal(ctx.keys.atRestKeys, sealed, secretContext(id, field))

  it('seals the NTLM password, the proxy password and the secret key, and reads them back masked', async () => {
    await create('sealed')
    const sets: [string, Json][] = [
      ['ntlm/', { enabled: true, domain: 'EXAMPLE', username: 'user', password: 'ntlm-pass-1' }],
      [
        'proxy-server/',
        {
          proxyEnabled: true,
          proxyHost: 'proxy.example.com',
          proxyPort: 8080,
          proxyAuthorizationNeeded: true,
          proxyUsername: 'u',
          proxyPassword: 'proxy-pass-1',
        },
      ],
      ['keys/', { publicKey: 'ak_1', secretKey: 'sk-secret-1' }],
    ]
    for (const [setting, body] of sets) {
      const res = await call('PATCH', `${base}/sealed/settings/${setting}`, body)
      expect(res.statusCode, res.body).toBe(200)
    }
    const proxy = await read('sealed')
    expect(proxy.settings.ntlm).toMatchObject({ username: 'user', password: MASK })
    expect(proxy.settings.proxyServer).toMatchObject({ proxyUsername: 'u', proxyPassword: MASK })
    expect(proxy.settings.apiKeys).toEqual({ publicKey: 'ak_1', secretKey: MASK })
    const row = await stored('sealed')
    for (const secret of ['ntlm-pass-1', 'proxy-pass-1', 'sk-secret-1']) {
      expect(row.text).not.toContain(secret)
      expect(JSON.stringify(proxy)).not.toContain(secret)
      expect(logLines.join('')).not.toContain(secret)
    }
    expect(open(row.id, 'ntlm.password', row.settings.ntlm.password)).toBe('ntlm-pass-1')
    expect(open(row.id, 'proxyServer.proxyPassword', row.settings.proxyServer.proxyPassword)).toBe(
      'proxy-pass-1',
    )
    expect(open(row.id, 'apiKeys.secretKey', row.settings.apiKeys.secretKey)).toBe('sk-secret-1')
    // Bound to its field: a sealed value moved to another field does not open there.
    expect(() => open(row.id, 'ntlm.password', row.settings.apiKeys.secretKey)).toThrow()
  })

  it('keeps a secret sent back masked or left out, and replaces it when given', async () => {
    const before = (await stored('sealed')).settings
    const masked = await call('PATCH', `${base}/sealed/settings/ntlm/`, {
      password: MASK,
      workstation: 'WS1',
    })
    expect(masked.statusCode).toBe(200)
    const kept = (await stored('sealed')).settings
    expect(kept.ntlm.password).toBe(before.ntlm.password)
    expect(kept.ntlm.workstation).toBe('WS1')
    await call('PATCH', `${base}/sealed/settings/keys/`, { publicKey: 'ak_2' })
    expect((await stored('sealed')).settings.apiKeys.secretKey).toBe(before.apiKeys.secretKey)
    await call('PATCH', `${base}/sealed/settings/ntlm/`, { password: 'ntlm-pass-2' })
    const row = await stored('sealed')
    expect(open(row.id, 'ntlm.password', row.settings.ntlm.password)).toBe('ntlm-pass-2')
  })

  it('sends the stored proxy password to no other server: moving host or port needs it again', async () => {
    const moved = await call('PATCH', `${base}/sealed/settings/proxy-server/`, {
      proxyHost: 'evil.example.com',
    })
    expect(moved.statusCode).toBe(400)
    expect(moved.json().error_description).toMatch(
      /proxyPassword must be given again when proxyHost or proxyPort changes/,
    )
    const port = await call('PATCH', `${base}/sealed/settings/proxy-server/`, {
      proxyPort: 3128,
      proxyPassword: MASK,
    })
    expect(port.statusCode).toBe(400)
    expect((await read('sealed')).settings.proxyServer).toMatchObject({
      proxyHost: 'proxy.example.com',
      proxyPort: 8080,
    })
    const given = await call('PATCH', `${base}/sealed/settings/proxy-server/`, {
      proxyHost: 'proxy2.example.com',
      proxyPassword: 'proxy-pass-2',
    })
    expect(given.statusCode).toBe(200)
    const row = await stored('sealed')
    expect(open(row.id, 'proxyServer.proxyPassword', row.settings.proxyServer.proxyPassword)).toBe(
      'proxy-pass-2',
    )
  })

  it('accepts the documented create body verbatim (but for a reachable spec URL) and stores every field', async () => {
    const [example] = crudExamples('create-api-proxy-from-url.md')
    const body: Json = { ...(example as Json), specUrl: `${spec.url}/swagger.json` }
    const res = await call('POST', `${base}/url/`, body)
    expect(res.statusCode, res.body).toBe(200)
    const proxy = await read('petstore-api')
    expect(proxy.clientRoute).toMatchObject(body.clientRoute)
    expect(proxy.routing).toMatchObject({ routingEnabled: true, mirrorEnabled: false })
    expect(proxy.routing.routingAddressList).toEqual(body.routingInfo.routingAddressList)
    expect(proxy.settings).toMatchObject({
      soapToRest: false,
      enableWSA: false,
      enableWSRM: false,
      backendApiVersion: 'v1',
      maintenanceModeSetting: body.maintenanceModeSetting,
      specAuthorizationValueList: [{ headerName: 'Authorization', headerValue: MASK }],
    })
    expect((await stored('petstore-api')).text).not.toContain('token123')
  })

  it('accepts the documented update bodies, settings inside routingInfo and clientRoute included', async () => {
    const [openApi, , reverse] = crudExamples('update-api-proxy-from-url.md') as Json[]
    const update = await call('PUT', `${base}/url/`, {
      ...openApi,
      specUrl: `${spec.url}/swagger.json`,
    })
    expect(update.statusCode, update.body).toBe(200)
    expect((await read('petstore-api')).settings.backendApiVersion).toBe('v2')
    await create('reverse-proxy')
    const rev = await call('PUT', `${base}/url/`, reverse)
    expect(rev.statusCode, rev.body).toBe(200)
    expect((await read('reverse-proxy')).clientRoute.virtualHostList).toEqual([
      'reverse.example.com',
    ])
    const [generic] = crudExamples('update-api-proxy.md')
    const res = await call('PUT', `${base}/url/`, {
      ...(generic as Json),
      specUrl: `${spec.url}/swagger.json`,
    })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json().deploymentResult.deploymentResults[0]).toMatchObject({
      environmentName: 'production',
      success: true,
    })
    const proxy = await read('petstore-api')
    expect(proxy.clientRoute.virtualHostList).toEqual(['api.example.com'])
    expect(proxy.routing.loadBalanceAlgorithm).toBe('ROUND_ROBIN')
    expect(proxy.settings.connection).toMatchObject({ connectTimeout: 30, readTimeout: 60 })
  })

  it('refuses bad values in the documented body with a 400 naming the field', async () => {
    const bad: [Json, RegExp][] = [
      [
        { routingInfo: { routingAddressList: [{ address: 'https://b', soapType: 'SOAP13' }] } },
        /routingInfo\.routingAddressList\.0\.soapType must be equal to one of the allowed values/,
      ],
      [
        {
          routingInfo: {
            routingAddressList: [{ address: 'https://b' }],
            loadBalanceAlgorithm: 'FASTEST',
          },
        },
        /routingInfo\.loadBalanceAlgorithm must be equal to one of the allowed values/,
      ],
      [
        { maintenanceModeSetting: { httpStatusCode: 99 } },
        /maintenanceModeSetting\.httpStatusCode must be >= 100/,
      ],
      [
        { clientRoute: { relativePathList: ['/x'], methodList: ['FETCH'] } },
        /clientRoute\.methodList\.0 must be equal to one of the allowed values/,
      ],
    ]
    for (const [extra, message] of bad) {
      const res = await call('POST', `${base}/url/`, {
        apiProxyName: 'bad-body',
        apiProxyCreationType: 'REVERSE_PROXY',
        routingInfo: { routingAddressList: [{ address: 'https://b' }] },
        ...extra,
      })
      expect(res.statusCode, res.body).toBe(400)
      expect(res.json().error_description).toMatch(message)
    }
  })
})
