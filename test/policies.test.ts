import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { multipart } from './fixtures/multipart.ts'
import { POLICY_PAGES } from './fixtures/policy-docs.ts'
import { bearer, buildTestApp, dialects, makeUser, type TestContext, tokenFor } from './helpers.ts'

/*
 * A proxy's policies at the documented paths: add, update, delete and the list, the
 * order rules, endpoint scope, conditions, secrets, roles, deploys and IP groups.
 */

// biome-ignore lint/suspicious/noExplicitAny: answers are walked field by field
type Json = Record<string, any>

/** The add-policy page's full example (with its documented condition). */
function documentedAddExample(): Json {
  const text = readFileSync(join(POLICY_PAGES, '..', 'crud', 'add-policy.md'), 'utf8')
  const block = /#### Full JSON Body Example\n+```json\n([\s\S]*?)\n```/.exec(text)
  return JSON.parse(block?.[1] as string)
}

const throttling = (description: string) => ({
  type: 'policy-api-based-throttling',
  description,
  active: true,
  targetVariableForIdentity: { type: 'HEADER', headerName: 'X-API-Key' },
  messageCountForInterval: 100,
  throttlingInterval: 'ONE_MINUTE',
  intervalPeriodLength: 1,
  intervalWindowType: 'FIXED',
})
const all = (pipeline = 'REQUEST', extra: Json = {}) => ({
  targetScope: 'ALL',
  targetPipeline: pipeline,
  deploy: false,
  ...extra,
})

