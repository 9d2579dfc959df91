import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Dialect } from '../src/db/create-db.ts'
import { jsonBlocks } from './fixtures/proxy-group-examples.ts'
import { bearer, buildTestApp, dialects, makeUser, type TestContext, tokenFor } from './helpers.ts'

const REFERENCE = '/work/shared/reference/apinizer-management-api-docs/02-api-reference/12-rlcl'

/** The docs' own bodies (checked against the pages when they are here). */
const CREATE = [
  {
    name: 'PremiumUserRLCL',
    description: 'Rate limit for premium users',
    enabled: true,
    executionOrder: 'FIRST',
    cacheConnectionTimeoutInSeconds: 3,
    cacheErrorHandlingType: 'FAIL',
    timeIntervalWindowType: 'FIXED',
    showRateLimitStatisticsInResponseHeader: false,
    targetVariable: null,
  },
  {
    name: 'IPBasedRLCL',
    description: 'Rate limit based on IP address',
    enabled: true,
    executionOrder: 'FIRST',
    cacheConnectionTimeoutInSeconds: 5,
    cacheErrorHandlingType: 'CONTINUE',
    timeIntervalWindowType: 'SLIDING',
    showRateLimitStatisticsInResponseHeader: true,
    targetVariable: {
      name: 'clientIp',
      type: 'CONTEXT_VALUES',
      contextValue: 'REQUEST_REMOTE_ADDRESS',
    },
  },
]
const CREDENTIALS = { credentialNameList: ['api-user-1', 'api-user-2', 'premium-user'] }
const limit = (endpointName: string, endpointHTTPMethod: string, extra = {}) => ({
  apiProxyName: 'MyAPI',
  endpointName,
  endpointHTTPMethod,
  permittedMessageCount: 100,
  timeIntervalPeriodLength: 1,
  timeInterval: 'ONE_MINUTE',
  cacheConnectionTimeoutInSeconds: 3,
  cacheErrorHandlingType: 'FAIL',
  timeIntervalWindowType: 'FIXED',
  showRateLimitStatisticsInResponseHeader: false,
  enabled: true,
  ...extra,
})
const ENDPOINTS = { endpointRateLimitList: [limit('/users', 'GET')] }
const CONDITION = {
  conditionRuleList: [
    {
      conditionCriteria: 'VALUE',
      firstVariable: { name: 'userTypeHeader', type: 'HEADER', headerName: 'X-User-Type' },
      variableDataType: 'STRING',
      valueComparisonOperator: 'EQ',
      secondValueSource: 'VALUE',
      secondValue: 'PREMIUM',
    },
  ],
}

describe.runIf(existsSync(REFERENCE))('the RLCL examples', () => {
  it("are the reference pages' own", () => {
    const page = (name: string) => jsonBlocks(readFileSync(join(REFERENCE, name), 'utf8'))
    for (const e of CREATE) expect(page('crud/create-rlcl.md')).toContainEqual(e)
    expect(page('credentials/add-credentials.md')).toContainEqual(CREDENTIALS)
    expect(page('endpoints/add-endpoints.md')).toContainEqual(ENDPOINTS)
    expect(page('condition/add-condition.md')).toContainEqual(CONDITION)
  })
})

const R = '/apiops/projects/Edge/rlcl'

