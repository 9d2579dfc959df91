import { generateKeyPairSync } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { certificateUpload } from './fixtures/multipart.ts'
import {
  bearer,
  buildTestApp,
  dialects,
  form,
  makeUser,
  PASSWORD,
  type TestContext,
  tokenFor,
} from './helpers.ts'

/**
 * Issue 9, sections 6 and 8: the console login cannot be forged by another site, and
 * the odd corners of the request space (prototype names, broken URLs, bodies without
 * a type, other projects' environments, invisible characters) answer from the error
 * catalogue, the same way whoever asks.
 */

/** Names that look like a name and are not one: each must be refused wherever a name goes. */
const DECEPTIVE = {
  'a bidi override': 'invoice\u202Etxt.exe',
  'a bidi isolate': 'a\u2066b',
  'a zero-width space': 'admin\u200B',
  'a zero-width joiner': 'a\u200Db',
  'a byte order mark': '\uFEFFname',
  'a soft hyphen': 'pay\u00ADments',
  'a tag character': 'a\u{E0041}b',
  'a NUL': 'a\u0000b',
} as const

describe.each(dialects())('edges (%s)', (dialect) => {
  let ctx: TestContext
  let admin: string
  const call = (method: string, url: string, payload?: unknown, headers = bearer(admin)) =>
    ctx.app.inject({
      method: method as 'GET',
      url,
      headers,
      ...(payload === undefined ? {} : { payload: payload as object }),
    })

  beforeAll(async () => {
    ctx = await buildTestApp(dialect)
    const user = await makeUser(ctx, 'root', ['ROLE_ADMIN'])
    admin = (await tokenFor(ctx, user.id)).token
  })
  afterAll(() => ctx.close())

  describe('the console login (login CSRF)', () => {
    const login = (headers: Record<string, string>, payload: string) =>
      ctx.app.inject({ method: 'POST', url: '/apiops/session/', headers, payload })
    const json = JSON.stringify({ username: 'root', password: PASSWORD })

    it('takes JSON only: a form post with the right password logs nobody in', async () => {
      const res = await login(
        { 'content-type': 'application/x-www-form-urlencoded' },
        new URLSearchParams({ username: 'root', password: PASSWORD }).toString(),
      )
      expect(res.statusCode).toBe(415)
      expect(res.json().error).toBe('unsupported_media_type')
      expect(res.json().error_description).toContain('application/json')
      expect(res.headers['set-cookie']).toBeUndefined()
      for (const type of ['text/plain', 'multipart/form-data; boundary=x', '']) {
        const other = await login(type ? { 'content-type': type } : {}, json)
        expect(other.statusCode, type).toBe(415)
        expect(other.headers['set-cookie']).toBeUndefined()
      }
    })

    it.each([
      ['an Origin of another site', { origin: 'https://evil.example' }],
      ['an Origin of a sibling subdomain', { origin: 'http://evil.localhost:80' }],
      ['Sec-Fetch-Site: cross-site', { 'sec-fetch-site': 'cross-site' }],
      ['Sec-Fetch-Site: same-site', { 'sec-fetch-site': 'same-site' }],
      ['Origin: null (a sandboxed frame)', { origin: 'null' }],
    ])('refuses a login carrying %s, before looking at the password', async (_, headers) => {
      const res = await login({ 'content-type': 'application/json', ...headers }, json)
      expect(res.statusCode).toBe(403)
      expect(res.json()).toEqual({
        error: 'forbidden',
        error_description: expect.stringContaining("another site's page"),
      })
      expect(res.headers['set-cookie']).toBeUndefined()
    })

    it('logs in from its own page, and from a client that names no origin', async () => {
      const own = await login(
        {
          'content-type': 'application/json',
          origin: 'http://localhost:80',
          host: 'localhost:80',
          'sec-fetch-site': 'same-origin',
        },
        json,
      )
      expect(own.statusCode, own.body).toBe(200)
      const script = await login({ 'content-type': 'application/json; charset=utf-8' }, json)
      expect(script.statusCode).toBe(200)
      expect(String(script.headers['set-cookie'])).toContain('HttpOnly')
    })
  })

  describe('lists look fields up as their own, never on Object.prototype', () => {
    const PROTOTYPE_NAMES = [
      'valueOf',
      'constructor',
      'toString',
      'hasOwnProperty',
      'isPrototypeOf',
      'propertyIsEnumerable',
      'toLocaleString',
    ]

    it('answers 400 invalid_parameter on every list that sorts, with items in it', async () => {
      await seedOneOfEverything()
      const document = (await ctx.app.inject({ url: '/apiops/openapi.json' })).json()
      const lists = Object.entries(
        document.paths as Record<string, { get?: { parameters?: { name: string }[] } }>,
      )
        .filter(([, item]) => item.get?.parameters?.some((p) => p.name === 'sort'))
        .map(([path]) => fillPath(path))
      // Guard: this test must see every sortable list (14 today), so it cannot pass empty.
      expect(lists.length).toBeGreaterThanOrEqual(14)
      for (const url of lists) {
        const plain = await call('GET', url)
        expect(plain.statusCode, url).toBe(200)
        expect(plain.json().resultList.length, `${url} must list something`).toBeGreaterThan(0)
        for (const name of PROTOTYPE_NAMES) {
          const res = await call('GET', `${url}?sort=${name},desc`)
          expect(res.statusCode, `${url} sort=${name}`).toBe(400)
          expect(['invalid_parameter', 'validation_failed']).toContain(res.json().error)
          expect(res.json().error_description).toContain('sort')
        }
      }
    })
  })

  describe('URLs the router cannot read', () => {
    const CASES = [
      ['a truncated percent-escape', '/apiops/projects/%E0%A4%A/', 400, 'bad_request'],
      ['a percent-escape that is not UTF-8', '/apiops/projects/%C0%AF/', 400, 'bad_request'],
      ['a lone percent sign', '/apiops/projects/100%/', 400, 'bad_request'],
      [
        'an over-long path parameter',
        `/apiops/projects/${'a'.repeat(501)}/`,
        400,
        'invalid_parameter',
      ],
    ] as const

    it.each(CASES)(
      'answers %s from the catalogue, with or without a token',
      async (_, url, status, code) => {
        for (const headers of [{}, bearer(admin), { authorization: 'Bearer junk' }]) {
          const res = await ctx.app.inject({ url, headers })
          expect(res.statusCode, url).toBe(status)
          expect(res.headers['content-type']).toContain('application/json')
          const body = res.json()
          expect(Object.keys(body).sort()).toEqual(['error', 'error_description'])
          expect(body.error).toBe(code)
          expect(res.body).not.toContain('FST_')
        }
      },
    )
  })

  it('names prototype poisoning instead of calling valid JSON invalid', async () => {
    for (const payload of [
      '{"name":"p","__proto__":{"x":1}}',
      '{"constructor":{"prototype":{}}}',
    ]) {
      const res = await ctx.app.inject({
        method: 'POST',
        url: '/apiops/projects/',
        headers: { ...bearer(admin), 'content-type': 'application/json' },
        payload,
      })
      expect(res.statusCode).toBe(400)
      expect(res.json().error_description).toContain('prototype poisoning')
    }
  })

  describe('the token endpoint without form fields', () => {
    it('answers a form without Content-Type, no body and an empty form alike', async () => {
      const ask = (headers: Record<string, string>, payload?: string) =>
        ctx.app.inject({
          method: 'POST',
          url: '/apiops/auth/token',
          headers,
          ...(payload === undefined ? {} : { payload }),
        })
      const fields = 'grant_type=client_credentials&client_id=root&client_secret=x'
      const answers = [
        await ask({ 'content-type': '' }, fields),
        await ask({}, fields),
        await ask({}),
        await ask({ 'content-type': 'application/x-www-form-urlencoded' }, ''),
        await ask({ accept: 'application/json' }),
      ]
      for (const res of answers) {
        expect(res.statusCode).toBe(400)
        expect(res.json()).toEqual(answers[3]?.json())
      }
      expect(answers[3]?.json()).toEqual({
        error: 'invalid_request',
        error_description: expect.stringMatching(
          /^Missing parameter grant_type; send form fields \(Content-Type application\/x-www-form-urlencoded\): grant_type=client_credentials&client_id=<username>&client_secret=<password>\.$/,
        ),
      })
      // A real form still works.
      const ok = await ctx.app.inject({
        method: 'POST',
        url: '/apiops/auth/token',
        ...form({ grant_type: 'client_credentials', client_id: 'root', client_secret: PASSWORD }),
      })
      expect(ok.statusCode).toBe(200)
    })
  })

  describe("another project's environment is no environment", () => {
    it('undeploying from it answers exactly as from one that does not exist', async () => {
      await call('POST', '/apiops/projects/', { name: 'mine' })
      await call('POST', '/apiops/projects/', { name: 'theirs' })
      const environment = (name: string, projects: string[]) =>
        call('POST', '/apiops/environments/', {
          name,
          type: 'TEST',
          accessUrl: `https://${name}.example.com`,
          projects,
        })
      expect((await environment('their-env', ['theirs'])).statusCode).toBe(201)
      expect((await environment('shared-env', ['mine'])).statusCode).toBe(201)
      expect(
        (await call('POST', '/apiops/projects/mine/apiProxies/url/', proxyBody('orders')))
          .statusCode,
      ).toBe(200)
      const undeploy = (env: string) =>
        call('DELETE', `/apiops/projects/mine/apiProxies/orders/environments/${env}/`)
      const foreign = await undeploy('their-env')
      const unknown = await undeploy('no-such-env')
      expect(foreign.statusCode).toBe(404)
      expect(unknown.statusCode).toBe(404)
      expect(foreign.body.replace('their-env', 'X')).toBe(unknown.body.replace('no-such-env', 'X'))
      // Deploying there is refused the same way.
      const deployForeign = await call(
        'POST',
        '/apiops/projects/mine/apiProxies/orders/environments/their-env/',
      )
      expect(deployForeign.body).toBe(foreign.body)

      // A proxy deployed where its project may no longer deploy can still be taken down.
      const deployed = await call(
        'POST',
        '/apiops/projects/mine/apiProxies/orders/environments/shared-env/',
      )
      expect(deployed.statusCode).toBe(200)
      const withdrawn = await call('PUT', '/apiops/environments/shared-env/', { projects: [] })
      expect(withdrawn.statusCode, withdrawn.body).toBe(200)
      const down = await undeploy('shared-env')
      expect(down.statusCode, down.body).toBe(200)
      expect(down.json().deploymentResult.deploymentResults[0].message).toBe('Undeployed')
      // Once it is down there, that environment is foreign like any other.
      expect((await undeploy('shared-env')).statusCode).toBe(404)
    })
  })

  describe('names refuse invisible and control characters; NUL is refused everywhere', () => {
    const NAMED: [string, (name: string) => [string, string, unknown]][] = [
      ['a project', (n) => ['POST', '/apiops/projects/', { name: n }]],
      [
        'an environment',
        (n) => [
          'POST',
          '/apiops/environments/',
          { name: n, type: 'TEST', accessUrl: 'https://e.example.com' },
        ],
      ],
      ['an API proxy', (n) => ['POST', '/apiops/projects/names/apiProxies/url/', proxyBody(n)]],
      [
        'a connection',
        (n) => [
          'POST',
          '/apiops/projects/names/connections/',
          { name: n, type: 'webhook', fullUrl: 'https://hooks.example.com/x' },
        ],
      ],
      [
        'a credential',
        (n) => [
          'POST',
          '/apiops/projects/names/credentials/',
          { username: n, email: 'c@example.com', fullName: 'C', password: 'long enough pw' },
        ],
      ],
      [
        "a credential's full name",
        (n) => [
          'POST',
          '/apiops/projects/names/credentials/',
          { username: 'fn', email: 'c@example.com', fullName: n, password: 'long enough pw' },
        ],
      ],
      [
        'a user',
        (n) => ['POST', '/apiops/users/', { username: n, password: 'long enough pw', roles: [] }],
      ],
    ]

    beforeAll(async () => {
      expect((await call('POST', '/apiops/projects/', { name: 'names' })).statusCode).toBe(201)
    })

    for (const [what, request] of NAMED) {
      it.each(Object.entries(DECEPTIVE))(`refuses ${what} named with %s`, async (_, name) => {
        const [method, url, payload] = request(name)
        const res = await call(method, url, payload)
        expect(res.statusCode, res.body).toBe(400)
        expect(res.json().error).toBe('validation_failed')
      })
    }

    it.each(Object.entries(DECEPTIVE))('refuses a token named with %s', async (_, name) => {
      const user = await makeUser(ctx, `tn${Buffer.from(name).toString('hex').slice(0, 12)}`)
      await expect(tokenFor(ctx, user.id, { name })).rejects.toMatchObject({
        code: 'validation_failed',
      })
    })

    it('refuses URLs that hide characters', async () => {
      for (const url of ['https://example.com/\u202Egpj.exe', 'https://exa\u200Bmple.com/']) {
        const env = await call('POST', '/apiops/environments/', {
          name: 'url-env',
          type: 'TEST',
          accessUrl: url,
        })
        expect(env.statusCode).toBe(400)
        expect(env.json().validation_errors).toEqual([
          { field: 'accessUrl', message: expect.stringContaining('invisible formatting') },
        ])
        const proxy = await call('POST', '/apiops/projects/names/apiProxies/url/', {
          ...proxyBody('url-proxy'),
          routingInfo: { routingAddressList: [{ address: url }] },
        })
        expect(proxy.statusCode).toBe(400)
        const hook = await call('POST', '/apiops/projects/names/connections/', {
          name: 'url-hook',
          type: 'webhook',
          fullUrl: url,
        })
        expect(hook.statusCode).toBe(400)
      }
    })

    it('keeps descriptions readable: emoji and line breaks pass, bidi controls do not', async () => {
      const ok = await call('POST', '/apiops/projects/', {
        name: 'described',
        description: 'Team 👩‍💻 (ZWJ emoji)\nsecond line — ünïcödé',
      })
      expect(ok.statusCode, ok.body).toBe(201)
      for (const bad of ['abc\u202Edef', 'x\u2067y']) {
        const res = await call('POST', '/apiops/projects/', {
          name: 'described2',
          description: bad,
        })
        expect(res.statusCode).toBe(400)
        expect(res.json().validation_errors).toEqual([
          { field: 'description', message: expect.stringContaining('bidi') },
        ])
      }
    })

    it('refuses NUL in any field of any body, secrets and nested fields included', async () => {
      const cases: [string, string, unknown, string][] = [
        [
          'POST',
          '/apiops/users/',
          { username: 'nul1', password: 'long enough\u0000pw', roles: [] },
          'password',
        ],
        [
          'POST',
          '/apiops/projects/names/connections/',
          {
            name: 'hook-nul',
            type: 'webhook',
            fullUrl: 'https://hooks.example.com/x',
            headerList: [{ name: 'X-Key', value: 'a\u0000b' }],
          },
          'headerList.0.value',
        ],
        ['PUT', '/apiops/environments/none/', { description: 'x\u0000' }, 'description'],
      ]
      for (const [method, url, payload, field] of cases) {
        const res = await call(method, url, payload)
        expect(res.statusCode, `${url} ${res.body}`).toBe(400)
        expect(res.json().validation_errors).toEqual([
          { field, message: 'must not contain NUL (\\u0000) characters' },
        ])
      }
      // A NUL in a key is refused too.
      const key = await call('POST', '/apiops/projects/', { name: 'k', 'de\u0000sc': 'x' })
      expect(key.statusCode).toBe(400)
      // A deeply nested body is walked without exhausting the stack.
      const deep = `${'['.repeat(100_000)}"\\u0000"${']'.repeat(100_000)}`
      const res = await ctx.app.inject({
        method: 'POST',
        url: '/apiops/projects/',
        headers: { ...bearer(admin), 'content-type': 'application/json' },
        payload: deep,
      })
      expect(res.statusCode).toBeLessThan(500)
    })
  })

  /** One item in every list that sorts, so a broken sort key has something to break on. */
  async function seedOneOfEverything() {
    const ok = async (method: string, url: string, payload?: unknown) => {
      const res = await call(method, url, payload)
      expect(res.statusCode, `${method} ${url}: ${res.body}`).toBeLessThan(300)
    }
    await ok('POST', '/apiops/projects/', { name: 'S' })
    await ok('POST', '/apiops/projects/S/members/', { username: 'root' })
    await ok('POST', '/apiops/environments/', {
      name: 'sort-env',
      type: 'TEST',
      accessUrl: 'https://sort.example.com',
      projects: ['S'],
    })
    await ok('POST', '/apiops/projects/S/apiProxies/url/', proxyBody('sp'))
    await ok('POST', '/apiops/projects/S/apiProxies/sp/environments/sort-env/')
    await ok('POST', '/apiops/projects/S/apiProxies/sp/endpoints/', {
      name: '/items',
      httpMethod: 'GET',
      backendResourceUrl: '/items',
      backendHttpMethod: 'GET',
    })
    await ok('POST', '/apiops/projects/S/ipGroups/', { name: 'sip' })
    await ok('POST', '/apiops/projects/S/rlcl/', { name: 'srl' })
    await ok('POST', '/apiops/projects/S/jwks/generate', {
      name: 'sjwk',
      type: 'OKP',
      okp: { curveType: 'ED25519' },
    })
    await ok('POST', '/apiops/projects/S/keys/', {
      name: 'skey',
      keyType: 'EC',
      cryptoKeyInfoEnvironmentList: [
        {
          environmentName: 'sort-env',
          publicKey: generateKeyPairSync('ec', { namedCurve: 'P-256' })
            .publicKey.export({ type: 'spki', format: 'pem' })
            .toString(),
        },
      ],
    })
    await ok('POST', '/apiops/projects/S/keystores/', {
      name: 'sks',
      keyStoreEnvironmentList: [
        {
          environmentName: 'sort-env',
          type: 'JKS',
          file: readFileSync(new URL('./fixtures/keystore.jks', import.meta.url)).toString(
            'base64',
          ),
          password: 'changeit',
        },
      ],
    })
    await ok('POST', '/apiops/projects/S/apiProxyGroups/', {
      name: 'sg',
      clientRoute: { relativePathList: ['/sg'] },
    })
    await ok('POST', '/apiops/projects/S/connections/', {
      name: 'sc',
      type: 'webhook',
      fullUrl: 'https://hooks.example.com/x',
    })
    await ok('POST', '/apiops/projects/S/credentials/', {
      username: 'scred',
      email: 's@example.com',
      fullName: 'S',
      password: 'long enough pw',
    })
    await ok('POST', '/apiops/projects/S/environmentVariables/SVAR/', {
      name: 'SVAR',
      global: true,
      globalValue: 'v',
    })
    const upload = certificateUpload('scert')
    const cert = await ctx.app.inject({
      method: 'POST',
      url: '/apiops/projects/S/certificates/',
      headers: { ...bearer(admin), ...upload.headers },
      payload: upload.payload,
    })
    expect(cert.statusCode, cert.body).toBe(200)
    // The audit writer works off the request path: wait for it before listing.
    await ctx.services.audit.flush()
  }
})

function proxyBody(name: string) {
  return {
    apiProxyName: name,
    apiProxyCreationType: 'REVERSE_PROXY',
    clientRoute: { relativePathList: [`/${name}`] },
    routingInfo: { routingAddressList: [{ address: 'https://backend.example.com' }] },
  }
}

function fillPath(path: string): string {
  return path
    .replace('{projectName}', 'S')
    .replace('{apiProxyName}', 'sp')
    .replace('{apiProxyGroupName}', 'sg')
    .replace('{username}', 'root')
}