describe.each(dialects())('API proxy policies (%s)', (dialect) => {
  let ctx: TestContext
  let admin: string
  let dev: string
  let viewer: string

  beforeAll(async () => {
    ctx = await buildTestApp(dialect)
    admin = (await tokenFor(ctx, (await makeUser(ctx, 'root', ['ROLE_ADMIN'])).id)).token
    dev = (await tokenFor(ctx, (await makeUser(ctx, 'dev', ['ROLE_MANAGE_PROXIES'])).id)).token
    viewer = (await tokenFor(ctx, (await makeUser(ctx, 'viewer', [])).id)).token
    const setup: [string, Json][] = [
      ['/apiops/projects/', { name: 'MyProject' }],
      ['/apiops/projects/MyProject/members/', { username: 'dev' }],
      ['/apiops/projects/MyProject/members/', { username: 'viewer' }],
      [
        '/apiops/environments/',
        {
          name: 'production',
          type: 'PRODUCTION',
          accessUrl: 'https://p.example',
          projects: ['MyProject'],
        },
      ],
      ['/apiops/projects/MyProject/ipGroups/', { name: 'office' }],
    ]
    for (const [url, payload] of setup) {
      const res = await ctx.app.inject({ method: 'POST', url, headers: bearer(admin), payload })
      expect([200, 201], `${url} ${res.body}`).toContain(res.statusCode)
    }
  })
  afterAll(async () => ctx?.close())

  const call = (method: string, url: string, payload?: unknown, token = dev) =>
    ctx.app.inject({
      method: method as 'POST',
      url,
      headers: bearer(token),
      ...(payload === undefined ? {} : { payload: payload as Json }),
    })
  const at = (proxy: string, policy = '') =>
    `/apiops/projects/MyProject/apiProxies/${proxy}/policies/${policy ? `${policy}/` : ''}`
  const ok = async (method: string, url: string, body?: unknown, token = dev) => {
    const res = await call(method, url, body, token)
    expect(res.statusCode, `${method} ${url} ${JSON.stringify(body)}: ${res.body}`).toBe(200)
    return res.json()
  }
  const refused = async (method: string, url: string, body: unknown, status = 400) => {
    const res = await call(method, url, body)
    expect(res.statusCode, `${method} ${url}: ${res.body}`).toBe(status)
    return res.json()
  }
  async function proxy(name: string) {
    await ok('POST', '/apiops/projects/MyProject/apiProxies/url/', {
      apiProxyName: name,
      apiProxyCreationType: 'REVERSE_PROXY',
      clientRoute: { relativePathList: [`/${name}`] },
      routingInfo: { routingAddressList: [{ address: 'https://backend.example.com' }] },
    })
  }
  const add = (p: string, name: string, meta: Json = all(), policy: Json = throttling(name)) =>
    ok('POST', at(p, name), { operationMetadata: meta, policy })
  const listed = async (p: string) => (await ok('GET', at(p))).resultList[0] as Json
  const names = (list: Json[]) => list.map((x) => x.name)
  const readProxy = async (name: string) =>
    (await call('GET', `/apiops/projects/MyProject/apiProxies/${name}/`)).json()

  it('adds, lists in the documented shape, updates and deletes', async () => {
    await proxy('crud')
    expect(await add('crud', 'first')).toEqual({ status: 'SUCCESS', success: true })
    const list = await ok('GET', at('crud'))
    expect(list).toMatchObject({ status: 'SUCCESS', success: true, resultCount: 1 })
    expect(list.resultList[0]).toEqual({
      name: 'crud',
      type: 'REST',
      relativePath: '/crud',
      soapToRest: false,
      requestPolicyList: [{ name: 'first', ...throttling('first') }],
      responsePolicyList: [],
      errorPolicyList: [],
      endpointList: [],
    })
    await ok('PUT', at('crud', 'first'), {
      operationMetadata: all(),
      policy: { ...throttling('changed'), messageCountForInterval: 200 },
    })
    expect((await listed('crud')).requestPolicyList[0]).toMatchObject({
      description: 'changed',
      messageCountForInterval: 200,
    })
    // Names are unique in the proxy whatever their case.
    const dup = await refused('POST', at('crud', 'FIRST'), {
      operationMetadata: all('ERROR'),
      policy: throttling('x'),
    })
    expect(dup.error_description).toMatch(/already exists/)
    await ok('DELETE', at('crud', 'First'), { operationMetadata: all() })
    expect((await listed('crud')).requestPolicyList).toEqual([])
    const gone = await refused('PUT', at('crud', 'first'), {
      operationMetadata: all(),
      policy: throttling('x'),
    })
    expect(gone.error_description).toMatch(/does not exist/)
    await refused('DELETE', at('crud', 'first'), { operationMetadata: all() })
    await refused('GET', at('nope'), undefined, 404)
  })

  it('orders as documented: null or >= size is the end, otherwise the 1-based place', async () => {
    await proxy('ordered')
    for (const n of ['a', 'b', 'c']) await add('ordered', n)
    await add('ordered', 'd', all('REQUEST', { order: 1 }))
    await add('ordered', 'e', all('REQUEST', { order: 99 }))
    await add('ordered', 'f', all('REQUEST', { order: 5 }))
    await add('ordered', 'g', all('REQUEST', { order: 3 }))
    expect(names((await listed('ordered')).requestPolicyList)).toEqual([
      'd',
      'a',
      'g',
      'b',
      'c',
      'e',
      'f',
    ])
    const move = (name: string, meta: Json) =>
      ok('PUT', at('ordered', name), { operationMetadata: meta, policy: throttling(name) })
    await move('f', all('REQUEST', { order: 1 }))
    await move('a', all('REQUEST', { order: null }))
    await move('d', all('REQUEST', { order: 7 }))
    expect(names((await listed('ordered')).requestPolicyList)).toEqual([
      'f',
      'a',
      'g',
      'b',
      'c',
      'e',
      'd',
    ])
    await move('g', all('RESPONSE'))
    // Order 1 in a list of one is >= its size, so (as documented) the end, not the front.
    await move('b', all('RESPONSE', { order: 1 }))
    await move('c', all('RESPONSE', { order: 1 }))
    const now = await listed('ordered')
    expect(names(now.requestPolicyList)).toEqual(['f', 'a', 'e', 'd'])
    expect(names(now.responsePolicyList)).toEqual(['c', 'g', 'b'])
    // Deleting from the wrong pipeline is refused; from the right one closes the gap.
    await refused('DELETE', at('ordered', 'b'), { operationMetadata: all() })
    await ok('DELETE', at('ordered', 'a'), { operationMetadata: all() })
    await add('ordered', 'h', all('REQUEST', { order: 2 }))
    expect(names((await listed('ordered')).requestPolicyList)).toEqual(['f', 'h', 'e', 'd'])
    const zero = await refused('POST', at('ordered', 'z'), {
      operationMetadata: all('REQUEST', { order: 0 }),
      policy: throttling('z'),
    })
    expect(zero.validation_errors[0].field).toBe('operationMetadata.order')
  })

  it('scopes a policy to one endpoint, which must exist', async () => {
    await proxy('scoped')
    await ok('POST', '/apiops/projects/MyProject/apiProxies/scoped/endpoints/', {
      name: '/api/users',
      httpMethod: 'GET',
      backendResourceUrl: '/users',
      backendHttpMethod: 'GET',
    })
    const endpoint = {
      targetScope: 'ENDPOINT',
      targetEndpoint: '/api/users',
      targetEndpointHTTPMethod: 'GET',
      targetPipeline: 'REQUEST',
      deploy: false,
    }
    await add('scoped', 'only-users', endpoint)
    const list = await listed('scoped')
    expect(list.requestPolicyList).toEqual([])
    expect(list.endpointList).toEqual([
      {
        endpoint: '/api/users',
        httpMethod: 'GET',
        active: true,
        requestPolicyList: [{ name: 'only-users', ...throttling('only-users') }],
        responsePolicyList: [],
        errorPolicyList: [],
      },
    ])
    const viaEndpoint = await ok(
      'POST',
      '/apiops/projects/MyProject/apiProxies/scoped/endpoints/policies/',
      { name: '/api/users', httpMethod: 'GET' },
    )
    expect(names(viaEndpoint.requestPolicyList)).toEqual(['only-users'])
    const unknown = await refused('POST', at('scoped', 'x'), {
      operationMetadata: { ...endpoint, targetEndpoint: '/api/nothing' },
      policy: throttling('x'),
    })
    expect(unknown.validation_errors[0].field).toBe('operationMetadata.targetEndpoint')
    expect(unknown.error_description).toMatch(/GET \/api\/nothing/)
    const missing = await refused('POST', at('scoped', 'x'), {
      operationMetadata: { targetScope: 'ENDPOINT', targetPipeline: 'REQUEST', deploy: false },
      policy: throttling('x'),
    })
    expect(missing.validation_errors.map((e: Json) => e.field)).toEqual([
      'operationMetadata.targetEndpoint',
      'operationMetadata.targetEndpointHTTPMethod',
    ])
    // Deleted from the proxy-wide list it is not in: refused; from its endpoint: done.
    await refused('DELETE', at('scoped', 'only-users'), { operationMetadata: all() })
    await ok('DELETE', at('scoped', 'only-users'), { operationMetadata: endpoint })
    expect((await listed('scoped')).endpointList[0].requestPolicyList).toEqual([])
    // An update moves a policy between the proxy's lists and an endpoint's.
    await add('scoped', 'mover')
    await ok('PUT', at('scoped', 'mover'), { operationMetadata: endpoint, policy: throttling('m') })
    let now = await listed('scoped')
    expect(names(now.requestPolicyList)).toEqual([])
    expect(names(now.endpointList[0].requestPolicyList)).toEqual(['mover'])
    await ok('PUT', at('scoped', 'mover'), {
      operationMetadata: all('ERROR'),
      policy: throttling('m'),
    })
    now = await listed('scoped')
    expect(names(now.endpointList[0].requestPolicyList)).toEqual([])
    expect(names(now.errorPolicyList)).toEqual(['mover'])
  })

  it('takes the documented condition and refuses a bad criterion or operator', async () => {
    await proxy('conditional')
    const example = documentedAddExample()
    example.operationMetadata = all()
    await ok('POST', at('conditional', 'documented'), example)
    expect((await listed('conditional')).requestPolicyList[0].policyCondition).toEqual(
      example.policy.policyCondition,
    )
    const rule = example.policy.policyCondition.conditionRuleList[0]
    const withRule = (r: Json) => ({
      operationMetadata: all(),
      policy: { ...throttling('c'), policyCondition: { conditionRuleList: [r] } },
    })
    const bad: [Json, string][] = [
      [{ ...rule, conditionCriteria: 'MAYBE' }, 'conditionCriteria'],
      [{ ...rule, valueComparisonOperator: 'LIKE' }, 'valueComparisonOperator'],
      [{ ...rule, firstVariable: undefined }, 'firstVariable'],
      [{ conditionCriteria: 'AND', conditionRuleList: [] }, 'conditionRuleList'],
      [{ ...rule, secondValue: undefined }, 'secondValue'],
    ]
    for (const [r, field] of bad) {
      const res = await refused('POST', at('conditional', 'c'), withRule(r))
      expect(res.validation_errors[0].field).toBe(
        `policy.policyCondition.conditionRuleList.0.${field}`,
      )
    }
    await ok(
      'POST',
      at('conditional', 'nested'),
      withRule({ conditionCriteria: 'NOT', conditionRuleList: [rule] }),
    )
  })

  it('refuses an unknown type, listing the known ones, and a change of type', async () => {
    await proxy('typed')
    const res = await refused('POST', at('typed', 'x'), {
      operationMetadata: all(),
      policy: { type: 'policy-nonsense' },
    })
    expect(res.validation_errors[0].field).toBe('policy.type')
    expect(res.validation_errors[0].message).toMatch(/policy-black-ip/)
    await add('typed', 'ip', all(), { type: 'policy-black-ip', ipList: ['10.0.0.0/8'] })
    const change = await refused('PUT', at('typed', 'ip'), {
      operationMetadata: all(),
      policy: throttling('ip'),
    })
    expect(change.validation_errors[0].field).toBe('policy.type')
  })

  it('moves the revision on with each change, and redeploys when deploy names environments', async () => {
    await proxy('live')
    await ok(
      'POST',
      '/apiops/projects/MyProject/apiProxies/live/environments/production/',
      undefined,
      admin,
    )
    const steps: [string, string, Json][] = [
      ['POST', 'p', { operationMetadata: all(), policy: throttling('p') }],
      ['PUT', 'p', { operationMetadata: all(), policy: throttling('p2') }],
      ['DELETE', 'p', { operationMetadata: all() }],
    ]
    for (const [method, name, body] of steps) {
      const before = await readProxy('live')
      await ok(method, at('live', name), body, admin)
      const after = await readProxy('live')
      expect(after.revision).toBe(before.revision + 1)
      expect(after.deploymentList[0]).toMatchObject({ deployed: true, redeployRequired: true })
      await ok(
        'POST',
        '/apiops/projects/MyProject/apiProxies/live/environments/production/',
        undefined,
        admin,
      )
    }
    const deployed = await ok(
      'POST',
      at('live', 'q'),
      {
        operationMetadata: all('REQUEST', {
          deploy: true,
          deployTargetEnvironmentNameList: ['production'],
        }),
        policy: throttling('q'),
      },
      admin,
    )
    expect(deployed.deploymentResult).toMatchObject({
      success: true,
      deploymentResults: [{ environmentName: 'production', success: true }],
    })
    expect((await readProxy('live')).deploymentList[0].redeployRequired).toBe(false)
    // Deploying needs the deploy role too; an unknown environment changes nothing.
    const before = (await readProxy('live')).revision
    const noRole = await call('POST', at('live', 'r'), {
      operationMetadata: all('REQUEST', {
        deploy: true,
        deployTargetEnvironmentNameList: ['production'],
      }),
      policy: throttling('r'),
    })
    expect(noRole.statusCode).toBe(403)
    const noEnv = await call(
      'POST',
      at('live', 'r'),
      {
        operationMetadata: all('REQUEST', {
          deploy: true,
          deployTargetEnvironmentNameList: ['mars'],
        }),
        policy: throttling('r'),
      },
      admin,
    )
    expect(noEnv.statusCode).toBe(404)
    expect((await readProxy('live')).revision).toBe(before)
  })

  it('seals secrets, answers the mask, and keeps the stored value when the mask comes back', async () => {
    await proxy('secret')
    const auth = (password: string, more: Json[] = []) => ({
      type: 'policy-api-authentication',
      authType: 'BASIC',
      sendType: 'HEADER',
      usernameFieldName: 'X-User',
      passwordFieldName: 'X-Pass',
      apiAuthCondExpressionList: [{ username: 'u', password }, ...more],
    })
    await add('secret', 'auth', all(), auth('Very-Secret-1'))
    const res = await call('GET', at('secret'))
    expect(res.body).not.toContain('Very-Secret-1')
    expect(
      res.json().resultList[0].requestPolicyList[0].apiAuthCondExpressionList[0].password,
    ).toBe('********')
    const stored = async () =>
      (
        await ctx.store.db
          .selectFrom('proxy_policies')
          .select('policy')
          .where('name', '=', 'auth')
          .executeTakeFirstOrThrow()
      ).policy
    const sealed = await stored()
    expect(sealed).not.toContain('Very-Secret-1')
    await ok('PUT', at('secret', 'auth'), { operationMetadata: all(), policy: auth('********') })
    expect(await stored()).toBe(sealed)
    const unknownMask = await refused('PUT', at('secret', 'auth'), {
      operationMetadata: all(),
      policy: auth('********', [{ username: 'v', password: '********' }]),
    })
    expect(unknownMask.validation_errors[0].field).toBe(
      'policy.apiAuthCondExpressionList.1.password',
    )
    await ok('PUT', at('secret', 'auth'), {
      operationMetadata: all(),
      policy: auth('Other-Secret-2'),
    })
    expect(await stored()).not.toBe(sealed)
    expect((await call('GET', at('secret'))).body).not.toContain('Other-Secret-2')
  })

  it("checks a policy group's rules with the condition rule schema, naming the field", async () => {
    await proxy('grouped')
    const rule = {
      conditionCriteria: 'VALUE',
      firstVariable: { type: 'HEADER', headerName: 'X-Tier' },
      variableDataType: 'STRING',
      valueComparisonOperator: 'EQ',
      secondValueSource: 'VALUE',
      secondValue: 'gold',
    }
    const group = (criteria: string, rules: Json[]) => ({
      operationMetadata: all(),
      policy: { type: 'policy-group', condition: { criteria, rules } },
    })
    await ok('POST', at('grouped', 'g'), group('IF_ALL_MATCH', [rule]))
    expect((await listed('grouped')).requestPolicyList[0].condition.rules).toEqual([rule])
    const cases: [Json[], string, string][] = [
      [[{ ...rule, colour: 'blue' }], 'IF_ALL_MATCH', 'policy.condition.rules.0.colour'],
      [
        [{ ...rule, valueComparisonOperator: 'SIMILAR' }],
        'IF_ALL_MATCH',
        'policy.condition.rules.0.valueComparisonOperator',
      ],
      [
        [{ ...rule, firstVariable: { type: 'HEADER', colour: 'x' } }],
        'IF_ANY_MATCH',
        'policy.condition.rules.0.firstVariable.colour',
      ],
      [
        [{ ...rule, secondValue: undefined }],
        'IF_ALL_MATCH',
        'policy.condition.rules.0.secondValue',
      ],
      [
        [{ conditionCriteria: 'AND' }],
        'IF_ALL_MATCH',
        'policy.condition.rules.0.conditionRuleList',
      ],
      [[], 'IF_NONE_MATCH', 'policy.condition.rules'],
    ]
    for (const [rules, criteria, field] of cases) {
      const res = await refused('PUT', at('grouped', 'g'), group(criteria, rules))
      expect(
        res.validation_errors.map((e: Json) => e.field),
        JSON.stringify(rules),
      ).toContain(field)
    }
  })

  it('needs ROLE_MANAGE_PROXIES for every operation, reads included', async () => {
    await proxy('guarded')
    await add('guarded', 'p')
    const tries: [string, string, Json | undefined][] = [
      ['GET', at('guarded'), undefined],
      ['POST', at('guarded', 'q'), { operationMetadata: all(), policy: throttling('q') }],
      ['PUT', at('guarded', 'p'), { operationMetadata: all(), policy: throttling('p') }],
      ['DELETE', at('guarded', 'p'), { operationMetadata: all() }],
    ]
    for (const [method, url, body] of tries) {
      const res = await call(method, url, body, viewer)
      expect(res.statusCode, `${method} ${url}`).toBe(403)
      expect(res.json().error_description).toMatch(/ROLE_MANAGE_PROXIES/)
    }
  })

  it('checks the IP groups a policy names, and keeps a named group from being deleted', async () => {
    await proxy('walled')
    const ip = (groups: string[]) => ({
      type: 'policy-black-ip',
      ipList: ['10.0.0.1'],
      ipGroupNameList: groups,
    })
    const missing = await refused('POST', at('walled', 'block'), {
      operationMetadata: all(),
      policy: ip(['office', 'nowhere']),
    })
    expect(missing.validation_errors).toEqual([
      { field: 'policy.ipGroupNameList.1', message: expect.stringMatching(/nowhere/) },
    ])
    await add('walled', 'block', all(), ip(['office']))
    const group = '/apiops/projects/MyProject/ipGroups/office/'
    const inUse = await call('DELETE', group)
    expect(inUse.statusCode).toBe(409)
    expect(inUse.json().error_description).toMatch(/policy 'block' of API proxy 'walled'/)
    await ok('DELETE', at('walled', 'block'), { operationMetadata: all() })
    expect((await call('DELETE', group)).statusCode).toBe(200)
  })

  it('checks the certificate an API call names, and keeps it from being deleted', async () => {
    await proxy('calling')
    const pem = readFileSync(new URL('./fixtures/certificates/valid.pem', import.meta.url), 'utf8')
    const form = multipart([
      ['name', 'client-tls'],
      ['pemEncodedFile', pem, 'file'],
    ])
    const cert = await ctx.app.inject({
      method: 'POST',
      url: '/apiops/projects/MyProject/certificates/',
      headers: { ...bearer(admin), ...form.headers },
      payload: form.payload,
    })
    expect(cert.statusCode, cert.body).toBe(200)
    const call = (certificateName: string) => ({
      operationMetadata: all(),
      policy: {
        type: 'policy-api-call',
        callType: 'ONE_WAY',
        httpMethod: 'POST',
        url: 'https://audit.example.com/events',
        certificateEnabled: true,
        certificateName,
      },
    })
    const missing = await refused('POST', at('calling', 'notify'), call('no-such-cert'))
    expect(missing.validation_errors).toEqual([
      { field: 'policy.certificateName', message: expect.stringMatching(/no-such-cert/) },
    ])
    await ok('POST', at('calling', 'notify'), call('client-tls'))
    const url = '/apiops/projects/MyProject/certificates/client-tls/'
    const inUse = await ctx.app.inject({ method: 'DELETE', url, headers: bearer(admin) })
    expect(inUse.statusCode).toBe(409)
    expect(inUse.json().error_description).toMatch(/policy 'notify' of API proxy 'calling'/)
    await ok('DELETE', at('calling', 'notify'), { operationMetadata: all() })
    expect(
      (await ctx.app.inject({ method: 'DELETE', url, headers: bearer(admin) })).statusCode,
    ).toBe(200)
  })

  it("refuses what a type's own rules refuse, naming the field", async () => {
    await proxy('rules')
    const v = { type: 'HEADER', headerName: 'X-In' }
    const cases: [Json, string][] = [
      [{ type: 'policy-black-ip', ipList: ['10.0.0.300'] }, 'policy.ipList.0'],
      [
        {
          type: 'policy-auth-jwt',
          jwtSignatureAlgorithm: 'HS256',
          tokenNeverExpires: false,
          tokenExpiresInUnit: 'HOURS',
        },
        'policy.tokenExpiresInAmount',
      ],
      [
        { type: 'policy-business-rule', actionList: [{ actionType: 'MODIFY', sourceVar: v }] },
        'policy.actionList.0.operator',
      ],
      [
        {
          type: 'policy-encryption',
          policyEncryptionDefList: [
            {
              sourceVar: v,
              targetVar: v,
              cipherAlgorithm: 'RSA_ECB_PKCS1Padding',
              enumKeyCertificateType: 'CERTIFICATE',
              outputEncodingType: 'BASE64',
            },
          ],
        },
        'policy.policyEncryptionDefList.0.certificateId',
      ],
      [
        {
          type: 'policy-api-call',
          callType: 'ONE_WAY',
          httpMethod: 'GET',
          url: 'https://x.example',
          enableCache: true,
          capacity: 10,
        },
        'policy.ttl',
      ],
      [
        {
          type: 'policy-api-authentication',
          authType: 'BASIC',
          apiAuthCondExpressionList: [{ username: 'u', password: 'p' }],
        },
        'policy.sendType',
      ],
    ]
    for (const [policy, field] of cases) {
      const res = await refused('POST', at('rules', 'r'), { operationMetadata: all(), policy })
      expect(
        res.validation_errors.map((e: Json) => e.field),
        policy.type,
      ).toEqual([field])
    }
    expect((await listed('rules')).requestPolicyList).toEqual([])
  })

  it('records each change in the audit log, never a value', async () => {
    await proxy('audited')
    await add('audited', 'p')
    await ok('PUT', at('audited', 'p'), { operationMetadata: all(), policy: throttling('p') })
    await ok('DELETE', at('audited', 'p'), { operationMetadata: all() })
    await ctx.services.audit.flush()
    const rows = await ctx.store.db
      .selectFrom('audit_events')
      .select(['action', 'target'])
      .where('action', 'like', 'policy.%')
      .where('target', 'like', '%proxy=audited%')
      .execute()
    expect(rows.map((r) => r.action).sort()).toEqual([
      'policy.added',
      'policy.deleted',
      'policy.updated',
    ])
    for (const row of rows)
      expect(row.target).toMatch(/policy=p.*type=policy-api-based-throttling.*scope=ALL/)
  })
})
