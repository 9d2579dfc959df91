import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type DocPage, settingsPages } from './fixtures/settings-docs.ts'
import { bearer, buildTestApp, dialects, makeUser, type TestContext, tokenFor } from './helpers.ts'

/*
 * The 17 documented settings of an API proxy, driven by the docs' own examples (read
 * from the reference folder): every example accepted and stored where the proxy read
 * shows it, every documented enum value accepted, wrong values refused with a 400
 * naming the field, and a PATCH changing only what it names.
 */

const MASK = '********'
const SECRETS = new Set(['secretKey', 'password', 'proxyPassword'])
// biome-ignore lint/suspicious/noExplicitAny: proxy reads are walked field by field
type Json = Record<string, any>

/** Where a proxy read shows what each setting stored. */
const SECTION: Record<string, string> = {
  'keys/': 'apiKeys',
  'cache/': 'cache',
  'circuit-breaker/': 'circuitBreaker',
  'connection/': 'connection',
  'cors/': 'cors',
  'forwarded-ip-header/': 'forwardedIpHeader',
  'json-error-template/': 'jsonErrorTemplate',
  'xml-error-template/': 'xmlErrorTemplate',
  'mtls/': 'mtls',
  'ntlm/': 'ntlm',
  'proxy-server/': 'proxyServer',
  'traffic-log/': 'trafficLog',
}

function expectStored(setting: string, body: Json, proxy: Json): void {
  for (const [field, value] of Object.entries(body)) {
    const at = `${setting} ${field}`
    if (SECTION[setting]) {
      const stored = proxy.settings[SECTION[setting] as string][field]
      if (SECRETS.has(field)) expect(stored, at).toBe(MASK)
      else expect(stored, at).toEqual(value)
    } else if (setting === 'client-route/') {
      const key = field === 'hostList' ? 'virtualHostList' : field
      expect(proxy.clientRoute[key], at).toEqual(value ?? [])
    } else if (setting === 'addresses/') {
      expect(proxy.routing.routingAddressList, at).toMatchObject(value as Json[])
    } else if (setting === 'routing-status/') {
      expect(proxy.routing[field], at).toBe(value)
    } else if (setting === 'metadata/') {
      expect(proxy[field], at).toEqual(value)
    } else {
      throw new Error(`no check for ${setting}`)
    }
  }
}

