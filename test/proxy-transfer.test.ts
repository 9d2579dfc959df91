import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import yauzl from 'yauzl'
import {
  calculatorZip,
  declareSizes,
  rename,
  specForm,
  upload,
  zip,
} from './fixtures/spec-upload.ts'
import { bearer, buildTestApp, dialects, makeUser, type TestContext, tokenFor } from './helpers.ts'

/*
 * Proxy export and import: a round trip between two servers with their own databases,
 * override, secrets kept out of the archive, and every way an archive can be refused.
 */

const MAX_BYTES = 2 * 1024 * 1024
const OPENAPI = {
  openapi: '3.0.3',
  info: { title: 'Pets', version: '1' },
  servers: [{ url: 'https://pets.backend.example/v1' }],
  paths: {
    '/pets': {
      get: { operationId: 'listPets', summary: 'List pets' },
      post: { operationId: 'createPet' },
    },
    '/pets/{id}': { get: { operationId: 'getPet', responses: { 200: { description: 'ok' } } } },
  },
}
const SECRETS = ['s3cret-api-key-value', 'ntlm-pa55word', 'proxy-pa55word']
const OIDC_SECRET = 'oidc-client-s3cret'
const AUTH_SECRET = 'backend-auth-pa55'
const throttling = (count: number) => ({
  type: 'policy-api-based-throttling',
  targetVariableForIdentity: { type: 'HEADER', headerName: 'X-API-Key' },
  messageCountForInterval: count,
  throttlingInterval: 'ONE_MINUTE',
  intervalPeriodLength: 1,
  intervalWindowType: 'FIXED',
})
const onEndpoint = (pipeline: string, method: string, name: string) => ({
  targetScope: 'ENDPOINT',
  targetEndpoint: name,
  targetEndpointHTTPMethod: method,
  targetPipeline: pipeline,
  deploy: false,
})
const CONDITION = {
  conditionRuleList: [
    {
      conditionCriteria: 'VALUE',
      firstVariable: { name: 'userType', type: 'HEADER', headerName: 'X-User-Type' },
      variableDataType: 'STRING',
      valueComparisonOperator: 'EQ',
      secondValueSource: 'VALUE',
      secondValue: 'PREMIUM',
    },
  ],
}
/** Policies of several types, scopes and pipelines, one with a condition and one a secret. */
const POLICIES: [string, Record<string, unknown>][] = [
  [
    'throttle',
    {
      operationMetadata: { targetScope: 'ALL', targetPipeline: 'REQUEST', deploy: false },
      policy: {
        ...throttling(100),
        policyCondition: CONDITION,
      },
    },
  ],
  [
    'login',
    {
      operationMetadata: { targetScope: 'ALL', targetPipeline: 'REQUEST', deploy: false, order: 1 },
      policy: {
        type: 'policy-oidc',
        issuer: 'https://id.example',
        authorizationEndpoint: 'https://id.example/auth',
        tokenEndpoint: 'https://id.example/token',
        clientId: 'pets',
        clientSecret: OIDC_SECRET,
        redirectUri: 'https://app.example/cb',
        scopes: ['openid'],
      },
    },
  ],
  [
    'backend-auth',
    {
      operationMetadata: onEndpoint('RESPONSE', 'GET', '/pets/{id}'),
      policy: {
        type: 'policy-api-authentication',
        authType: 'BASIC',
        sendType: 'HEADER',
        apiAuthCondExpressionList: [{ username: 'svc', password: AUTH_SECRET }],
      },
    },
  ],
  [
    'on-error',
    {
      operationMetadata: onEndpoint('ERROR', 'DELETE', '/pets/{id}'),
      policy: { ...throttling(5), active: false },
    },
  ],
]

/** The archive's entries as text (every entry of ours is text). */
async function entries(bytes: Buffer): Promise<Map<string, string>> {
  const archive = await yauzl.fromBufferPromise(bytes, { lazyEntries: true })
  const out = new Map<string, string>()
  for (;;) {
    const entry = await new Promise<yauzl.Entry | null>((resolve, reject) => {
      archive
        .once('entry', resolve)
        .once('end', () => resolve(null))
        .once('error', reject)
      archive.readEntry()
    })
    if (!entry) break
    archive.removeAllListeners()
    const chunks: Buffer[] = []
    for await (const c of await archive.openReadStreamPromise(entry)) chunks.push(c as Buffer)
    out.set(entry.fileName, Buffer.concat(chunks).toString('utf8'))
  }
  return out
}

