import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { operationsOf } from './endpoint-view.ts'
import { bearer, buildTestApp, dialects, makeUser, type TestContext, tokenFor } from './helpers.ts'

const OPENAPI = {
  openapi: '3.0.3',
  info: { title: 'Pets', version: '1' },
  servers: [{ url: 'https://pets.backend.internal/v1' }],
  paths: {
    '/pets': {
      get: { operationId: 'listPets', summary: 'List pets' },
      post: { operationId: 'createPet' },
    },
    '/pets/{id}': { get: { operationId: 'getPet' }, parameters: [] },
  },
}
const SWAGGER_YAML = `swagger: "2.0"
info: { title: Orders, version: "1" }
host: orders.backend.internal
basePath: /api
schemes: [https]
paths:
  /orders:
    get: { operationId: listOrders }
`

/** Serves specs the way real servers fail: missing, slow, huge, redirecting, not a spec. */
function specServer(): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    switch (req.url) {
      case '/openapi.json':
        return res.end(JSON.stringify(OPENAPI))
      case '/swagger.yaml':
        return res.end(SWAGGER_YAML)
      case '/nobackend.json':
        return res.end(JSON.stringify({ ...OPENAPI, servers: [] }))
      case '/slow':
        return setTimeout(() => res.end('{}'), 3000)
      case '/huge':
        return res.end(JSON.stringify({ openapi: '3.0.0', paths: {}, pad: 'x'.repeat(10_000) }))
      case '/redirect':
        res.writeHead(302, { location: '/openapi.json' })
        return res.end()
      case '/notspec':
        return res.end(JSON.stringify({ hello: 'world' }))
      case '/nops':
        return res.end(JSON.stringify({ openapi: '3.1.0', paths: {} }))
      case '/garbage':
        return res.end('{ not json')
      default:
        res.writeHead(404)
        return res.end()
    }
  })
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }),
    ),
  )
}