describe.each(dialects())('RLCLs (%s)', (dialect: Dialect) => {
  let ctx: TestContext
  const tokens: Record<string, string> = {}
  const call = (method: string, url: string, who: string, payload?: unknown) =>
    ctx.app.inject({
      method: method as 'GET',
      url,
      headers: bearer(tokens[who] as string),
      ...(payload === undefined ? {} : { payload: payload as object }),
    })
  const ok = async (method: string, url: string, payload?: unknown) => {
    const res = await call(method, url, 'ops', payload)
    expect(res.statusCode, `${method} ${url}: ${res.body}`).toBe(200)
    return res.json()
  }
  const read = async (name: string) => (await ok('GET', `${R}/${name}/`)).rlcl

  beforeAll(async () => {
    ctx = await buildTestApp(dialect)
    for (const [name, roles] of Object.entries({
      admin: ['ROLE_ADMIN'],
      ops: ['ROLE_MANAGE_PROXIES'],
      security: ['ROLE_API_SECURITY'],
    } as const)) {
      tokens[name] = (await tokenFor(ctx, (await makeUser(ctx, name, [...roles])).id)).token
    }
    await call('POST', '/apiops/projects/', 'admin', { name: 'Edge' })
    for (const username of ['ops', 'security'])
      await call('POST', '/apiops/projects/Edge/members/', 'admin', { username })
    await call('POST', '/apiops/projects/Edge/apiProxies/url/', 'admin', {
      apiProxyName: 'MyAPI',
      apiProxyCreationType: 'REVERSE_PROXY',
      routingInfo: { routingAddressList: [{ address: 'https://backend.example' }] },
    })
    for (const [name, httpMethod] of [
      ['/users', 'GET'],
      ['/orders', 'POST'],
    ]) {
      const res = await call('POST', '/apiops/projects/Edge/apiProxies/MyAPI/endpoints/', 'admin', {
        name,
        httpMethod,
        backendResourceUrl: name,
        backendHttpMethod: httpMethod,
      })
      expect(res.statusCode, res.body).toBe(200)
    }
    for (const username of [...CREDENTIALS.credentialNameList, 'other-user']) {
      const res = await call('POST', '/apiops/projects/Edge/credentials/', 'admin', {
        username,
        email: `${username}@example.com`,
        fullName: username,
        password: 'long enough password',
      })
      expect(res.statusCode, res.body).toBe(200)
    }
  })
  afterAll(() => ctx.close())

  it("creates RLCLs from the docs' examples, empty, with the documented defaults", async () => {
    for (const body of CREATE)
      expect(await ok('POST', `${R}/`, body)).toEqual({ status: 'SUCCESS', success: true })
    await ok('POST', `${R}/`, { name: 'Minimal' })
    const list = await ok('GET', `${R}/`)
    expect(list.resultList.map((r: { name: string }) => r.name)).toEqual([
      'IPBasedRLCL',
      'Minimal',
      'PremiumUserRLCL',
    ])
    expect(await read('Minimal')).toMatchObject({
      enabled: true,
      executionOrder: 'FIRST',
      cacheConnectionTimeoutInSeconds: 3,
      cacheErrorHandlingType: 'FAIL',
      timeIntervalWindowType: 'FIXED',
      showRateLimitStatisticsInResponseHeader: false,
      targetVariable: null,
      condition: null,
      credentialNameList: [],
      endpointRateLimitList: [],
    })
    expect((await read('IPBasedRLCL')).targetVariable).toEqual(CREATE[1]?.targetVariable)
    const dup = await call('POST', `${R}/`, 'ops', { name: 'Minimal' })
    expect(dup.statusCode).toBe(409)
    const bad = await call('POST', `${R}/`, 'ops', { name: 'x', executionOrder: 'MIDDLE' })
    expect(bad.statusCode).toBe(400)
    expect(bad.json().error_description).toContain('executionOrder')
  })

  it('adds, replaces and removes credentials by username, all or nothing', async () => {
    expect(await ok('POST', `${R}/PremiumUserRLCL/credentials/`, CREDENTIALS)).toMatchObject({
      added: 3,
      count: 3,
    })
    const again = await ok('POST', `${R}/PremiumUserRLCL/credentials/`, {
      credentialNameList: ['api-user-1'],
    })
    expect(again).toMatchObject({ added: 0, count: 3 })
    const ghost = await call('POST', `${R}/PremiumUserRLCL/credentials/`, 'ops', {
      credentialNameList: ['other-user', 'ghost'],
    })
    expect(ghost.statusCode).toBe(404)
    expect(ghost.json().error_description).toBe(
      "Credential 'ghost' in project 'Edge' was not found.",
    )
    expect((await read('PremiumUserRLCL')).credentialNameList).toEqual(
      CREDENTIALS.credentialNameList,
    )
    await ok('DELETE', `${R}/PremiumUserRLCL/credentials/`, {
      credentialNameList: ['api-user-2', 'other-user'],
    })
    expect((await read('PremiumUserRLCL')).credentialNameList).toEqual([
      'api-user-1',
      'premium-user',
    ])
    expect(
      await ok('PUT', `${R}/PremiumUserRLCL/credentials/`, { credentialNameList: ['other-user'] }),
    ).toMatchObject({ added: 1, removed: 2, count: 1 })
    // Deleting a credential takes it off every list.
    await call('DELETE', '/apiops/projects/Edge/credentials/other-user/', 'admin')
    expect((await read('PremiumUserRLCL')).credentialNameList).toEqual([])
  })

  it('adds endpoint rate limits for an endpoint or a whole proxy, by name', async () => {
    await ok('POST', `${R}/PremiumUserRLCL/endpoints/`, ENDPOINTS)
    await ok('POST', `${R}/PremiumUserRLCL/endpoints/`, {
      endpointRateLimitList: [
        limit('ALL', 'ALL', { permittedMessageCount: 200, timeInterval: 'ONE_HOUR' }),
      ],
    })
    const limits = (await read('PremiumUserRLCL')).endpointRateLimitList
    expect(limits).toEqual([
      { ...limit('/users', 'GET'), targetVariable: null, targetIdentityValue: null },
      {
        ...limit('ALL', 'ALL', { permittedMessageCount: 200, timeInterval: 'ONE_HOUR' }),
        targetVariable: null,
        targetIdentityValue: null,
      },
    ])
    const unknown = await call('POST', `${R}/PremiumUserRLCL/endpoints/`, 'ops', {
      endpointRateLimitList: [limit('/nowhere', 'GET')],
    })
    expect(unknown.statusCode).toBe(404)
    expect(unknown.json().error_description).toBe(
      "Endpoint GET /nowhere of API proxy 'MyAPI' was not found.",
    )
    const half = await call('POST', `${R}/PremiumUserRLCL/endpoints/`, 'ops', {
      endpointRateLimitList: [{ ...limit('/users', 'GET'), endpointHTTPMethod: undefined }],
    })
    expect(half.statusCode).toBe(400)
    expect(half.json().error_description).toContain('endpointRateLimitList.0.endpointHTTPMethod')
    const removed = await ok('DELETE', `${R}/PremiumUserRLCL/endpoints/`, {
      endpointRateLimitList: [limit('ALL', 'ALL'), limit('/orders', 'POST')],
    })
    expect(removed).toMatchObject({ removed: 1, count: 1 })
  })

  it('sets, refuses to overwrite, replaces and removes the condition', async () => {
    await ok('POST', `${R}/PremiumUserRLCL/condition/`, CONDITION)
    expect((await read('PremiumUserRLCL')).condition).toEqual(CONDITION)
    const twice = await call('POST', `${R}/PremiumUserRLCL/condition/`, 'ops', CONDITION)
    expect(twice.statusCode).toBe(409)
    const bad = await call('PUT', `${R}/PremiumUserRLCL/condition/`, 'ops', {
      conditionRuleList: [{ conditionCriteria: 'VALUE', variableDataType: 'STRING' }],
    })
    expect(bad.statusCode).toBe(400)
    expect(bad.json().error_description).toContain('conditionRuleList.0.firstVariable is required')
    await ok('PUT', `${R}/PremiumUserRLCL/condition/`, { conditionRuleList: [] })
    expect((await read('PremiumUserRLCL')).condition).toEqual({ conditionRuleList: [] })
    await ok('DELETE', `${R}/PremiumUserRLCL/condition/`)
    expect((await read('PremiumUserRLCL')).condition).toBeNull()
    expect((await call('DELETE', `${R}/PremiumUserRLCL/condition/`, 'ops')).statusCode).toBe(404)
  })

  it('updates settings without renaming, keeps members, and deletes', async () => {
    await ok('PUT', `${R}/IPBasedRLCL/`, { ...CREATE[1], enabled: false })
    expect((await read('IPBasedRLCL')).enabled).toBe(false)
    const rename = await call('PUT', `${R}/IPBasedRLCL/`, 'ops', { name: 'Other' })
    expect(rename.statusCode).toBe(400)
    expect(rename.json().error_description).toContain('cannot be renamed')
    await ok('DELETE', `${R}/IPBasedRLCL/`)
    expect((await call('GET', `${R}/IPBasedRLCL/`, 'ops')).statusCode).toBe(404)
  })

  it('needs ROLE_MANAGE_PROXIES even to read', async () => {
    const denied = await call('GET', `${R}/`, 'security')
    expect(denied.statusCode).toBe(403)
    expect(denied.json().error_description).toContain('ROLE_MANAGE_PROXIES')
  })
})
