import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bodyExamples, DOCS_ROOT, readPage } from './fixtures/settings-docs.ts'
import { upload, wsdlFixture } from './fixtures/spec-upload.ts'
import { bearer, buildTestApp, dialects, makeUser, type TestContext, tokenFor } from './helpers.ts'

/*
 * A proxy's endpoints at the documented paths: every page's examples (read from the
 * reference folder) accepted as written, the documented answer fields, the errors,
 * and the revision bump that makes a deployed proxy report redeployRequired.
 */

// biome-ignore lint/suspicious/noExplicitAny: answers are walked field by field
type Json = Record<string, any>

const PAGES = join(DOCS_ROOT, 'endpoints')
/**
 * The page's "Full JSON Body Example" blocks, then the bodies of its cURL examples, each
 * once (a cURL example often repeats the full example).
 */
function examplesOf(file: string): { method: string; path: string; bodies: Json[] } {
  const { text, method, path } = readPage(join(PAGES, file))
  const curl = [...text.matchAll(/-d '(\{[\s\S]*?\})'/g)].map((m) => JSON.parse(m[1] as string))
  const unique = new Map([...bodyExamples(text), ...curl].map((b) => [JSON.stringify(b), b]))
  return { method, path, bodies: [...unique.values()] as Json[] }
}
const DOCUMENTED_FIELDS = [
  'id',
  'endpoint',
  'description',
  'active',
  'httpMethod',
  'backendResourceUrl',
  'backendHttpMethod',
]