describe.each(dialects())('API proxies and deployments (%s)', (dialect) => {
  let ctx: TestContext
  let spec: { server: Server; url: string }
  let admin: string
  let dev: string // ROLE_MANAGE_PROXIES, member of Payments
  let devId: string
  let ops: string // both proxy roles, member
  let outsider: string // both roles, not a member

  beforeAll(async () => {
    spec = await specServer()
    ctx = await buildTestApp(dialect, {
      env: {
        APIOPS_SPEC_FETCH_TIMEOUT_MS: '1000',
        APIOPS_SPEC_MAX_BYTES: '4096',
        // The spec server is on loopback, which is refused unless allowed.
        APIOPS_SPEC_FETCH_ALLOWLIST: '127.0.0.1/32',
      },
    })
    admin = (await tokenFor(ctx, (await makeUser(ctx, 'root', ['ROLE_ADMIN'])).id)).token
    const d = await makeUser(ctx, 'dev', ['ROLE_MANAGE_PROXIES'])
    devId = d.id
    dev = (await tokenFor(ctx, d.id)).token
    ops = (
      await tokenFor(
        ctx,
        (
          await makeUser(ctx, 'ops', ['ROLE_MANAGE_PROXIES', 'ROLE_DEPLOY_UNDEPLOY_PROXIES'])
        ).id,
      )
    ).token
    outsider = (
      await tokenFor(
        ctx,
        (
          await makeUser(ctx, 'outsider', ['ROLE_MANAGE_PROXIES', 'ROLE_DEPLOY_UNDEPLOY_PROXIES'])
        ).id,
      )
    ).token
    const setup = [
      ['POST', '/apiops/projects/', { name: 'Payments' }],
      ['POST', '/apiops/projects/', { name: 'Other' }],
      ['POST', '/apiops/projects/Payments/members/', { username: 'dev' }],
      ['POST', '/apiops/projects/Payments/members/', { username: 'ops' }],
      [
        'POST',
        '/apiops/environments/',
        { name: 'test', type: 'TEST', accessUrl: 'https://t.example', projects: ['Payments'] },
      ],
      [
        'POST',
        '/apiops/environments/',
        {
          name: 'prod',
          type: 'PRODUCTION',
          accessUrl: 'https://p.example',
          projects: ['Payments'],
        },
      ],
      [
        'POST',
        '/apiops/environments/',
        { name: 'elsewhere', type: 'TEST', accessUrl: 'https://e.example', projects: ['Other'] },
      ],
    ] as const
    for (const [method, url, payload] of setup) {
      const res = await ctx.app.inject({ method, url, headers: bearer(admin), payload })
      expect(res.statusCode, url).toBe(201)
    }
  })
  afterAll(async () => {
    await ctx.close()
    spec.server.close()
  })

  const call = (method: string, url: string, token: string, payload?: unknown) =>
    ctx.app.inject({
      method: method as 'GET',
      url,
      headers: bearer(token),
      ...(payload ? { payload } : {}),
    })
  const P = '/apiops/projects/Payments/apiProxies'

  it('creates a REVERSE_PROXY with its client route and weighted routing addresses', async () => {
    const res = await call('POST', `${P}/url/`, dev, {
      apiProxyName: 'orders',
      apiProxyDescription: 'Order API',
      apiProxyCreationType: 'REVERSE_PROXY',
      clientRoute: { relativePathList: ['/orders'] },
      routingInfo: {
        routingAddressList: [
          { address: 'https://orders-a.internal', weight: 70 },
          { address: 'https://orders-b.internal', weight: 30, healthCheckEnabled: true },
        ],
      },
    })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toMatchObject({
      status: 'SUCCESS',
      success: true,
      apiProxy: {
        name: 'orders',
        description: 'Order API',
        apiType: 'REST',
        creationType: 'REVERSE_PROXY',
        clientRoute: { relativePathList: ['/orders'], virtualHostList: [] },
        routing: {
          routingEnabled: true,
          routingAddressList: [
            { address: 'https://orders-a.internal', weight: 70, healthCheckEnabled: false },
            { address: 'https://orders-b.internal', weight: 30, healthCheckEnabled: true },
          ],
        },
        endpoints: [],
        revision: 1,
        deploymentList: [
          { environmentName: 'prod', deployed: false, redeployRequired: false },
          { environmentName: 'test', deployed: false, redeployRequired: false },
        ],
      },
    })
    expect(res.json().deploymentResult).toBeUndefined()
  })

  it('creates an OPEN_API proxy from a spec URL, recording its operations and backend', async () => {
    const res = await call('POST', `${P}/url/`, dev, {
      apiProxyName: 'pets',
      apiProxyCreationType: 'OPEN_API',
      specUrl: `${spec.url}/openapi.json`,
    })
    expect(res.statusCode).toBe(200)
    const proxy = res.json().apiProxy
    expect(operationsOf(proxy)).toEqual([
      { method: 'GET', path: '/pets', operationId: 'listPets', summary: 'List pets' },
      { method: 'POST', path: '/pets', operationId: 'createPet', summary: null },
      { method: 'GET', path: '/pets/{id}', operationId: 'getPet', summary: null },
    ])
    expect(proxy.routing.routingAddressList).toEqual([
      { address: 'https://pets.backend.internal/v1', weight: 100, healthCheckEnabled: false },
    ])
    expect(proxy.clientRoute.relativePathList).toEqual(['/pets'])
    expect(proxy.specUrl).toBe(`${spec.url}/openapi.json`)
  })

  it('creates a SWAGGER proxy from a YAML spec', async () => {
    const res = await call('POST', `${P}/url/`, dev, {
      apiProxyName: 'legacy',
      apiProxyCreationType: 'SWAGGER',
      specUrl: `${spec.url}/swagger.yaml`,
      clientRoute: { relativePathList: ['/legacy'] },
    })
    expect(res.statusCode).toBe(200)
    expect(operationsOf(res.json().apiProxy)).toEqual([
      { method: 'GET', path: '/orders', operationId: 'listOrders', summary: null },
    ])
    expect(res.json().apiProxy.routing.routingAddressList[0].address).toBe(
      'https://orders.backend.internal/api',
    )
  })

  it.each([
    // What the network did is not told (test/spec-fetch.test.ts): only that it failed.
    ['a missing spec', '/missing', /could not be fetched from that URL/],
    ['a slow server', '/slow', /could not be fetched from that URL/],
    ['a redirect', '/redirect', /could not be fetched from that URL/],
    ['a spec over the size limit', '/huge', /larger than 4096 bytes/],
    ['a document that is not OpenAPI 3', '/notspec', /not an OpenAPI 3 document/],
    ['a spec without operations', '/nops', /declares no operations/],
    ['a broken document', '/garbage', /neither valid JSON nor valid YAML/],
    ['a spec naming no backend, with no routing given', '/nobackend.json', /names no backend/],
  ])('refuses %s with a 400 saying why', async (_name, path, message) => {
    const res = await call('POST', `${P}/url/`, dev, {
      apiProxyName: 'bad',
      apiProxyCreationType: 'OPEN_API',
      specUrl: `${spec.url}${path}`,
    })
    expect(res.statusCode).toBe(400)
    expect(res.json().error).toBe('validation_failed')
    expect(res.json().error_description).toMatch(message)
  })

  it.each([
    [{ apiProxyCreationType: 'OPEN_API' }, 'specUrl', /required for OPEN_API/],
    [
      { apiProxyCreationType: 'REVERSE_PROXY', specUrl: 'https://x/y' },
      'specUrl',
      /only for OPEN_API/,
    ],
    [{ apiProxyCreationType: 'REVERSE_PROXY' }, 'routingInfo', /at least one routing address/],
    [{ apiProxyCreationType: 'GRPC' }, 'apiProxyCreationType', /allowed values|equal to one/],
    [
      {
        apiProxyCreationType: 'REVERSE_PROXY',
        routingInfo: { routingAddressList: [{ address: 'ftp://x' }] },
      },
      'routingInfo.routingAddressList.0.address',
      /must be an http:\/\/ or https:\/\/ URL/,
    ],
    [
      {
        apiProxyCreationType: 'REVERSE_PROXY',
        clientRoute: { relativePathList: ['no-slash'] },
        routingInfo: { routingAddressList: [{ address: 'https://x' }] },
      },
      'clientRoute.relativePathList.0',
      /must start with \/ and contain no spaces/,
    ],
  ])('refuses %j naming the field', async (body, field, message) => {
    const res = await call('POST', `${P}/url/`, dev, { apiProxyName: 'bad', ...body })
    expect(res.statusCode).toBe(400)
    const issue = res.json().validation_errors.find((v: { field: string }) => v.field === field)
    expect(issue?.message).toMatch(message)
  })

  it('answers 409 for a taken name, or a relative path another proxy uses', async () => {
    const base = {
      apiProxyCreationType: 'REVERSE_PROXY',
      routingInfo: { routingAddressList: [{ address: 'https://x.internal' }] },
    }
    const dup = await call('POST', `${P}/url/`, dev, {
      ...base,
      apiProxyName: 'orders',
      clientRoute: { relativePathList: ['/o2'] },
    })
    expect(dup.statusCode).toBe(409)
    expect(dup.json().error).toBe('duplicate_name')
    const clash = await call('POST', `${P}/url/`, dev, {
      ...base,
      apiProxyName: 'orders2',
      clientRoute: { relativePathList: ['/orders'] },
    })
    expect(clash.statusCode).toBe(409)
    expect(clash.json().error_description).toMatch(
      /'\/orders' is already used by API proxy 'orders'/,
    )
  })

  it('lists proxies ordered by name, paged', async () => {
    const res = await call('GET', `${P}/`, dev)
    expect(res.json().resultList.map((p: { name: string }) => p.name)).toEqual([
      'legacy',
      'orders',
      'pets',
    ])
    expect(res.json().resultList[1]).toEqual({
      name: 'orders',
      description: 'Order API',
      type: 'REST',
      creationType: 'REVERSE_PROXY',
      relativePath: '/orders',
      soapToRest: false,
    })
    const page = await call('GET', `${P}/?size=2&page=1`, dev)
    expect(page.json().resultList.map((p: { name: string }) => p.name)).toEqual(['pets'])
  })

  it('hides proxies of projects the caller is not in (404, like a missing project)', async () => {
    for (const url of [`${P}/`, `${P}/orders/`, `${P}/orders/deployments/`]) {
      const res = await call('GET', url, outsider)
      expect(res.statusCode, url).toBe(404)
      expect(res.json().error_description).toBe("Project 'Payments' was not found.")
    }
    const deploy = await call('POST', `${P}/orders/environments/test/`, outsider)
    expect(deploy.statusCode).toBe(404)
  })

  it('deploys, reports redeployRequired after a change, redeploys, keeps a history', async () => {
    ctx.clock.advance(1000)
    const first = await call('POST', `${P}/orders/environments/test/`, ops)
    expect(first.statusCode).toBe(200)
    expect(first.json()).toEqual({
      status: 'SUCCESS',
      success: true,
      deploymentResult: {
        success: true,
        deploymentResults: [
          {
            environmentName: 'test',
            success: true,
            message: 'Deployed revision 1',
            // No gateway node serves 'test' here: committed, nothing to confirm it.
            status: 'ACCEPTED',
            nodeResults: [],
          },
        ],
      },
    })
    let proxy = (await call('GET', `${P}/orders/`, dev)).json()
    expect(proxy.deploymentList).toMatchObject([
      { environmentName: 'prod', deployed: false },
      { environmentName: 'test', deployed: true, redeployRequired: false, deployedBy: 'ops' },
    ])

    ctx.clock.advance(1000)
    const update = await call('PUT', `${P}/url/`, dev, {
      apiProxyName: 'orders',
      apiProxyCreationType: 'REVERSE_PROXY',
      clientRoute: { relativePathList: ['/orders', '/orders-v2'] },
      routingInfo: { routingAddressList: [{ address: 'https://orders-c.internal' }] },
    })
    expect(update.statusCode).toBe(200)
    expect(update.json().apiProxy).toMatchObject({ revision: 2, description: 'Order API' })
    proxy = (await call('GET', `${P}/orders/`, dev)).json()
    expect(proxy.deploymentList[1]).toMatchObject({
      environmentName: 'test',
      deployed: true,
      redeployRequired: true,
    })

    ctx.clock.advance(1000)
    const again = await call('POST', `${P}/orders/environments/test/`, ops)
    expect(again.json().deploymentResult.deploymentResults[0].message).toBe('Redeployed revision 2')
    proxy = (await call('GET', `${P}/orders/`, dev)).json()
    expect(proxy.deploymentList[1]).toMatchObject({ deployed: true, redeployRequired: false })

    ctx.clock.advance(1000)
    const down = await call('DELETE', `${P}/orders/environments/test/`, ops)
    expect(down.json().deploymentResult.deploymentResults[0].message).toBe('Undeployed')
    const idempotent = await call('DELETE', `${P}/orders/environments/test/`, ops)
    expect(idempotent.statusCode).toBe(200)
    expect(idempotent.json().deploymentResult.deploymentResults[0].message).toMatch(/nothing to do/)

    const history = (await call('GET', `${P}/orders/deployments/`, dev)).json().resultList
    expect(
      history.map((h: { action: string; revision: number }) => [h.action, h.revision]),
    ).toEqual([
      ['UNDEPLOY', 2],
      ['REDEPLOY', 2],
      ['DEPLOY', 1],
    ])
    expect(history[0]).toMatchObject({ environmentName: 'test', actor: 'ops', success: true })
  })

  it('refuses to change a proxy creation type, and to update one that does not exist', async () => {
    const type = await call('PUT', `${P}/url/`, dev, {
      apiProxyName: 'orders',
      apiProxyCreationType: 'OPEN_API',
      specUrl: `${spec.url}/openapi.json`,
    })
    expect(type.statusCode).toBe(409)
    expect(type.json().error_description).toMatch(/cannot change/)
    const missing = await call('PUT', `${P}/url/`, dev, {
      apiProxyName: 'ghost',
      apiProxyCreationType: 'REVERSE_PROXY',
      routingInfo: { routingAddressList: [{ address: 'https://x.internal' }] },
    })
    expect(missing.statusCode).toBe(404)
  })

  it('only deploys to environments the project may use', async () => {
    const res = await call('POST', `${P}/orders/environments/elsewhere/`, ops)
    expect(res.statusCode).toBe(404)
    expect(res.json().error_description).toMatch(/Environment 'elsewhere'/)
    expect((await call('POST', `${P}/orders/environments/nowhere/`, ops)).statusCode).toBe(404)
  })

  it('deploys at creation when asked, to every named environment', async () => {
    const res = await call('POST', `${P}/url/`, ops, {
      apiProxyName: 'shipping',
      apiProxyCreationType: 'REVERSE_PROXY',
      routingInfo: { routingAddressList: [{ address: 'https://ship.internal' }] },
      deploy: true,
      deployTargetEnvironmentNameList: ['test', 'prod'],
    })
    expect(res.statusCode).toBe(200)
    expect(
      res
        .json()
        .deploymentResult.deploymentResults.map(
          (r: { environmentName: string }) => r.environmentName,
        ),
    ).toEqual(['test', 'prod'])
    expect(res.json().apiProxy.deploymentList.every((d: { deployed: boolean }) => d.deployed)).toBe(
      true,
    )
    const none = await call('POST', `${P}/url/`, ops, {
      apiProxyName: 'shipping2',
      apiProxyCreationType: 'REVERSE_PROXY',
      routingInfo: { routingAddressList: [{ address: 'https://ship.internal' }] },
      deploy: true,
    })
    expect(none.statusCode).toBe(400)
    expect(none.json().validation_errors[0].field).toBe('deployTargetEnvironmentNameList')
  })

  it('deletes a proxy, undeploying it everywhere and keeping the history', async () => {
    const res = await call('DELETE', `${P}/shipping/`, ops)
    expect(res.statusCode).toBe(200)
    expect(
      res
        .json()
        .deploymentResult.deploymentResults.map(
          (r: { environmentName: string }) => r.environmentName,
        )
        .sort(),
    ).toEqual(['prod', 'test'])
    expect((await call('GET', `${P}/shipping/`, dev)).statusCode).toBe(404)
    const rows = await ctx.store.db
      .selectFrom('deployment_history')
      .selectAll()
      .where('proxy_name', '=', 'shipping')
      .execute()
    expect(rows.filter((r) => r.action === 'UNDEPLOY')).toHaveLength(2)
  })

  it('names the missing role: deploying and deleting need ROLE_DEPLOY_UNDEPLOY_PROXIES too', async () => {
    for (const [method, url] of [
      ['POST', `${P}/orders/environments/test/`],
      ['DELETE', `${P}/orders/environments/test/`],
      ['DELETE', `${P}/orders/`],
    ]) {
      const res = await call(method as string, url as string, dev)
      expect(res.statusCode).toBe(403)
      expect(res.json().error_description).toBe(
        'This action requires the ROLE_DEPLOY_UNDEPLOY_PROXIES role, which your user does not have.',
      )
    }
  })

  it('lets an existing token deploy as soon as its owner is granted ROLE_DEPLOY_UNDEPLOY_PROXIES', async () => {
    expect((await call('POST', `${P}/orders/environments/prod/`, dev)).statusCode).toBe(403)
    const grant = await call('POST', '/apiops/users/dev/roles/', admin, {
      roles: ['ROLE_DEPLOY_UNDEPLOY_PROXIES'],
    })
    expect(grant.statusCode).toBe(200)
    expect((await call('POST', `${P}/orders/environments/prod/`, dev)).statusCode).toBe(200)
    await call('DELETE', '/apiops/users/dev/roles/ROLE_DEPLOY_UNDEPLOY_PROXIES/', admin)
    expect((await call('DELETE', `${P}/orders/environments/prod/`, dev)).statusCode).toBe(403)
    expect(devId).toBeTruthy()
  })
})