const importForm = (bytes: Buffer, metadata?: unknown, filename = 'apiProxyExportFile.zip') =>
  specForm([
    { name: 'apiProxyExportFile', value: bytes, filename },
    ...(metadata === undefined ? [] : [{ name: 'metadata', value: JSON.stringify(metadata) }]),
  ])

describe.each(dialects())('API proxy export and import (%s)', (dialect) => {
  let a: TestContext
  let b: TestContext
  let adminA: string
  let adminB: string
  let exported: Buffer
  let c: TestContext
  let adminC: string

  const call = (ctx: TestContext, token: string, method: string, url: string, payload?: unknown) =>
    ctx.app.inject({
      method: method as 'GET',
      url,
      headers: bearer(token),
      payload: payload as never,
    })
  const exportOf = async (ctx: TestContext, token: string, project: string, name: string) => {
    const res = await call(
      ctx,
      token,
      'GET',
      `/apiops/projects/${project}/apiProxies/${name}/export/`,
    )
    expect(res.statusCode, res.body).toBe(200)
    return res.rawPayload
  }
  const importInto = (
    ctx: TestContext,
    token: string,
    url: string,
    form: ReturnType<typeof importForm>,
    method = 'POST',
  ) =>
    ctx.app.inject({
      method: method as 'POST',
      url,
      headers: { ...bearer(token), ...form.headers },
      payload: form.payload,
    })

  beforeAll(async () => {
    const env = { APIOPS_SPEC_MAX_BYTES: String(MAX_BYTES) }
    a = await buildTestApp(dialect, { env })
    b = await buildTestApp(dialect, { env })
    c = await buildTestApp(dialect, {
      env: { ...env, APIOPS_SPEC_FETCH_ALLOWLIST: '127.0.0.1/32' },
    })
    adminC = (await tokenFor(c, (await makeUser(c, 'root', ['ROLE_ADMIN'])).id)).token
    expect((await call(c, adminC, 'POST', '/apiops/projects/', { name: 'Gamma' })).statusCode).toBe(
      201,
    )
    adminA = (await tokenFor(a, (await makeUser(a, 'root', ['ROLE_ADMIN'])).id)).token
    adminB = (await tokenFor(b, (await makeUser(b, 'root', ['ROLE_ADMIN'])).id)).token
    expect((await call(a, adminA, 'POST', '/apiops/projects/', { name: 'Alpha' })).statusCode).toBe(
      201,
    )
    expect((await call(b, adminB, 'POST', '/apiops/projects/', { name: 'Beta' })).statusCode).toBe(
      201,
    )
    const specUpload = upload(
      {
        apiProxyName: 'pets',
        apiProxyCreationType: 'OPEN_API',
        apiProxyDescription: 'Pets API',
        enableWSA: true,
      },
      { name: 'pets.json', bytes: JSON.stringify(OPENAPI) },
    )
    const made = await a.app.inject({
      method: 'POST',
      url: '/apiops/projects/Alpha/apiProxies/file/',
      headers: { ...bearer(adminA), ...specUpload.headers },
      payload: specUpload.payload,
    })
    expect(made.statusCode, made.body).toBe(200)
    const base = '/apiops/projects/Alpha/apiProxies/pets/settings'
    for (const [path, body] of [
      [
        'cors',
        { name: 'CORS', corsActive: true, allowOriginList: ['https://app.example'], maxAge: 60 },
      ],
      ['cache', { name: 'Cache', handlingAction: 'CONTINUE', cacheActive: true, ttl: 30 }],
      ['keys', { publicKey: 'public-one', secretKey: SECRETS[0] }],
      ['ntlm', { enabled: true, domain: 'CORP', username: 'svc', password: SECRETS[1] }],
      [
        'proxy-server',
        {
          proxyEnabled: true,
          proxyHost: 'squid.example',
          proxyPort: 3128,
          proxyAuthorizationNeeded: true,
          proxyUsername: 'u',
          proxyPassword: SECRETS[2],
        },
      ],
      ['metadata', { categoryList: ['animals'], sharingType: 'BOTH' }],
    ] as const) {
      const res = await call(a, adminA, 'PATCH', `${base}/${path}/`, body)
      expect(res.statusCode, `${path}: ${res.body}`).toBe(200)
    }
    expect((await call(a, adminA, 'PATCH', `${base}/hide-spec-file/true/`)).statusCode).toBe(200)
    // A hand-made endpoint beside the spec's (only the export can carry it), a spec
    // endpoint turned off, and one with its own cache settings.
    const endpoints = '/apiops/projects/Alpha/apiProxies/pets/endpoints'
    for (const [method, url, body] of [
      [
        'POST',
        `${endpoints}/`,
        {
          name: '/pets/{id}',
          httpMethod: 'DELETE',
          description: 'by hand',
          backendResourceUrl: '/v2/pets/{id}',
          backendHttpMethod: 'POST',
        },
      ],
      [
        'PATCH',
        `${endpoints}/status/`,
        { identifierName: '/pets', identifierHttpMethod: 'POST', active: false },
      ],
      [
        'PATCH',
        `${endpoints}/cache/`,
        {
          identifierName: '/pets',
          identifierHttpMethod: 'GET',
          cacheSettings: {
            name: 'List cache',
            handlingAction: 'CONTINUE',
            cacheActive: true,
            ttl: 45,
          },
        },
      ],
    ] as const) {
      const res = await call(a, adminA, method, url, body)
      expect(res.statusCode, `${url}: ${res.body}`).toBe(200)
    }
    for (const [name, body] of POLICIES) {
      const url = `/apiops/projects/Alpha/apiProxies/pets/policies/${name}/`
      const res = await call(a, adminA, 'POST', url, body)
      expect(res.statusCode, `${name}: ${res.body}`).toBe(200)
    }
    exported = await exportOf(a, adminA, 'Alpha', 'pets')
  })
  const policiesIn = async (ctx: TestContext, token: string, project: string) => {
    const url = `/apiops/projects/${project}/apiProxies/pets/policies/`
    const res = await call(ctx, token, 'GET', url)
    expect(res.statusCode, res.body).toBe(200)
    const list = res.json().resultList[0]
    const names = (l: { name: string }[] = []) => l.map((p) => p.name).join(',')
    return [
      `ALL ${names(list.requestPolicyList)}|${names(list.responsePolicyList)}|${names(list.errorPolicyList)}`,
      ...list.endpointList.map(
        (e: Record<string, { name: string }[]>) =>
          `${e.httpMethod} ${e.endpoint} ${names(e.requestPolicyList)}|${names(e.responsePolicyList)}|${names(e.errorPolicyList)}`,
      ),
    ]
  }
  afterAll(async () => {
    await a?.close()
    await b?.close()
    await c?.close()
  })

  it('answers a ZIP with the documented headers, the spec byte for byte, and no secret', async () => {
    const res = await call(a, adminA, 'GET', '/apiops/projects/Alpha/apiProxies/pets/export')
    expect(res.headers['content-type']).toBe('application/octet-stream')
    expect(res.headers['content-disposition']).toBe('attachment; filename="apiProxyExportFile.zip"')
    const files = await entries(exported)
    expect([...files.keys()].sort()).toEqual(
      [
        'endpoints.json',
        'manifest.json',
        'policies.json',
        'proxy.json',
        'settings.json',
        'spec/pets.json',
      ].sort(),
    )
    expect(files.get('spec/pets.json')).toBe(JSON.stringify(OPENAPI))
    const manifest = JSON.parse(files.get('manifest.json') as string)
    expect(manifest).toMatchObject({
      format: 'apiops-proxy-export',
      formatVersion: 2,
      spec: { kind: 'OPEN_API', fileName: 'pets.json' },
    })
    expect(manifest.omittedSecrets.sort()).toEqual([
      'policy backend-auth: apiAuthCondExpressionList.0.password',
      'policy login: clientSecret',
      'settings.apiKeys.secretKey',
      'settings.ntlm.password',
      'settings.proxyServer.proxyPassword',
    ])
    const sealed = (
      await a.store.db.selectFrom('proxy_settings').select('settings').executeTakeFirstOrThrow()
    ).settings
    const sealedValues = [JSON.parse(sealed).apiKeys.secretKey, JSON.parse(sealed).ntlm.password]
    const sealedPolicy = JSON.parse(
      (
        await a.store.db
          .selectFrom('proxy_policies')
          .select('policy')
          .where('name', '=', 'login')
          .executeTakeFirstOrThrow()
      ).policy,
    ).clientSecret
    expect(sealedPolicy).not.toBe(OIDC_SECRET)
    const text = [...files.values()].join('\n') + exported.toString('latin1')
    for (const secret of [...SECRETS, ...sealedValues, OIDC_SECRET, AUTH_SECRET, sealedPolicy])
      expect(text).not.toContain(secret)
    expect(exported.includes(Buffer.from(OIDC_SECRET))).toBe(false)
    const policies = JSON.parse(files.get('policies.json') as string)
    // order 1 in a list of one is its end, as the add page documents.
    expect(policies.map((p: { name: string }) => p.name)).toEqual([
      'throttle',
      'login',
      'backend-auth',
      'on-error',
    ])
    expect(policies[1].policy).not.toHaveProperty('clientSecret')
    expect(policies[2].policy.apiAuthCondExpressionList).toEqual([{ username: 'svc' }])
    expect(policies[1].operationMetadata.order).toBe(2)
    expect(policies[0]).toMatchObject({
      operationMetadata: { targetScope: 'ALL', targetPipeline: 'REQUEST', order: 1 },
      policy: {
        policyCondition: CONDITION,
      },
    })
    expect(policies[3].operationMetadata).toEqual({
      targetScope: 'ENDPOINT',
      targetEndpoint: '/pets/{id}',
      targetEndpointHTTPMethod: 'DELETE',
      targetPipeline: 'ERROR',
      order: 1,
    })
    expect(JSON.parse(files.get('settings.json') as string).apiKeys).toEqual({
      publicKey: 'public-one',
      secretKey: null,
    })
  })

  it('round trip: imported into another server and project, it exports the same content', async () => {
    const res = await importInto(
      b,
      adminB,
      '/apiops/projects/Beta/apiProxies/import/',
      importForm(exported),
    )
    expect(res.statusCode, res.body).toBe(200)
    const answer = res.json()
    expect(answer.secretsToSetAgain).toHaveLength(5)
    expect(answer.secretsToSetAgain).toContain('policy login: clientSecret')
    expect(await policiesIn(b, adminB, 'Beta')).toEqual(await policiesIn(a, adminA, 'Alpha'))
    expect(await policiesIn(b, adminB, 'Beta')).toEqual([
      'ALL throttle,login||',
      'GET /pets ||',
      'POST /pets ||',
      'GET /pets/{id} |backend-auth|',
      'DELETE /pets/{id} ||on-error',
    ])
    const strip = (list: Record<string, unknown>[]) => list.map(({ id: _id, ...rest }) => rest)
    const source = await call(a, adminA, 'GET', '/apiops/projects/Alpha/apiProxies/pets/')
    expect(strip(answer.apiProxy.endpoints)).toEqual(strip(source.json().endpoints))
    expect(
      answer.apiProxy.endpoints.map(
        (e: { endpoint: string; httpMethod: string; active: boolean; origin: string }) =>
          `${e.httpMethod} ${e.endpoint} ${e.active} ${e.origin}`,
      ),
    ).toEqual([
      'GET /pets true spec',
      'POST /pets false spec',
      'GET /pets/{id} true spec',
      'DELETE /pets/{id} true manual',
    ])
    expect(answer.apiProxy.endpoints[0].cacheSettings).toMatchObject({
      name: 'List cache',
      ttl: 45,
    })
    expect(answer.apiProxy.settings.hideSpecFile).toBe(true)
    expect(answer.apiProxy.settings.ntlm).toMatchObject({
      enabled: true,
      username: 'svc',
      password: null,
    })
    const again = await entries(await exportOf(b, adminB, 'Beta', 'pets'))
    const first = await entries(exported)
    for (const name of [
      'proxy.json',
      'settings.json',
      'endpoints.json',
      'policies.json',
      'spec/pets.json',
    ]) {
      expect(again.get(name), name).toBe(first.get(name))
    }
    const [m1, m2] = [first, again].map((f) => JSON.parse(f.get('manifest.json') as string))
    expect(m2.spec).toEqual(m1.spec)
    expect(m2.exportedFrom).toEqual({ project: 'Beta', proxy: 'pets' })
    expect(m2.omittedSecrets).toEqual([])
    const stored = await b.store.db
      .selectFrom('proxy_spec_files')
      .selectAll()
      .executeTakeFirstOrThrow()
    expect(stored).toMatchObject({
      file_name: 'pets.json',
      kind: 'OPEN_API',
      size: JSON.stringify(OPENAPI).length,
    })
  })

  it('POST refuses a name the project has (409); PUT overrides it, keeping deployments that then need a redeploy', async () => {
    const again = await importInto(
      b,
      adminB,
      '/apiops/projects/Beta/apiProxies/import/',
      importForm(exported),
    )
    expect(again.statusCode).toBe(409)
    expect(again.json().error).toBe('duplicate_name')
    const env = await call(b, adminB, 'POST', '/apiops/environments/', {
      name: 'test',
      type: 'TEST',
      accessUrl: 'https://t.example',
      projects: ['Beta'],
    })
    expect(env.statusCode, env.body).toBe(201)
    const deployed = await call(
      b,
      adminB,
      'POST',
      '/apiops/projects/Beta/apiProxies/pets/environments/test/',
    )
    expect(deployed.statusCode, deployed.body).toBe(200)
    await call(a, adminA, 'PATCH', '/apiops/projects/Alpha/apiProxies/pets/settings/metadata/', {
      description: 'Changed',
    })
    const changed = await exportOf(a, adminA, 'Alpha', 'pets')
    const put = await importInto(
      b,
      adminB,
      '/apiops/projects/Beta/apiProxies/pets/import/',
      importForm(changed, { deploy: false }),
      'PUT',
    )
    expect(put.statusCode, put.body).toBe(200)
    expect(put.json().apiProxy.description).toBe('Changed')
    expect(put.json().apiProxy.deploymentList).toEqual([
      expect.objectContaining({ environmentName: 'test', deployed: true, redeployRequired: true }),
    ])
    const renamed = await importInto(
      b,
      adminB,
      '/apiops/projects/Beta/apiProxies/cats/import/',
      importForm(changed, { routing: { addressList: [{ address: 'https://cats.example' }] } }),
      'PUT',
    )
    expect(renamed.statusCode).toBe(409)
    expect(renamed.json().error_description).toContain("Relative path '/pets'")
  })

  it('reads a version 1 archive (no policies.json, or an empty list); PUT replaces the policies', async () => {
    const files = await entries(exported)
    const version1 = (policies: string | null) =>
      zip(
        [...files].flatMap(([name, text]) => {
          if (name === 'policies.json') return policies === null ? [] : [{ name, bytes: policies }]
          const bytes =
            name === 'manifest.json'
              ? text
                  .replace('"formatVersion": 2', '"formatVersion": 1')
                  .replace(/,\s*"policy [^"]*"/g, '')
              : text
          return [{ name, bytes }]
        }),
      )
    const url = '/apiops/projects/Beta/apiProxies/pets/import/'
    const none = [
      'ALL ||',
      'GET /pets ||',
      'POST /pets ||',
      'GET /pets/{id} ||',
      'DELETE /pets/{id} ||',
    ]
    for (const policies of [null, '[]\n']) {
      const put = await importInto(b, adminB, url, importForm(await version1(policies)), 'PUT')
      expect(put.statusCode, put.body).toBe(200)
      expect(put.json().secretsToSetAgain).toHaveLength(3)
      expect(await policiesIn(b, adminB, 'Beta')).toEqual(none)
    }
    const back = await importInto(b, adminB, url, importForm(exported), 'PUT')
    expect(back.statusCode, back.body).toBe(200)
    expect(await policiesIn(b, adminB, 'Beta')).toEqual(await policiesIn(a, adminA, 'Alpha'))
  })

  it('refuses archives that are not exports, unsafe or too large, with a 400 that says why', async () => {
    const files = await entries(exported)
    const rebuilt = (change: (name: string, text: string) => string | null) =>
      zip(
        [...files].flatMap(([name, text]) => {
          const next = change(name, text)
          return next === null ? [] : [{ name, bytes: next }]
        }),
      )
    const cases: [string, Buffer, string, string?][] = [
      ['not a zip', Buffer.from('just text'), 'is not a ZIP archive'],
      [
        'traversal',
        rename(
          await zip(
            [...files].map(([name, bytes]) => ({
              name: name === 'policies.json' ? 'xxxxxxxxxxxxx' : name,
              bytes,
            })),
          ),
          'xxxxxxxxxxxxx',
          '../../etc/pwd',
        ),
        'not a plain relative path',
      ],
      [
        'bomb',
        await zip([{ name: 'manifest.json', bytes: Buffer.alloc(3 * 1024 * 1024, 32) }]),
        'zip bomb',
      ],
      ['oversize', declareSizes(exported, 0x7fffffff), 'limit'],
      [
        'wrong version',
        await rebuilt((n, t) =>
          n === 'manifest.json' ? t.replace('"formatVersion": 2', '"formatVersion": 3') : t,
        ),
        'format versions 1 and 2 only',
      ],
      [
        'no manifest',
        await rebuilt((n, t) => (n === 'manifest.json' ? null : t)),
        'no manifest.json',
      ],
      [
        'stranger entry',
        await zip([
          ...[...files]
            .filter(([name]) => name !== 'policies.json')
            .map(([name, bytes]) => ({ name, bytes })),
          { name: 'extra.txt', bytes: 'x' },
        ]),
        'extra.txt',
      ],
      [
        'too many entries',
        await zip([
          ...[...files].map(([name, bytes]) => ({ name, bytes })),
          { name: 'extra.txt', bytes: 'x' },
        ]),
        'more than the limit of 6',
      ],
      ['tampered spec', await rebuilt((n, t) => (n === 'spec/pets.json' ? `${t} ` : t)), 'SHA-256'],
      [
        'bad setting',
        await rebuilt((n, t) => (n === 'settings.json' ? t.replace('"ttl": 30', '"ttl": -4') : t)),
        'ttl',
      ],
      [
        'bad endpoint',
        await rebuilt((n, t) => (n === 'endpoints.json' ? t.replace('"DELETE"', '"FETCH"') : t)),
        'endpoints.json.3.httpMethod',
      ],
      [
        'a spec for a REVERSE_PROXY',
        await rebuilt((n, t) =>
          n === 'proxy.json' ? t.replace('"OPEN_API"', '"REVERSE_PROXY"') : t,
        ),
        'must be null for a REVERSE_PROXY',
      ],
      [
        'bad policy',
        await rebuilt((n, t) =>
          n === 'policies.json' ? t.replace('"ONE_MINUTE"', '"ONE_AGE"') : t,
        ),
        'apiProxyExportFile:policies.json.0 (throttle).policy.throttlingInterval',
      ],
      [
        'policy of an unknown type',
        await rebuilt((n, t) =>
          n === 'policies.json' ? t.replace('"policy-oidc"', '"policy-x"') : t,
        ),
        'apiProxyExportFile:policies.json.1 (login).policy.type',
      ],
      [
        'policy on an endpoint not imported',
        await rebuilt((n, t) => (n === 'policies.json' ? t.replace('"DELETE"', '"PATCH"') : t)),
        'apiProxyExportFile:policies.json.3 (on-error).operationMetadata.targetEndpoint',
      ],
      [
        'a policy secret given as the mask',
        await rebuilt((n, t) =>
          n === 'policies.json'
            ? t.replace('"clientId": "pets"', '"clientId": "pets", "clientSecret": "********"')
            : t,
        ),
        'policies.json.1 (login).policy.clientSecret',
      ],
      [
        'an absolute backend URL the gateway could not honour',
        await rebuilt((n, t) =>
          n === 'endpoints.json' ? t.replace('"/v2/pets/{id}"', '"ftp://files.example/pets"') : t,
        ),
        'backendResourceUrl an absolute URL must start with http:// or https://',
      ],
      [
        'bad endpoint cache',
        await rebuilt((n, t) => (n === 'endpoints.json' ? t.replace('"ttl": 45', '"ttl": 0') : t)),
        'endpoints.json.0.cacheSettings.ttl',
      ],
    ]
    for (const [what, bytes, words] of cases) {
      const res = await importInto(
        b,
        adminB,
        '/apiops/projects/Beta/apiProxies/import/',
        importForm(bytes),
      )
      expect(res.statusCode, `${what}: ${res.body}`).toBe(400)
      expect(res.body, what).toContain(words)
    }
    const noExtension = await importInto(
      b,
      adminB,
      '/apiops/projects/Beta/apiProxies/import/',
      importForm(exported, undefined, 'export.bin'),
    )
    expect(noExtension.statusCode).toBe(400)
    expect(noExtension.json().error_description).toContain('must end with zip extension')
    const onlyMetadata = specForm([{ name: 'metadata', value: '{}' }])
    const missing = await importInto(
      b,
      adminB,
      '/apiops/projects/Beta/apiProxies/import/',
      onlyMetadata,
    )
    expect(missing.statusCode).toBe(400)
    expect(missing.json().error_description).toBe('apiProxyExportFile parameter can not be empty!')
    const json = await call(b, adminB, 'POST', '/apiops/projects/Beta/apiProxies/import/', {})
    expect(json.statusCode).toBe(415)
    const badMetadata = await importInto(
      b,
      adminB,
      '/apiops/projects/Beta/apiProxies/import/',
      importForm(exported, { deploy: 'yes' }),
    )
    expect(badMetadata.statusCode).toBe(400)
    expect(badMetadata.json().validation_errors).toEqual([
      { field: 'metadata.deploy', message: 'must be boolean' },
    ])
    const tooBig = await importInto(
      b,
      adminB,
      '/apiops/projects/Beta/apiProxies/import/',
      importForm(Buffer.alloc(MAX_BYTES + 1)),
    )
    expect(tooBig.statusCode).toBe(413)
    // A secret written into an archive by hand is not taken (nor anything unchecked).
    const smuggled = await rebuilt((n, t) =>
      n === 'settings.json' ? t.replace('"password": null', '"password": "smuggled"') : t,
    )
    expect((await entries(smuggled)).get('settings.json')).toContain('"password": "smuggled"')
    const put = await importInto(
      b,
      adminB,
      '/apiops/projects/Beta/apiProxies/pets/import/',
      importForm(smuggled),
      'PUT',
    )
    expect(put.statusCode, put.body).toBe(200)
    expect(put.json().apiProxy.settings.ntlm.password).toBeNull()
    const row = await b.store.db.selectFrom('proxy_settings').select('settings').execute()
    expect(JSON.stringify(row)).not.toContain('smuggled')
    const list = await call(b, adminB, 'GET', '/apiops/projects/Beta/apiProxies/')
    expect(list.json().resultList.map((p: { name: string }) => p.name)).toEqual(['pets'])
  })

  it('needs ROLE_MANAGE_PROXIES to export and import, and ROLE_DEPLOY_UNDEPLOY_PROXIES to deploy on import', async () => {
    const dev = (await tokenFor(b, (await makeUser(b, 'dev', ['ROLE_MANAGE_PROXIES'])).id)).token
    await call(b, adminB, 'POST', '/apiops/projects/Beta/members/', { username: 'dev' })
    const form = importForm(exported, {
      deploy: true,
      deployTargetEnvironmentNameList: ['test'],
      routing: {
        algorithm: 'ROUND_ROBIN',
        addressList: [{ address: 'https://other.example', weight: 3 }],
      },
      maintenanceMode: true,
    })
    const res = await importInto(
      b,
      dev,
      '/apiops/projects/Beta/apiProxies/pets/import/',
      form,
      'PUT',
    )
    expect(res.statusCode).toBe(403)
    expect(res.json().error_description).toContain('ROLE_DEPLOY_UNDEPLOY_PROXIES')
    const deployed = await importInto(
      b,
      adminB,
      '/apiops/projects/Beta/apiProxies/pets/import/',
      form,
      'PUT',
    )
    expect(deployed.statusCode, deployed.body).toBe(200)
    // The import page's shape (a message, environmentResults), not the deploy pages'.
    expect(deployed.json().deploymentResult).toEqual({
      success: true,
      message: 'Deployed to 1 environment',
      environmentResults: [{ environmentName: 'test', success: true, message: expect.any(String) }],
    })
    expect(deployed.json().apiProxy.routing).toMatchObject({
      loadBalanceAlgorithm: 'ROUND_ROBIN',
      routingAddressList: [
        { address: 'https://other.example', weight: 3, healthCheckEnabled: false },
      ],
    })
    expect(deployed.json().apiProxy.settings.maintenanceModeSetting.enabled).toBe(true)
    expect(deployed.json().apiProxy.deploymentList[0].redeployRequired).toBe(false)
  })

  it('carries a WSDL ZIP spec whole, and the spec a URL gave, kept on create and replaced on update', async () => {
    const wsdl = await calculatorZip()
    const form = upload(
      {
        apiProxyName: 'calc',
        apiProxyCreationType: 'WSDL',
        clientRoute: { relativePathList: ['/calc'] },
        routingInfo: { routingAddressList: [{ address: 'https://calc.example' }] },
      },
      { name: 'calculator.zip', bytes: wsdl },
    )
    const made = await a.app.inject({
      method: 'POST',
      url: '/apiops/projects/Alpha/apiProxies/file/',
      headers: { ...bearer(adminA), ...form.headers },
      payload: form.payload,
    })
    expect(made.statusCode, made.body).toBe(200)
    const wsa = await call(
      a,
      adminA,
      'PATCH',
      '/apiops/projects/Alpha/apiProxies/calc/endpoints/wsa/',
      {
        identifierName: '/Add',
        identifierHttpMethod: 'POST',
        wsaSettings: {
          wsaEnabled: true,
          wsaAddDefaultAction: true,
          wsaAddDefaultTo: true,
          wsaGenerateMessageId: true,
        },
      },
    )
    expect(wsa.statusCode, wsa.body).toBe(200)
    const zipped = await exportOf(a, adminA, 'Alpha', 'calc')
    const res = await importInto(
      b,
      adminB,
      '/apiops/projects/Beta/apiProxies/import/',
      importForm(zipped),
    )
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json().apiProxy.endpoints).toHaveLength(4)
    expect(res.json().apiProxy.endpoints[0]).toMatchObject({
      endpoint: '/Add',
      soapAction: 'http://calculator.example/Add',
      wsaSettings: { wsaEnabled: true, wsaVersion: 'V200508' },
    })
    const stored = await b.store.db
      .selectFrom('proxy_spec_files')
      .innerJoin('api_proxies', 'api_proxies.id', 'proxy_spec_files.proxy_id')
      .select(['kind', 'content', 'file_name'])
      .where('api_proxies.name', '=', 'calc')
      .executeTakeFirstOrThrow()
    expect(stored.kind).toBe('ZIP')
    expect(stored.file_name).toBe('calculator.zip')
    expect(Buffer.from(stored.content).equals(wsdl)).toBe(true)

    let served = JSON.stringify(OPENAPI)
    const server: Server = createServer((_req, reply) => reply.end(served))
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/specs/openapi.json`
      const body = { apiProxyName: 'fetched', apiProxyCreationType: 'OPEN_API', specUrl: url }
      expect(
        (await call(c, adminC, 'POST', '/apiops/projects/Gamma/apiProxies/url/', body)).statusCode,
      ).toBe(200)
      const specOf = () =>
        c.store.db
          .selectFrom('proxy_spec_files')
          .select(['file_name', 'content_type', 'sha256', 'content'])
          .executeTakeFirstOrThrow()
      const first = await specOf()
      expect(first).toMatchObject({ file_name: 'openapi.json', content_type: 'application/json' })
      served = JSON.stringify({ ...OPENAPI, info: { title: 'Pets', version: '2' } })
      expect(
        (await call(c, adminC, 'PUT', '/apiops/projects/Gamma/apiProxies/url/', body)).statusCode,
      ).toBe(200)
      const second = await specOf()
      expect(second.sha256).not.toBe(first.sha256)
      expect(Buffer.from(second.content).toString()).toBe(served)
    } finally {
      server.close()
    }
  })

  it('keeps a client route without paths (by host only) through the round trip', async () => {
    const body = {
      apiProxyName: 'hosts',
      apiProxyCreationType: 'REVERSE_PROXY',
      routingInfo: { routingAddressList: [{ address: 'https://hosts.internal' }] },
    }
    expect(
      (await call(a, adminA, 'POST', '/apiops/projects/Alpha/apiProxies/url/', body)).statusCode,
    ).toBe(200)
    const patched = await call(
      a,
      adminA,
      'PATCH',
      '/apiops/projects/Alpha/apiProxies/hosts/settings/client-route/',
      {
        relativePathList: null,
        hostList: ['api.example'],
      },
    )
    expect(patched.statusCode, patched.body).toBe(200)
    const first = await exportOf(a, adminA, 'Alpha', 'hosts')
    const res = await importInto(
      b,
      adminB,
      '/apiops/projects/Beta/apiProxies/import/',
      importForm(first),
    )
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json().apiProxy.clientRoute).toMatchObject({
      relativePathList: [],
      virtualHostList: ['api.example'],
    })
    const again = await entries(await exportOf(b, adminB, 'Beta', 'hosts'))
    expect(again.get('proxy.json')).toBe((await entries(first)).get('proxy.json'))
  })
})