describe.each(dialects())('API proxy endpoints (%s)', (dialect) => {
  let ctx: TestContext
  let admin: string
  let dev: string
  let viewer: string
  let deployer: string

  beforeAll(async () => {
    ctx = await buildTestApp(dialect)
    admin = (await tokenFor(ctx, (await makeUser(ctx, 'root', ['ROLE_ADMIN'])).id)).token
    dev = (await tokenFor(ctx, (await makeUser(ctx, 'dev', ['ROLE_MANAGE_PROXIES'])).id)).token
    viewer = (await tokenFor(ctx, (await makeUser(ctx, 'viewer', [])).id)).token
    deployer = (
      await tokenFor(ctx, (await makeUser(ctx, 'ops', ['ROLE_DEPLOY_UNDEPLOY_PROXIES'])).id)
    ).token
    const setup: [string, Json][] = [
      ['/apiops/projects/', { name: 'MyProject' }],
      ['/apiops/projects/MyProject/members/', { username: 'dev' }],
      ['/apiops/projects/MyProject/members/', { username: 'viewer' }],
      ['/apiops/projects/MyProject/members/', { username: 'ops' }],
      [
        '/apiops/environments/',
        {
          name: 'production',
          type: 'PRODUCTION',
          accessUrl: 'https://p.example',
          projects: ['MyProject'],
        },
      ],
    ]
    for (const [url, payload] of setup) {
      const res = await ctx.app.inject({ method: 'POST', url, headers: bearer(admin), payload })
      expect(res.statusCode, url).toBe(201)
    }
    await restProxy('MyAPI')
    const soap = await ctx.app.inject({
      method: 'POST',
      url: '/apiops/projects/MyProject/apiProxies/file/',
      ...withForm(
        upload(
          {
            apiProxyName: 'orders-soap',
            apiProxyCreationType: 'WSDL',
            clientRoute: { relativePathList: ['/orders-soap'] },
          },
          { name: 'orders.wsdl', bytes: wsdlFixture('orders.wsdl') },
        ),
      ),
    })
    expect(soap.statusCode, soap.body).toBe(200)
  })
  afterAll(async () => ctx?.close())

  const withForm = (form: { headers: Record<string, string>; payload: Buffer }) => ({
    headers: { ...bearer(dev), ...form.headers },
    payload: form.payload,
  })
  const call = (method: string, url: string, payload?: unknown, token = dev) =>
    ctx.app.inject({
      method: method as 'POST',
      url,
      headers: bearer(token),
      payload: payload as Json,
    })
  const at = (proxy: string, path = '') =>
    `/apiops/projects/MyProject/apiProxies/${proxy}/endpoints/${path}`
  async function restProxy(name: string) {
    const res = await call('POST', '/apiops/projects/MyProject/apiProxies/url/', {
      apiProxyName: name,
      apiProxyCreationType: 'REVERSE_PROXY',
      clientRoute: { relativePathList: [`/${name}`] },
      routingInfo: { routingAddressList: [{ address: 'https://backend.example.com' }] },
    })
    expect(res.statusCode, res.body).toBe(200)
  }
  const details = (proxy: string, name: string, httpMethod: string, token = dev) =>
    call('POST', at(proxy, 'details/'), { name, httpMethod }, token)
  const ok = async (method: string, url: string, body: unknown) => {
    const res = await call(method, url, body)
    expect(res.statusCode, `${method} ${url} ${JSON.stringify(body)}: ${res.body}`).toBe(200)
    return res.json()
  }
  const readProxy = async (name: string) =>
    (await call('GET', `/apiops/projects/MyProject/apiProxies/${name}/`)).json()

  it('serves each documented page at its method and path', () => {
    const pages: [string, string, string][] = [
      ['list-endpoints.md', 'GET', ''],
      ['get-endpoint.md', 'POST', 'details/'],
      ['create-endpoint.md', 'POST', ''],
      ['update-endpoint.md', 'PATCH', ''],
      ['delete-endpoint.md', 'POST', 'delete/'],
      ['update-endpoint-status.md', 'PATCH', 'status/'],
      ['update-endpoint-cache.md', 'PATCH', 'cache/'],
      ['update-endpoint-wsa.md', 'PATCH', 'wsa/'],
      ['list-endpoint-policies.md', 'POST', 'policies/'],
    ]
    for (const [file, method, path] of pages) {
      const page = examplesOf(file)
      expect(page.method, file).toBe(method)
      expect(page.path, file).toBe(
        `/apiops/projects/{projectName}/apiProxies/{apiProxyName}/endpoints/${path}`,
      )
    }
  })

  it('accepts every documented example as written, and answers the documented fields', async () => {
    for (const body of examplesOf('create-endpoint.md').bodies) {
      expect(await ok('POST', at('MyAPI'), body)).toEqual({ status: 'SUCCESS', success: true })
    }
    const list = await ok('GET', at('MyAPI'), undefined)
    expect(list).toMatchObject({ success: true, resultCount: 3 })
    for (const entry of list.resultList) {
      for (const field of DOCUMENTED_FIELDS) expect(entry, field).toHaveProperty(field)
    }
    expect(list.resultList.map((e: Json) => `${e.httpMethod} ${e.endpoint}`)).toEqual([
      'GET /api/users',
      'POST /api/users',
      'POST /api/users/search',
    ])
    const search = list.resultList[2]
    expect(search).toMatchObject({
      endpoint: '/api/users/search',
      description: 'Search users',
      active: true,
      httpMethod: 'POST',
      backendResourceUrl: '/users/search',
      backendHttpMethod: 'GET',
      origin: 'manual',
    })
    const got = await ok('POST', at('MyAPI', 'details/'), examplesOf('get-endpoint.md').bodies[0])
    expect(got).toEqual(list.resultList[0])
    expect(got.description).toBe('Get all users')

    for (const body of examplesOf('update-endpoint.md').bodies) {
      await ok('PATCH', at('MyAPI'), body)
    }
    // Example 3, the last, leaves the description; the backend method stays from example 2.
    expect((await details('MyAPI', '/api/users', 'GET')).json()).toMatchObject({
      description: 'Updated endpoint',
      backendResourceUrl: '/users/v2',
      backendHttpMethod: 'GET',
      id: got.id,
    })

    for (const body of examplesOf('update-endpoint-status.md').bodies) {
      await ok('PATCH', at('MyAPI', 'status/'), body)
      const now = (await details('MyAPI', '/api/users', 'GET')).json()
      expect(now.active).toBe(body.active)
    }

    for (const body of examplesOf('update-endpoint-cache.md').bodies) {
      await ok('PATCH', at('MyAPI', 'cache/'), body)
      const now = (await details('MyAPI', '/api/users', 'GET')).json()
      expect(now.cacheSettings).toMatchObject(body.cacheSettings)
    }

    const policies = examplesOf('list-endpoint-policies.md').bodies[0]
    expect(await ok('POST', at('MyAPI', 'policies/'), policies)).toEqual({
      ...(await details('MyAPI', '/api/users', 'GET')).json(),
      requestPolicyList: [],
      responsePolicyList: [],
      errorPolicyList: [],
    })

    await ok('POST', at('MyAPI', 'delete/'), examplesOf('delete-endpoint.md').bodies[0])
    expect((await details('MyAPI', '/api/users', 'GET')).statusCode).toBe(404)
    expect((await ok('GET', at('MyAPI'), undefined)).resultCount).toBe(2)
  })

  it('takes the WSA examples on a SOAP endpoint (named as the WSDL names it)', async () => {
    const bodies = examplesOf('update-endpoint-wsa.md').bodies
    expect(bodies.length).toBeGreaterThanOrEqual(3)
    for (const body of bodies) {
      // The docs' "getUser" is their WSDL's operation; this proxy's WSDL has PlaceOrder.
      expect(body.identifierName).toBe('getUser')
      await ok('PATCH', at('orders-soap', 'wsa/'), { ...body, identifierName: '/PlaceOrder' })
      const now = (await details('orders-soap', '/PlaceOrder', 'POST')).json()
      expect(now.wsaSettings).toMatchObject(body.wsaSettings)
    }
    const spec = (await details('orders-soap', '/PlaceOrder', 'POST')).json()
    expect(spec).toMatchObject({
      origin: 'spec',
      operationId: 'PlaceOrder',
      soapAction: 'urn:example:orders/PlaceOrder',
      backendResourceUrl: '/PlaceOrder',
      backendHttpMethod: 'POST',
    })
  })

  it('the proxy read shows the same endpoints the list does', async () => {
    const list = await ok('GET', at('orders-soap'), undefined)
    expect((await readProxy('orders-soap')).endpoints).toEqual(list.resultList)
  })

  it('refuses bad bodies with a 400 naming the field', async () => {
    await restProxy('bad')
    const cases: [string, string, Json, RegExp][] = [
      [
        'POST',
        '',
        { name: '/x', httpMethod: 'FETCH', backendResourceUrl: '/x', backendHttpMethod: 'GET' },
        /httpMethod/,
      ],
      [
        'POST',
        '',
        { name: '/x', httpMethod: 'GET', backendHttpMethod: 'GET' },
        /backendResourceUrl/,
      ],
      [
        'POST',
        '',
        { httpMethod: 'GET', backendResourceUrl: '/x', backendHttpMethod: 'GET' },
        /name/,
      ],
      [
        'POST',
        '',
        { name: '/x', httpMethod: 'GET', backendResourceUrl: '/x', backendHttpMethod: 'get' },
        /backendHttpMethod/,
      ],
      ['POST', 'details/', { name: '/x' }, /httpMethod/],
      ['PATCH', 'status/', { identifierName: '/x', identifierHttpMethod: 'GET' }, /active/],
      [
        'PATCH',
        'cache/',
        { identifierName: '/x', identifierHttpMethod: 'GET', cacheSettings: { name: 'c' } },
        /handlingAction/,
      ],
      [
        'PATCH',
        'cache/',
        {
          identifierName: '/x',
          identifierHttpMethod: 'GET',
          cacheSettings: { name: 'c', handlingAction: 'STOP', cacheKeyType: 'CUSTOM' },
        },
        /variableList/,
      ],
    ]
    for (const [method, path, body, field] of cases) {
      const res = await call(method, at('bad', path), body)
      expect(res.statusCode, `${method} ${path} ${res.body}`).toBe(400)
      expect(res.json().error_description).toMatch(field)
    }
  })

  it('refuses a duplicate, SOAP creates and deletes, WSA on REST, unknown endpoints and proxies', async () => {
    await restProxy('errs')
    const body = {
      name: '/a',
      httpMethod: 'GET',
      backendResourceUrl: '/a',
      backendHttpMethod: 'GET',
    }
    await ok('POST', at('errs'), body)
    const dup = await call('POST', at('errs'), { ...body, backendResourceUrl: '/b' })
    expect(dup.statusCode).toBe(409)
    expect(dup.json()).toEqual({
      error: 'duplicate_name',
      error_description: "Endpoint GET /a in API proxy 'errs' already exists.",
    })
    // The same path with another method is another endpoint.
    await ok('POST', at('errs'), { ...body, httpMethod: 'ALL' })

    const soapCreate = await call('POST', at('orders-soap'), body)
    expect(soapCreate.statusCode).toBe(400)
    expect(soapCreate.json().error_description).toMatch(/SOAP proxy.*REST API proxies only/)
    const soapDelete = await call('POST', at('orders-soap', 'delete/'), {
      name: '/GetOrder',
      httpMethod: 'POST',
    })
    expect(soapDelete.statusCode).toBe(400)
    const wsa = await call('PATCH', at('errs', 'wsa/'), {
      identifierName: '/a',
      identifierHttpMethod: 'GET',
      wsaSettings: { wsaEnabled: false },
    })
    expect(wsa.statusCode).toBe(400)
    expect(wsa.json().error_description).toMatch(/SOAP API proxies only/)
    const halfWsa = await call('PATCH', at('orders-soap', 'wsa/'), {
      identifierName: '/GetOrder',
      identifierHttpMethod: 'POST',
      wsaSettings: { wsaEnabled: true, wsaAddDefaultAction: true, wsaAddDefaultTo: true },
    })
    expect(halfWsa.statusCode).toBe(400)
    expect(halfWsa.json().validation_errors).toEqual([
      {
        field: 'wsaSettings.wsaMessageId',
        message: 'is required when wsaEnabled is true and wsaGenerateMessageId is false',
      },
    ])

    const unknown = [
      ['POST', 'details/', { name: '/nope', httpMethod: 'GET' }],
      ['POST', 'policies/', { name: '/nope', httpMethod: 'GET' }],
      ['POST', 'delete/', { name: '/nope', httpMethod: 'GET' }],
      ['PATCH', '', { name: '/nope', httpMethod: 'GET', description: 'x' }],
      ['PATCH', 'status/', { identifierName: '/nope', identifierHttpMethod: 'GET', active: true }],
      [
        'PATCH',
        'cache/',
        {
          identifierName: '/nope',
          identifierHttpMethod: 'GET',
          cacheSettings: { name: 'c', handlingAction: 'STOP' },
        },
      ],
    ] as const
    for (const [method, path, payload] of unknown) {
      const res = await call(method, at('errs', path), payload)
      expect(res.statusCode, `${method} ${path}`).toBe(404)
      expect(res.json().error_description).toBe(
        "Endpoint GET /nope of API proxy 'errs' was not found.",
      )
    }
    const noProxy = await call('GET', at('ghost'))
    expect(noProxy.statusCode).toBe(404)
    expect(noProxy.json().error_description).toMatch(/API proxy 'ghost'/)
    expect((await call('POST', at('ghost'), body)).statusCode).toBe(404)
  })

  it('needs ROLE_MANAGE_PROXIES to read or change endpoints, as documented', async () => {
    for (const token of [viewer, deployer]) {
      expect((await call('GET', at('MyAPI'), undefined, token)).statusCode).toBe(403)
      expect((await details('MyAPI', '/api/users', 'POST', token)).statusCode).toBe(403)
      const create = await call(
        'POST',
        at('MyAPI'),
        { name: '/r', httpMethod: 'GET', backendResourceUrl: '/r', backendHttpMethod: 'GET' },
        token,
      )
      expect(create.statusCode).toBe(403)
      expect(create.json().error_description).toMatch(/ROLE_MANAGE_PROXIES/)
    }
    expect((await call('GET', at('MyAPI'), undefined, admin)).statusCode).toBe(200)
  })

  it('every change bumps the revision, so a deployed proxy reports redeployRequired', async () => {
    await restProxy('live')
    const deploy = () =>
      call(
        'POST',
        '/apiops/projects/MyProject/apiProxies/live/environments/production/',
        undefined,
        admin,
      )
    const key = { identifierName: '/live', identifierHttpMethod: 'GET' }
    const changes: [string, string, Json][] = [
      [
        'POST',
        '',
        { name: '/live', httpMethod: 'GET', backendResourceUrl: '/', backendHttpMethod: 'GET' },
      ],
      ['PATCH', '', { name: '/live', httpMethod: 'GET', description: 'now described' }],
      ['PATCH', 'status/', { ...key, active: false }],
      ['PATCH', 'cache/', { ...key, cacheSettings: { name: 'c', handlingAction: 'STOP' } }],
      ['POST', 'delete/', { name: '/live', httpMethod: 'GET' }],
    ]
    for (const [method, path, body] of changes) {
      expect((await deploy()).statusCode).toBe(200)
      const before = await readProxy('live')
      expect(before.deploymentList[0].redeployRequired).toBe(false)
      await ok(method, at('live', path), body)
      const after = await readProxy('live')
      expect(after.revision, `${method} ${path}`).toBe(before.revision + 1)
      expect(after.deploymentList[0]).toMatchObject({ deployed: true, redeployRequired: true })
    }
    // A refused change changes nothing.
    const revision = (await readProxy('live')).revision
    await call('POST', at('live', 'delete/'), { name: '/live', httpMethod: 'GET' })
    expect((await readProxy('live')).revision).toBe(revision)
  })

  it('records each change in the audit log, naming the endpoint and never a value', async () => {
    await restProxy('audited')
    await ok('POST', at('audited'), {
      name: '/x',
      httpMethod: 'PUT',
      backendResourceUrl: '/x',
      backendHttpMethod: 'PUT',
    })
    await ok('PATCH', at('audited', 'status/'), {
      identifierName: '/x',
      identifierHttpMethod: 'PUT',
      active: false,
    })
    await ok('POST', at('audited', 'delete/'), { name: '/x', httpMethod: 'PUT' })
    await ctx.services.audit.flush()
    const rows = await ctx.store.db
      .selectFrom('audit_events')
      .select(['action', 'target'])
      .where('action', 'like', 'proxy.endpoint%')
      .where('target', 'like', '%proxy=audited%')
      .orderBy('at')
      .orderBy('id')
      .execute()
    expect(rows.map((r) => r.action).sort()).toEqual([
      'proxy.endpointChanged',
      'proxy.endpointCreated',
      'proxy.endpointDeleted',
    ])
    for (const row of rows) expect(row.target).toMatch(/method=PUT.*endpoint=\/x/)
    expect(rows.find((r) => r.action === 'proxy.endpointChanged')?.target).toMatch(/change=status/)
  })
})