describe.each(dialects())('API proxy settings (%s)', (dialect) => {
  let ctx: TestContext
  let admin: string
  let dev: string
  let plain: string
  const pages = settingsPages()

  beforeAll(async () => {
    ctx = await buildTestApp(dialect)
    admin = (await tokenFor(ctx, (await makeUser(ctx, 'root', ['ROLE_ADMIN'])).id)).token
    dev = (await tokenFor(ctx, (await makeUser(ctx, 'dev', ['ROLE_MANAGE_PROXIES'])).id)).token
    plain = (await tokenFor(ctx, (await makeUser(ctx, 'viewer', [])).id)).token
    const setup = [
      ['POST', '/apiops/projects/', { name: 'MyProject' }],
      ['POST', '/apiops/projects/MyProject/members/', { username: 'dev' }],
      ['POST', '/apiops/projects/MyProject/members/', { username: 'viewer' }],
      [
        'POST',
        '/apiops/environments/',
        {
          name: 'production',
          type: 'PRODUCTION',
          accessUrl: 'https://p.example',
          projects: ['MyProject'],
        },
      ],
    ] as const
    for (const [method, url, payload] of setup) {
      const res = await ctx.app.inject({ method, url, headers: bearer(admin), payload })
      expect(res.statusCode, url).toBe(201)
    }
  })
  afterAll(async () => ctx?.close())

  const call = (method: string, url: string, payload?: unknown, token = dev) =>
    ctx.app.inject({
      method: method as 'PATCH',
      url,
      headers: bearer(token),
      payload: payload as Json,
    })
  const settingsUrl = (proxy: string, setting: string) =>
    `/apiops/projects/MyProject/apiProxies/${proxy}/settings/${setting}`
  const read = async (proxy: string): Promise<Json> => {
    const res = await call('GET', `/apiops/projects/MyProject/apiProxies/${proxy}/`)
    expect(res.statusCode).toBe(200)
    return res.json()
  }
  const create = async (name: string) => {
    const res = await call('POST', '/apiops/projects/MyProject/apiProxies/url/', {
      apiProxyName: name,
      apiProxyCreationType: 'REVERSE_PROXY',
      clientRoute: { relativePathList: [`/${name}`] },
      routingInfo: { routingAddressList: [{ address: 'https://backend.example.com' }] },
    })
    expect(res.statusCode, res.body).toBe(200)
  }
  const patch = (proxy: string, setting: string, body: unknown) =>
    call('PATCH', settingsUrl(proxy, setting), body)
  const refused = async (proxy: string, setting: string, body: unknown, message: RegExp) => {
    const res = await patch(proxy, setting, body)
    expect(res.statusCode, res.body).toBe(400)
    expect(res.json().error_description).toMatch(message)
  }

  it('reads all 17 documented settings pages, each a PATCH with examples', () => {
    expect(pages).toHaveLength(17)
    for (const page of pages) {
      expect(page.method, page.file).toBe('PATCH')
      if (page.setting.startsWith('hide-spec-file')) continue
      expect(page.examples.length, page.file).toBeGreaterThan(0)
    }
  })

  it.each(
    settingsPages()
      .filter((p) => !p.setting.startsWith('hide-spec-file'))
      .map((p) => [p.file, p] as [string, DocPage]),
  )('accepts and stores every example of %s', async (_file, page) => {
    let proxy = `p-${page.setting.replace(/\W/g, '')}`
    await create(proxy)
    for (const body of [...page.examples, ...page.curlExamples] as Json[]) {
      // apiops names are path segments: no spaces (the metadata page's examples have some).
      if (typeof body.name === 'string' && page.setting === 'metadata/' && / /.test(body.name)) {
        await refused(proxy, page.setting, body, /^Validation failed: name must not contain spaces/)
        const renamed = { ...body, name: body.name.replace(/ /g, '-') }
        expect((await patch(proxy, page.setting, renamed)).statusCode).toBe(200)
        proxy = renamed.name
        expectStored(page.setting, renamed, await read(proxy))
        continue
      }
      // The CORS page's example sends * with credentials, which its own note forbids.
      if (
        page.setting === 'cors/' &&
        body.allowCredentials === 'true' &&
        body.allowOriginList?.includes('*')
      ) {
        await refused(proxy, page.setting, body, /allowOriginList must list the allowed origins/)
        continue
      }
      const res = await patch(proxy, page.setting, body)
      expect(res.statusCode, `${page.file}: ${res.body}`).toBe(200)
      expect(res.json()).toMatchObject({ success: true })
      expectStored(page.setting, body, await read(proxy))
    }
  })

  it('hides and shows the spec file through the path, with no body', async () => {
    await create('hide')
    expect((await read('hide')).settings.hideSpecFile).toBe(false)
    expect((await call('PATCH', settingsUrl('hide', 'hide-spec-file/true/'))).statusCode).toBe(200)
    expect((await read('hide')).settings.hideSpecFile).toBe(true)
    expect((await call('PATCH', settingsUrl('hide', 'hide-spec-file/false/'))).statusCode).toBe(200)
    expect((await read('hide')).settings.hideSpecFile).toBe(false)
    const bad = await call('PATCH', settingsUrl('hide', 'hide-spec-file/yes/'))
    expect(bad.statusCode).toBe(400)
    expect(bad.json().error_description).toMatch(/hideSpecFile/)
  })

  const ENUMS: [string, string, string[], (v: string) => Json][] = [
    [
      'client-route/',
      'methodList',
      ['GET', 'POST', 'PUT', 'HEAD', 'OPTIONS', 'DELETE', 'PATCH', 'TRACE', 'ALL'],
      (v) => ({ methodList: [v] }),
    ],
    [
      'metadata/',
      'sharingType',
      ['BOTH', 'NONE', 'EXTERNAL', 'INTERNAL'],
      (v) => ({ sharingType: v }),
    ],
    [
      'addresses/',
      'soapType',
      ['SOAP11', 'SOAP12'],
      (v) => ({ routingAddressList: [{ address: 'https://b.example', soapType: v }] }),
    ],
    [
      'cache/',
      'cacheKeyType',
      ['QUERY_PARAMS', 'CUSTOM'],
      (v) => ({
        name: 'c',
        handlingAction: 'STOP',
        cacheKeyType: v,
        variableList: [{ name: 'id', type: 'HEADER' }],
      }),
    ],
    [
      'cache/',
      'cacheStorageType',
      ['LOCAL', 'DISTRIBUTED'],
      (v) => ({ name: 'c', handlingAction: 'STOP', cacheStorageType: v }),
    ],
    ['cache/', 'handlingAction', ['CONTINUE', 'STOP'], (v) => ({ name: 'c', handlingAction: v })],
    [
      'cache/',
      'type',
      ['HEADER', 'PARAMETER', 'BODY', 'CONTEXT_VALUES', 'CUSTOM'],
      (v) => ({ name: 'c', handlingAction: 'STOP', variableList: [{ name: 'x', type: v }] }),
    ],
    [
      'cache/',
      'dataType',
      ['NUMERIC', 'STRING', 'DATE'],
      (v) => ({
        name: 'c',
        handlingAction: 'STOP',
        variableList: [{ name: 'x', type: 'HEADER', dataType: v }],
      }),
    ],
    [
      'circuit-breaker/',
      'enumErrorThresholdType',
      ['COUNT', 'PERCENT'],
      (v) => ({ enumErrorThresholdType: v, errorThresholdValue: 50 }),
    ],
    [
      'connection/',
      'connectionPoolManagementType',
      ['GENERAL', 'CUSTOM', 'NONE'],
      (v) => ({ connectionPoolManagementType: v, customConnectionPoolSize: 8 }),
    ],
    [
      'cors/',
      'allowMethodList',
      ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'TRACE', 'ALL'],
      (v) => ({ name: 'c', allowMethodList: [v] }),
    ],
    [
      'cors/',
      'allowCredentials',
      ['true', 'false'],
      (v) => ({ name: 'c', allowOriginList: ['https://a.example'], allowCredentials: v }),
    ],
    [
      'forwarded-ip-header/',
      'xffOrder',
      ['FIRST', 'SECOND', 'THIRD', 'FOURTH', 'FIFTH', 'LAST'],
      (v) => ({ xffOrder: v }),
    ],
    [
      'mtls/',
      'supportedProtocolList',
      ['TLS_1_3', 'TLS_1_2', 'TLS_1_1', 'TLS_1_0', 'SSL_3_0'],
      (v) => ({ supportedProtocolList: [v] }),
    ],
    [
      'mtls/',
      'hostnameVerifierType',
      ['NOOP', 'DEFAULT', 'STRICT', 'BROWSER_COMPAT'],
      (v) => ({ hostnameVerifierType: v }),
    ],
  ]

  it.each(ENUMS)(
    'accepts every documented %s %s value, and refuses another',
    async (setting, field, values, body) => {
      const proxy = `enum-${setting.replace(/\W/g, '')}-${field}`.toLowerCase()
      await create(proxy)
      for (const value of values) {
        const res = await patch(proxy, setting, body(value))
        expect(res.statusCode, `${field}=${value}: ${res.body}`).toBe(200)
      }
      const res = await patch(proxy, setting, body('BOGUS'))
      expect(res.statusCode).toBe(400)
      expect(res.json().error_description).toMatch(
        new RegExp(`${field}(\\.0)? must be equal to one of the allowed values`),
      )
    },
  )

  it('refuses bad values with a 400 that names the field', async () => {
    await create('bad')
    await refused(
      'bad',
      'client-route/',
      { relativePathList: ['/'] },
      /relativePathList\.0 must NOT have fewer than 2 characters/,
    )
    await refused(
      'bad',
      'client-route/',
      { relativePathList: null, methodList: [], hostList: null, headerList: null },
      /at least one valid route configuration/,
    )
    await refused(
      'bad',
      'client-route/',
      { headerList: [{ name: 'X Bad', value: 'v' }] },
      /headerList\.0\.name must be an HTTP header name/,
    )
    await refused(
      'bad',
      'addresses/',
      { routingAddressList: [{ address: 'ftp://x' }] },
      /routingAddressList\.0\.address must be an http/,
    )
    await refused(
      'bad',
      'addresses/',
      { routingAddressList: [{ address: '${BASE' }] },
      /routingAddressList\.0\.address/,
    )
    await refused(
      'bad',
      'addresses/',
      { routingAddressList: [{ address: 'https://x', weight: 5000 }] },
      /weight must be <= 1000/,
    )
    await refused('bad', 'addresses/', {}, /routingAddressList/)
    await refused('bad', 'routing-status/', {}, /must NOT have fewer than 1 properties/)
    await refused(
      'bad',
      'routing-status/',
      { routingEnabled: 'yes' },
      /routingEnabled must be boolean/,
    )
    await refused('bad', 'metadata/', {}, /must NOT have fewer than 1 properties/)
    await refused('bad', 'keys/', {}, /must NOT have fewer than 1 properties/)
    await refused('bad', 'keys/', { publicKey: '   ' }, /publicKey must not be blank/)
    await refused('bad', 'cache/', { name: 'c' }, /^Validation failed: handlingAction is required$/)
    await refused(
      'bad',
      'cache/',
      { name: 'c', handlingAction: 'STOP', cacheKeyType: 'CUSTOM' },
      /variableList must name at least one variable/,
    )
    await refused(
      'bad',
      'cache/',
      { name: 'c', handlingAction: 'STOP', ttl: 0 },
      /ttl must be >= 1/,
    )
    await refused(
      'bad',
      'circuit-breaker/',
      { enumErrorThresholdType: 'PERCENT', errorThresholdValue: 150 },
      /errorThresholdValue must be at most 100/,
    )
    await refused(
      'bad',
      'connection/',
      { connectionPoolManagementType: 'CUSTOM' },
      /customConnectionPoolSize is required/,
    )
    await refused('bad', 'connection/', { connectTimeout: -1 }, /connectTimeout must be >= 0/)
    await refused(
      'bad',
      'cors/',
      { name: 'c', allowOriginList: ['*'], allowCredentials: 'true' },
      /allowOriginList must list the allowed origins/,
    )
    await refused(
      'bad',
      'cors/',
      { name: 'c', allowCredentials: true },
      /allowCredentials must be string/,
    )
    await refused(
      'bad',
      'forwarded-ip-header/',
      { value: 'X Forwarded' },
      /value must be an HTTP header name/,
    )
    await refused(
      'bad',
      'json-error-template/',
      { contentType: 'json' },
      /contentType must be a media type/,
    )
    await refused('bad', 'mtls/', { enabled: true }, /keyStoreId is required when enabled is true/)
    await refused(
      'bad',
      'ntlm/',
      { enabled: true, domain: 'D', username: 'u' },
      /password is required when enabled is true/,
    )
    await refused('bad', 'proxy-server/', { proxyEnabled: true }, /proxyHost is required/)
    await refused('bad', 'proxy-server/', { proxyPort: 70000 }, /proxyPort must be <= 65535/)
    await refused(
      'bad',
      'traffic-log/',
      { apiProxyTrafficLogSettingsList: [{ environmentName: 'a' }, { environmentName: 'a' }] },
      /apiProxyTrafficLogSettingsList\.1\.environmentName names environment 'a' a second time/,
    )
    await refused(
      'bad',
      'cors/',
      { name: 'c', surprise: 1 },
      /^Validation failed: surprise is not a/,
    )
    expect((await read('bad')).revision).toBe(1)
  })

  it('takes environment variable references in routing addresses, as the create body does', async () => {
    await create('refs')
    // biome-ignore lint/suspicious/noTemplateCurlyInString: an environment variable reference
    const address = '${API_BASE}/orders'
    const body = { routingAddressList: [{ address, weight: 10 }] }
    expect((await patch('refs', 'addresses/', body)).statusCode).toBe(200)
    expect((await read('refs')).routing.routingAddressList).toEqual([
      { address, weight: 10, healthCheckEnabled: false },
    ])
  })

  it('changes only what the body names', async () => {
    await create('only')
    const cors = {
      name: 'CORS',
      corsActive: true,
      allowOriginList: ['https://a.example'],
      maxAge: 60,
    }
    expect((await patch('only', 'cors/', cors)).statusCode).toBe(200)
    expect(
      (await patch('only', 'connection/', { connectTimeout: 5, retryCount: 2 })).statusCode,
    ).toBe(200)
    const before = await read('only')
    expect((await patch('only', 'cors/', { name: 'CORS', corsActive: false })).statusCode).toBe(200)
    expect((await patch('only', 'connection/', { retryCount: 4 })).statusCode).toBe(200)
    expect((await patch('only', 'routing-status/', { mirrorEnabled: true })).statusCode).toBe(200)
    const after = await read('only')
    expect(after.settings.cors).toEqual({ ...before.settings.cors, corsActive: false })
    expect(after.settings.connection).toEqual({ ...before.settings.connection, retryCount: 4 })
    expect(after.routing).toEqual({ ...before.routing, mirrorEnabled: true })
    const { cors: _a, connection: _b, ...restAfter } = after.settings
    const { cors: _c, connection: _d, ...restBefore } = before.settings
    expect(restAfter).toEqual(restBefore)
    expect(after.clientRoute).toEqual(before.clientRoute)
    expect(after.revision).toBe(before.revision + 3)
  })

  it('renames through metadata: the old name is gone, a taken name is refused', async () => {
    await create('old-name')
    await create('taken')
    const clash = await patch('old-name', 'metadata/', { name: 'taken' })
    expect(clash.statusCode).toBe(409)
    expect(clash.json().error_description).toBe(
      "API proxy 'taken' in project 'MyProject' already exists.",
    )
    expect(
      (await patch('old-name', 'metadata/', { name: 'new-name', categoryList: ['A'] })).statusCode,
    ).toBe(200)
    expect((await call('GET', '/apiops/projects/MyProject/apiProxies/old-name/')).statusCode).toBe(
      404,
    )
    expect(await read('new-name')).toMatchObject({
      name: 'new-name',
      categoryList: ['A'],
      sharingType: 'NONE',
    })
  })

  it('refuses a path another proxy uses, and callers without ROLE_MANAGE_PROXIES', async () => {
    await create('route-a')
    await create('route-b')
    const res = await patch('route-b', 'client-route/', { relativePathList: ['/route-a'] })
    expect(res.statusCode).toBe(409)
    const viewer = await call('PATCH', settingsUrl('route-b', 'cors/'), { name: 'c' }, plain)
    expect(viewer.statusCode).toBe(403)
    const missing = await patch('nope', 'cors/', { name: 'c', handlingAction: 'STOP' })
    expect(missing.statusCode).toBe(400)
    const absent = await patch('nope', 'routing-status/', { routingEnabled: false })
    expect(absent.statusCode).toBe(404)
  })

  it('moves a proxy to a new path: the list shows it, and the old path is free again', async () => {
    await create('mover')
    expect(
      (await patch('mover', 'client-route/', { relativePathList: ['/moved'] })).statusCode,
    ).toBe(200)
    const list = await call('GET', '/apiops/projects/MyProject/apiProxies/?size=100')
    const entry = list.json().resultList.find((p: Json) => p.name === 'mover')
    expect(entry.relativePath).toBe('/moved')
    await create('taker')
    const take = await patch('taker', 'client-route/', { relativePathList: ['/mover'] })
    expect(take.statusCode, take.body).toBe(200)
    const clash = await patch('taker', 'client-route/', { relativePathList: ['/moved'] })
    expect(clash.statusCode).toBe(409)
    expect(clash.json().error_description).toBe(
      "Relative path '/moved' is already used by API proxy 'mover'.",
    )
  })

  it('bumps the revision of a deployed proxy so its deployment reports redeployRequired', async () => {
    await create('deployed')
    const deploy = () =>
      call(
        'POST',
        '/apiops/projects/MyProject/apiProxies/deployed/environments/production/',
        undefined,
        admin,
      )
    expect((await deploy()).statusCode).toBe(200)
    const before = await read('deployed')
    expect(before.deploymentList[0]).toMatchObject({
      environmentName: 'production',
      redeployRequired: false,
    })
    expect(
      (await patch('deployed', 'circuit-breaker/', { circuitBreakerEnabled: true })).statusCode,
    ).toBe(200)
    const after = await read('deployed')
    expect(after.revision).toBe(before.revision + 1)
    expect(after.deploymentList[0]).toMatchObject({ deployed: true, redeployRequired: true })
    expect((await call('PATCH', settingsUrl('deployed', 'hide-spec-file/true/'))).statusCode).toBe(
      200,
    )
    expect((await read('deployed')).revision).toBe(before.revision + 2)
    expect((await deploy()).statusCode).toBe(200)
    expect((await read('deployed')).deploymentList[0].redeployRequired).toBe(false)
  })
})
