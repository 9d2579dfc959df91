import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadSettings } from '../src/resources/proxies/settings/settings.store.ts'
import { keptRecord, trafficKeep } from '../src/traffic/traffic.keep.ts'
import { TrafficRecorder } from '../src/traffic/traffic.recorder.ts'
import { trafficRecord } from './fixtures/traffic.ts'
import { bearer, buildTestApp, dialects, makeUser, type TestContext, tokenFor } from './helpers.ts'

/*
 * The reports: the two documented ones (what exists, who may call shared proxies) and the
 * two traffic reports, over traffic written through the recorder at known times.
 */

const NOW = '2026-01-15T10:00:00.000Z'
const minutesAgo = (m: number, ms = 0) => new Date(Date.parse(NOW) - m * 60_000 + ms).toISOString()
// biome-ignore lint/suspicious/noExplicitAny: answers are read field by field
type Json = Record<string, any>

describe.each(dialects())('reports (%s)', (dialect) => {
  let ctx: TestContext
  let admin: string
  let member: string
  let outsider: string
  const get = async (url: string, token = admin) => {
    const res = await ctx.app.inject({ url, headers: bearer(token) })
    return { status: res.statusCode, body: res.json() as Json }
  }
  const call = async (method: string, url: string, payload: unknown) => {
    const res = await ctx.app.inject({
      method: method as 'POST',
      url,
      headers: bearer(admin),
      payload: payload as Json,
    })
    expect(res.statusCode, `${method} ${url}: ${res.body}`).toBeLessThan(300)
    return res.json() as Json
  }

  beforeAll(async () => {
    ctx = await buildTestApp(dialect)
    admin = (await tokenFor(ctx, (await makeUser(ctx, 'root', ['ROLE_ADMIN'])).id)).token
    member = (await tokenFor(ctx, (await makeUser(ctx, 'member', [])).id)).token
    outsider = (await tokenFor(ctx, (await makeUser(ctx, 'outsider', ['ROLE_MANAGE_PROXIES'])).id))
      .token
    await call('POST', '/apiops/projects/', { name: 'P' })
    await call('POST', '/apiops/projects/P/members/', { username: 'member' })
    for (const name of ['production', 'staging']) {
      await call('POST', '/apiops/environments/', {
        name,
        type: name === 'production' ? 'PRODUCTION' : 'TEST',
        accessUrl: `https://${name}.example`,
        projects: ['P'],
      })
    }
    for (const name of ['orders', 'quiet']) {
      await call('POST', '/apiops/projects/P/apiProxies/url/', {
        apiProxyName: name,
        apiProxyCreationType: 'REVERSE_PROXY',
        clientRoute: { relativePathList: [`/${name}`] },
        routingInfo: { routingAddressList: [{ address: 'https://backend.example.com' }] },
      })
    }
    await call('POST', '/apiops/projects/P/apiProxies/orders/endpoints/', {
      name: '/orders/{id}',
      httpMethod: 'GET',
      backendResourceUrl: '/orders/{id}',
      backendHttpMethod: 'GET',
    })
    await call('PATCH', '/apiops/projects/P/apiProxies/orders/settings/metadata/', {
      sharingType: 'EXTERNAL',
    })
    await call('POST', '/apiops/projects/P/credentials/', {
      username: 'partner',
      email: 'partner@example.com',
      fullName: 'A partner',
      password: 'long enough pw',
    })
    await call('PUT', '/apiops/projects/P/credentials/partner/access/', {
      credentialAccessList: [{ name: 'orders', type: 'API_PROXY' }],
    })
    await call('POST', '/apiops/projects/P/apiProxies/quiet/environments/staging/', {})
    await seedTraffic()
  })
  afterAll(async () => ctx?.close())

  async function seedTraffic(): Promise<void> {
    const project = await ctx.store.db
      .selectFrom('projects')
      .select('id')
      .where('name', '=', 'P')
      .executeTakeFirstOrThrow()
    const proxy = await ctx.store.db
      .selectFrom('api_proxies')
      .select('id')
      .where('name', '=', 'orders')
      .executeTakeFirstOrThrow()
    const envs = await ctx.store.db.selectFrom('environments').select(['id', 'name']).execute()
    const env = (name: string) => {
      const e = envs.find((x) => x.name === name) as { id: string; name: string }
      return { environmentId: e.id, environmentName: e.name }
    }
    const ids = { projectId: project.id, proxyId: proxy.id, proxyName: 'orders' }
    const recorder = new TrafficRecorder(ctx.store.db, ctx.clock, { flushEveryMs: 3_600_000 })
    // Production, the last 5 minutes: 20 requests of 1..20 ms; one 404, one failed 502.
    for (let i = 1; i <= 20; i++) {
      const status = i === 7 ? 404 : i === 13 ? 502 : 200
      recorder.record(
        trafficRecord(0, {
          ...ids,
          ...env('production'),
          time: minutesAgo(4, i),
          totalMs: i,
          status,
          error: status === 502 ? 'upstream_refused' : null,
          credential: i <= 5 ? 'partner' : null,
        }),
      )
    }
    // Staging, the last 5 minutes: 3 requests.
    for (let i = 1; i <= 3; i++) {
      recorder.record(
        trafficRecord(0, { ...ids, ...env('staging'), time: minutesAgo(2, i), totalMs: 100 * i }),
      )
    }
    // Production, two hours ago: 5 requests.
    for (let i = 1; i <= 5; i++) {
      recorder.record(
        trafficRecord(0, { ...ids, ...env('production'), time: minutesAgo(120, i), totalMs: 50 }),
      )
    }
    await recorder.close()
    expect(recorder.written).toBe(28)
  }

  const TRAFFIC = '/apiops/projects/P/apiProxies/orders/traffic/'

  it("answers a proxy's traffic per environment over the last five minutes by default", async () => {
    const { status, body } = await get(TRAFFIC, member)
    expect(status).toBe(200)
    expect(body.result).toMatchObject({
      apiProxyName: 'orders',
      projectName: 'P',
      from: minutesAgo(5),
      to: NOW,
    })
    const [production, staging] = body.result.environmentList
    expect(production).toMatchObject({
      environmentName: 'production',
      requestCount: 20,
      errorCount: 1,
      clientErrorCount: 1,
      avgMs: 10.5,
      maxMs: 20,
      // Nearest rank: the 19th of 20.
      p95Ms: 19,
      requestRate: Math.round((20 / 300) * 10_000) / 10_000,
      errorRate: 0.05,
      bytesIn: 200,
      bytesOut: 4000,
    })
    expect(staging).toMatchObject({ environmentName: 'staging', requestCount: 3, p95Ms: 300 })
  })

  it('lists the environments a proxy is deployed to even without traffic', async () => {
    const { body } = await get('/apiops/projects/P/apiProxies/quiet/traffic/', member)
    expect(body.result.environmentList).toEqual([
      expect.objectContaining({ environmentName: 'staging', requestCount: 0, p95Ms: null }),
    ])
  })

  it('takes a time range', async () => {
    const { body } = await get(`${TRAFFIC}?from=${minutesAgo(180)}&to=${NOW}`)
    expect(body.result.environmentList[0]).toMatchObject({ requestCount: 25 })
    const past = await get(`${TRAFFIC}?from=${minutesAgo(180)}&to=${minutesAgo(60)}`)
    expect(past.body.result.environmentList).toEqual([
      // orders is deployed nowhere: only the environment that served it then is listed.
      expect.objectContaining({ environmentName: 'production', requestCount: 5, avgMs: 50 }),
    ])
  })

  it.each([
    ['from=yesterday', 'from'],
    [`from=${NOW}&to=${minutesAgo(1)}`, 'to'],
    [`from=${NOW}&to=${NOW}`, 'to'],
    [`from=2025-11-01T00:00:00Z&to=${NOW}`, 'from'],
    ['since=5m', 'since'],
  ])('refuses ?%s with a 400 naming %s', async (query, field) => {
    const { status, body } = await get(`${TRAFFIC}?${query}`)
    expect(status).toBe(400)
    expect(body.error).toBe('validation_failed')
    expect(body.error_description).toContain(field)
  })

  it('hides another project and an unknown proxy (404)', async () => {
    expect((await get(TRAFFIC, outsider)).status).toBe(404)
    expect((await get('/apiops/projects/P/apiProxies/nope/traffic/')).status).toBe(404)
  })

  it("groups everyone's traffic for administrators", async () => {
    const byStatus = await get(`/apiops/reports/traffic?groupBy=status`)
    expect(byStatus.status).toBe(200)
    expect(byStatus.body).toMatchObject({ from: minutesAgo(24 * 60), to: NOW, groupBy: 'status' })
    expect(byStatus.body.resultList.map((r: Json) => [r.statusCode, r.requestCount])).toEqual([
      [200, 26],
      [404, 1],
      [502, 1],
    ])
    const byEnvironment = await get(
      `/apiops/reports/traffic?groupBy=environment&from=${minutesAgo(60)}`,
    )
    expect(
      byEnvironment.body.resultList.map((r: Json) => [r.environmentName, r.requestCount]),
    ).toEqual([
      ['production', 20],
      ['staging', 3],
    ])
    const byProxy = await get('/apiops/reports/traffic?projectName=P&environmentName=staging')
    expect(byProxy.body.resultList).toEqual([
      expect.objectContaining({ apiProxyName: 'orders', requestCount: 3, maxMs: 300 }),
    ])
    const byCredential = await get('/apiops/reports/traffic?groupBy=credential')
    expect(byCredential.body.resultList.map((r: Json) => [r.credential, r.requestCount])).toEqual([
      [null, 23],
      ['partner', 5],
    ])
    const byEndpoint = await get('/apiops/reports/traffic?groupBy=endpoint')
    expect(byEndpoint.body.resultList[0]).toMatchObject({ endpoint: 'GET /orders/{id}' })
  })

  it('refuses bad report parameters precisely', async () => {
    const bogus = await get('/apiops/reports/traffic?groupBy=country')
    expect(bogus.status).toBe(400)
    expect(bogus.body.error_description).toContain('groupBy')
    const unknown = await get('/apiops/reports/traffic?projectName=Nope')
    expect(unknown.status).toBe(404)
    const long = await get(`/apiops/reports/traffic?from=2025-01-01T00:00:00Z`)
    expect(long.status).toBe(400)
    expect(long.body.error_description).toContain('at most 31 days')
    expect((await get('/apiops/reports/traffic', member)).status).toBe(403)
  })

  it('reports every proxy and group, endpoints on request (documented)', async () => {
    const plain = await get('/apiops/reports/api-proxies')
    expect(plain.status).toBe(200)
    expect(plain.body).toMatchObject({ success: true, resultCount: 2 })
    expect(plain.body.resultList[0]).toMatchObject({
      name: 'orders',
      type: 'REST',
      projectName: 'P',
    })
    expect(plain.body.resultList[0].endpoints).toBeUndefined()
    const full = await get('/apiops/reports/api-proxies?includeEndpoints=true')
    expect(full.body.resultList[0].endpoints).toEqual([
      expect.objectContaining({ name: 'GET /orders/{id}', method: 'GET', path: '/orders/{id}' }),
    ])
    expect(full.body.resultList[1].endpoints).toEqual([])
    expect((await get('/apiops/reports/api-proxies?includeEndpoints=maybe')).status).toBe(400)
    expect((await get('/apiops/reports/api-proxies', member)).status).toBe(403)
  })

  it('reports proxies shared outside and who may call them (documented)', async () => {
    const { status, body } = await get('/apiops/reports/organization-api-data-model-access')
    expect(status).toBe(200)
    expect(body.result).toEqual({
      apiProxyList: [
        {
          apiProxyName: 'orders',
          projectName: 'P',
          sharingType: 'EXTERNAL',
          accessList: [expect.objectContaining({ credentialUsername: 'partner', viaGroup: null })],
        },
      ],
      dataModelList: [],
    })
  })

  it("gives the gateway what a proxy's traffic-log setting keeps, per environment", async () => {
    await call('PATCH', '/apiops/projects/P/apiProxies/orders/settings/traffic-log/', {
      enabledTraceLog: true,
      apiProxyTrafficLogSettingsList: [
        {
          environmentName: 'production',
          logHeaderRequestFromClient: false,
          logBodyResponseToClient: false,
          enableKafkaConnector: true,
        },
      ],
    })
    const proxy = await ctx.store.db
      .selectFrom('api_proxies')
      .select('id')
      .where('name', '=', 'orders')
      .executeTakeFirstOrThrow()
    const stored = (await loadSettings(ctx.store.db, proxy.id)).trafficLog
    const production = trafficKeep(stored, 'production')
    expect(production).toMatchObject({
      row: true,
      credential: false,
      connectors: ['kafka'],
      traceLog: true,
      applicationLog: false,
    })
    expect(production.parts).toMatchObject({
      logHeaderRequestFromClient: false,
      logBodyResponseToClient: false,
      logBodyRequestFromClient: true,
    })
    const record = trafficRecord(1, { credential: 'partner' })
    expect(keptRecord(record, production).credential).toBeNull()
    // No entry for staging: the documented defaults (every part, no connector).
    const staging = trafficKeep(stored, 'staging')
    expect(staging.credential).toBe(true)
    expect(Object.values(staging.parts).every(Boolean)).toBe(true)
    expect(staging.connectors).toEqual([])
    expect(keptRecord(record, staging)).toBe(record)
    expect(trafficKeep(undefined, 'production').traceLog).toBe(false)
  })
})
