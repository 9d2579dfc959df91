import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Role } from '../src/identity/users/roles.ts'
import { answerProblems, type DocPage, readDocPage, walkedPageIds } from './doc-walk-support.ts'
import { specForm, upload, wsdlFixture } from './fixtures/spec-upload.ts'
import { bearer, buildTestApp, dialects, makeUser, type TestContext, tokenFor } from './helpers.ts'

/*
 * Issue 11's done-criterion: every endpoint page of the reference's API proxy, API proxy
 * group and environment variable sections, walked in a working order against a fresh
 * app with the pages' own example bodies (read from the reference folder at test time),
 * each answer checked against the page's documented success answer: the status, every
 * top-level field with its documented JSON type, and the first item of a documented list.
 * A page that is not built yet is PENDING and must still answer 404 "No route", so the
 * list shrinks the moment its feature lands: its entry then moves into ORDER, at a
 * point of the walk where what it needs exists. Where the pages contradict themselves,
 * apiops's choice (docs/api.md) is a DEPARTURE: the walk asserts apiops's answer, then
 * carries on the documented way.
 */

// biome-ignore lint/suspicious/noExplicitAny: example bodies are walked field by field
type Json = Record<string, any>

const PENDING: Record<string, string> = {}

/*
 * The working order: variables first; a proxy from a URL, read, updated and configured
 * through every settings page, its endpoints made, changed and deleted, deployed; the
 * groups (with that proxy as a member); then the proxy undeployed, exported, imported
 * back from its own archive and overridden by it (deploying it again), and deleted, which
 * frees the name the file pages create again. The WS-Addressing page acts on the SOAP
 * proxy (soap-service) the update-from-url page's WSDL example made, as it must.
 */
const ORDER = [
  '10-environment-variables/crud/create-environment-variable',
  '10-environment-variables/crud/list-environment-variables',
  '10-environment-variables/crud/get-environment-variable',
  '10-environment-variables/crud/update-environment-variable',
  '04-api-proxies/crud/create-api-proxy-from-url',
  '04-api-proxies/crud/list-api-proxies',
  '04-api-proxies/crud/get-api-proxy',
  '04-api-proxies/crud/update-api-proxy',
  '04-api-proxies/crud/update-api-proxy-from-url',
  '04-api-proxies/settings/update-api-keys',
  '04-api-proxies/settings/update-cache-settings',
  '04-api-proxies/settings/update-circuit-breaker-settings',
  '04-api-proxies/settings/update-client-route',
  '04-api-proxies/settings/update-connection-settings',
  '04-api-proxies/settings/update-cors-settings',
  '04-api-proxies/settings/update-forwarded-ip-header',
  '04-api-proxies/settings/update-hide-spec-file',
  '04-api-proxies/settings/update-json-error-template',
  '04-api-proxies/settings/update-metadata',
  '04-api-proxies/settings/update-mtls-settings',
  '04-api-proxies/settings/update-ntlm-settings',
  '04-api-proxies/settings/update-proxy-server-settings',
  '04-api-proxies/settings/update-routing-addresses',
  '04-api-proxies/settings/update-routing-status',
  '04-api-proxies/settings/update-traffic-log-settings',
  '04-api-proxies/settings/update-xml-error-template',
  '04-api-proxies/endpoints/create-endpoint',
  '04-api-proxies/endpoints/list-endpoints',
  '04-api-proxies/endpoints/get-endpoint',
  '04-api-proxies/endpoints/update-endpoint',
  '04-api-proxies/endpoints/update-endpoint-status',
  '04-api-proxies/endpoints/update-endpoint-cache',
  '04-api-proxies/endpoints/list-endpoint-policies',
  '04-api-proxies/endpoints/update-endpoint-wsa',
  '04-api-proxies/endpoints/delete-endpoint',
  '04-api-proxies/deployment/deploy',
  '09-api-proxy-groups/crud/create-api-proxy-group',
  '09-api-proxy-groups/crud/list-api-proxy-groups',
  '09-api-proxy-groups/crud/update-api-proxy-group',
  '09-api-proxy-groups/api-proxies/add-api-proxy-to-group',
  '09-api-proxy-groups/deployment/deploy-api-proxy-group',
  '09-api-proxy-groups/deployment/list-environments',
  '09-api-proxy-groups/deployment/undeploy-api-proxy-group',
  '09-api-proxy-groups/api-proxies/remove-api-proxy-from-group',
  '09-api-proxy-groups/crud/delete-api-proxy-group',
  '04-api-proxies/deployment/undeploy',
  '04-api-proxies/import-export/export-api-proxy',
  '04-api-proxies/import-export/import-api-proxy',
  '04-api-proxies/import-export/import-api-proxy-and-override',
  '04-api-proxies/crud/delete-api-proxy',
  '04-api-proxies/crud/create-api-proxy-from-file',
  '04-api-proxies/crud/update-api-proxy-from-file',
  '10-environment-variables/crud/delete-environment-variable',
]

interface Departure {
  /** Which of the page's example bodies. */
  applies(page: DocPage, body: Json): boolean
  /** What apiops answers instead of the documented success, and why (docs/api.md). */
  status: number
  error: string
  reason: string
  /**
   * Then the walk carries on to the documented answer: with the body adapted, or with the
   * page's precondition made to hold first (the proxy a PUT names created, the proxy an
   * import would clash with deleted), which departs only while it does not hold.
   */
  carryOn: 'create-first' | 'delete-first' | ((body: Json) => Json)
}

const DEPARTURES: Departure[] = [
  {
    applies: (p, b) => p.id.endsWith('/update-metadata') && / /.test(b.name ?? ''),
    status: 400,
    error: 'validation_failed',
    reason:
      'names are path segments without spaces (as the base-url page says); the example renames to one with spaces',
    carryOn: (b) => ({ ...b, name: b.name.replace(/ /g, '-') }),
  },
  {
    applies: (p, b) =>
      p.id.endsWith('/update-cors-settings') &&
      b.allowCredentials === 'true' &&
      b.allowOriginList?.includes('*'),
    status: 400,
    error: 'validation_failed',
    reason: "the example sends origin * with credentials, which the page's own notes forbid",
    carryOn: (b) => ({ ...b, allowCredentials: 'false' }),
  },
  {
    // The page says a missing proxy is created; update-api-proxy says it must exist.
    applies: (p) => p.method === 'PUT' && /\/apiProxies\/(url|file)\/$/.test(p.path),
    status: 404,
    error: 'not_found',
    reason: 'PUT updates an existing proxy only (update-api-proxy); the walk creates it first',
    carryOn: 'create-first',
  },
  {
    // docs/api.md: a WSDL operation becomes the endpoint `POST /{operation}`, a path like
    // every other endpoint's name; the page names the operation bare.
    applies: (p, b) => p.id.endsWith('/update-endpoint-wsa') && !b.identifierName.startsWith('/'),
    status: 404,
    error: 'not_found',
    reason: 'a SOAP endpoint is named by its path, /getUser, not by the bare operation name',
    carryOn: (b) => ({ ...b, identifierName: `/${b.identifierName}` }),
  },
  {
    // docs/api.md (Export and import): apiops will not make up a name the caller did not choose.
    applies: (p) => p.id.endsWith('/import-api-proxy'),
    status: 409,
    error: 'duplicate_name',
    reason:
      "an import without override refuses the archive's name while it exists (the page adds a suffix)",
    carryOn: 'delete-first',
  },
]

/** Pages that only a SOAP proxy takes: they act on the walk's WSDL proxy. */
const SOAP_PAGES = new Set(['04-api-proxies/endpoints/update-endpoint-wsa'])

/*
 * Lists the walk cannot fill yet: no route puts a policy on an endpoint (the policy
 * types exist, their routes do not), and the page answers [] for a pipeline without one.
 * So the walk asserts these are [] (not merely arrays); once policies can be attached,
 * the walk attaches one before the page and this entry goes.
 */
const EMPTY_LISTS: Record<string, string[]> = {
  '04-api-proxies/endpoints/list-endpoint-policies': [
    'requestPolicyList',
    'responsePolicyList',
    'errorPolicyList',
  ],
}

const OPENAPI = {
  openapi: '3.0.3',
  info: { title: 'Petstore', version: '1' },
  servers: [{ url: 'https://backend.example.com/v1' }],
  paths: { '/pets': { get: { operationId: 'listPets' }, post: { operationId: 'addPet' } } },
}

/**
 * The spec a page's example names: an OpenAPI 3 document, or a WSDL with the operation
 * the WS-Addressing page's examples name (getUser).
 */
const specFor = (creationType: string): { name: string; bytes: string | Uint8Array } =>
  creationType === 'WSDL'
    ? { name: 'service.wsdl', bytes: wsdlFixture('users.wsdl') }
    : { name: 'openapi.json', bytes: JSON.stringify(OPENAPI) }

function specServer(): Promise<{ server: Server; origin: string }> {
  const server = createServer((req, res) => {
    res.end(specFor(req.url?.endsWith('.wsdl') ? 'WSDL' : 'OPEN_API').bytes)
  })
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }),
    ),
  )
}

describe('the documented walk covers the sections', () => {
  it('walks or lists as pending every page, each once', () => {
    const covered = [...ORDER, ...Object.keys(PENDING)].sort()
    expect(covered).toEqual(walkedPageIds())
  })

  it('reads a method, a path and a success answer from every walked page', () => {
    for (const id of ORDER) {
      const page = readDocPage(id)
      expect(page.answer ?? page.download, id).toBeDefined()
      // A write whose path ends in a parameter acts on what it names (deploy, add a
      // member) and takes no body, as does a form that is just a file (import); every
      // other write has an example to send.
      const bodiless = /\{\w+\}\/$/.test(page.path) || page.form?.metadata === false
      if (['POST', 'PUT', 'PATCH'].includes(page.method) && !bodiless)
        expect(page.examples.length, `${id} has no request example`).toBeGreaterThan(0)
    }
  })
})

describe.each(dialects())('the documented walk (%s)', (dialect) => {
  let ctx: TestContext
  let spec: { server: Server; origin: string }
  let token: string
  // The objects the walk created, by the path parameter that names them.
  const state: Record<string, string> = { projectName: 'MyProject', environmentName: 'production' }
  // What the export page answered, which the import pages send back.
  let exported: Buffer | undefined

  beforeAll(async () => {
    spec = await specServer()
    ctx = await buildTestApp(dialect, { env: { APIOPS_SPEC_FETCH_ALLOWLIST: '127.0.0.1/32' } })
    const admin = (await tokenFor(ctx, (await makeUser(ctx, 'root', ['ROLE_ADMIN'])).id)).token
    // The walker holds every role the walked pages name, and no more: not ROLE_ADMIN.
    const roles = [...new Set(walkedPageIds().flatMap((id) => readDocPage(id).roles))].sort()
    expect(roles).toEqual([
      'ROLE_API_SECURITY',
      'ROLE_DEPLOY_UNDEPLOY_PROXIES',
      'ROLE_MANAGE_PROXIES',
      'ROLE_MANAGE_PROXY_GROUPS',
    ])
    const walker = await makeUser(ctx, 'walker', roles as Role[])
    token = (await tokenFor(ctx, walker.id)).token
    const setup: [string, Json][] = [
      ['/apiops/projects/', { name: 'MyProject' }],
      ['/apiops/projects/MyProject/members/', { username: 'walker' }],
    ]
    for (const name of ['production', 'staging', 'development']) {
      setup.push([
        '/apiops/environments/',
        { name, type: 'TEST', accessUrl: `https://${name}.example`, projects: ['MyProject'] },
      ])
    }
    for (const [url, payload] of setup) {
      const res = await ctx.app.inject({ method: 'POST', url, headers: bearer(admin), payload })
      expect(res.statusCode, `${url}: ${res.body}`).toBe(201)
    }
  })
  afterAll(async () => {
    await ctx?.close()
    spec?.server.close()
  })

  /** The page's path with its parameters: those the body names, else the walk's objects. */
  function urlOf(page: DocPage, body: Json | undefined): string {
    return page.path.replace(/\{(\w+)\}/g, (_m, param: string) => {
      const fromBody = body?.[param]
      const soap = param === 'apiProxyName' && SOAP_PAGES.has(page.id)
      const value = fromBody !== undefined ? String(fromBody) : state[soap ? 'soapProxy' : param]
      if (value === undefined) throw new Error(`${page.id}: nothing to put in {${param}}`)
      return encodeURIComponent(value)
    })
  }

  /** The docs' hosts are not reachable from a test: the same path on a local server. */
  function localSpecUrl(body: Json): Json {
    if (typeof body.specUrl !== 'string') return body
    return { ...body, specUrl: `${spec.origin}${new URL(body.specUrl).pathname}` }
  }

  async function send(page: DocPage, body: Json | undefined, method = page.method, path?: string) {
    const url = path ?? urlOf(page, body)
    if (page.form) {
      const form =
        page.form.file === 'apiProxyExportFile'
          ? archiveForm(body)
          : upload(body, specFor(String(body?.apiProxyCreationType)))
      return ctx.app.inject({
        method: method as 'POST',
        url,
        headers: { ...bearer(token), ...form.headers },
        payload: form.payload,
      })
    }
    return ctx.app.inject({
      method: method as 'POST',
      url,
      headers: bearer(token),
      ...(body === undefined ? {} : { payload: localSpecUrl(body) }),
    })
  }

  /** An import's form: the archive the export page answered, and the page's metadata if any. */
  function archiveForm(metadata: Json | undefined) {
    const file = { value: exported ?? Buffer.alloc(0), filename: 'apiProxyExportFile.zip' }
    return specForm([
      ...(metadata === undefined ? [] : [{ name: 'metadata', value: JSON.stringify(metadata) }]),
      { name: 'apiProxyExportFile', ...file },
    ])
  }

  /** The walk's objects follow what a successful call created or renamed. */
  function remember(page: DocPage, body: Json | undefined): void {
    if (!body) return
    if (body.apiProxyCreationType === 'WSDL') state.soapProxy = body.apiProxyName
    else if (page.path.includes('/environmentVariables/') && page.method === 'POST')
      state.name = body.name
    else if (page.path.endsWith('/apiProxyGroups/') && page.method === 'POST')
      state.apiProxyGroupName = body.name
    else if (/\/apiProxies\/(url|file)\/$/.test(page.path) && page.method === 'POST')
      state.apiProxyName = body.apiProxyName
    else if (page.path.endsWith('/settings/metadata/') && body.name) state.apiProxyName = body.name
  }

  async function expectDocumented(page: DocPage, body: Json | undefined, label: string) {
    const res = await send(page, body)
    expect(res.statusCode, `${label}: ${res.body}`).toBe(200)
    if (page.download) {
      const { contentType, fileName } = page.download
      expect(String(res.headers['content-type']).split(';')[0], label).toBe(contentType)
      expect(res.headers['content-disposition'], label).toBe(`attachment; filename="${fileName}"`)
      // A ZIP opens with a local file header's signature.
      expect(res.rawPayload.subarray(0, 4).toString('latin1'), label).toBe('PK\x03\x04')
      exported = res.rawPayload
      state.exportedProxy = state.apiProxyName as string
      return
    }
    expect(res.headers['content-type'], label).toMatch(/^application\/json;\s*charset=utf-8$/i)
    const answer = page.answer as NonNullable<DocPage['answer']>
    const empty = EMPTY_LISTS[page.id] ?? []
    for (const field of empty) expect(res.json()[field], `${label}: ${field}`).toEqual([])
    const example = { ...answer.example, ...Object.fromEntries(empty.map((f) => [f, []])) }
    const problems = answerProblems({ ...answer, example }, res.json())
    expect(problems, `${label}: ${res.body}`).toEqual([])
    remember(page, body)
  }

  it.each(ORDER)('%s answers as documented', async (id) => {
    const page = readDocPage(id)
    const bodies: (Json | undefined)[] = page.examples.length > 0 ? page.examples : [undefined]
    for (const [i, body] of bodies.entries()) {
      const label = `${id} example ${i + 1}`
      const departure = DEPARTURES.find((d) => d.applies(page, body ?? {}))
      if (departure && (await departsNow(departure, body))) {
        const res = await send(page, body)
        expect(res.statusCode, `${label} (${departure.reason}): ${res.body}`).toBe(departure.status)
        // The error envelope of the getting-started pages: a code and a description.
        expect(res.json(), label).toMatchObject({
          error: departure.error,
          error_description: expect.any(String),
        })
        if (departure.carryOn === 'create-first') {
          const created = await send(page, body, 'POST')
          expect(created.statusCode, `${label}, created first: ${created.body}`).toBe(200)
          await expectDocumented(page, body, label)
        } else if (departure.carryOn === 'delete-first') {
          const url = proxyUrl(state.exportedProxy as string)
          const deleted = await ctx.app.inject({ method: 'DELETE', url, headers: bearer(token) })
          expect(deleted.statusCode, `${label}, deleted first: ${deleted.body}`).toBe(200)
          await expectDocumented(page, body, label)
        } else await expectDocumented(page, departure.carryOn(body as Json), `${label} (adapted)`)
        continue
      }
      await expectDocumented(page, body, label)
    }
  })

  /** A precondition departure holds only while the precondition does not. */
  async function departsNow(departure: Departure, body: Json | undefined): Promise<boolean> {
    if (departure.carryOn === 'create-first') return !(await proxyExists(body?.apiProxyName))
    if (departure.carryOn === 'delete-first') return proxyExists(state.exportedProxy as string)
    return true
  }

  const proxyUrl = (name: string) =>
    `/apiops/projects/${state.projectName}/apiProxies/${encodeURIComponent(name)}/`

  async function proxyExists(name: string): Promise<boolean> {
    return (
      (await ctx.app.inject({ url: proxyUrl(name), headers: bearer(token) })).statusCode === 200
    )
  }

  it.each(Object.entries(PENDING))('%s is pending (%s): no route yet', async (id) => {
    const page = readDocPage(id)
    const body = page.examples[0]
    const params: Record<string, string> = {
      ...state,
      apiProxyName: state.apiProxyName ?? 'petstore-api',
    }
    const url = page.path.replace(/\{(\w+)\}/g, (_m, p: string) => params[p] ?? 'x')
    const res = await send(page, body ?? {}, page.method, url)
    expect(res.statusCode, `${id}: ${res.body}`).toBe(404)
    expect(res.json().error_description, id).toMatch(/^No route /)
  })

  it("lists soapToRest as each proxy's own setting says", async () => {
    const create = await ctx.app.inject({
      method: 'POST',
      url: '/apiops/projects/MyProject/apiProxies/url/',
      headers: bearer(token),
      payload: {
        apiProxyName: 'soap-to-rest',
        apiProxyCreationType: 'REVERSE_PROXY',
        clientRoute: { relativePathList: ['/soap-to-rest'] },
        routingInfo: { routingAddressList: [{ address: 'https://backend.example.com' }] },
        soapToRest: true,
      },
    })
    expect(create.statusCode, create.body).toBe(200)
    const list = await ctx.app.inject({
      url: '/apiops/projects/MyProject/apiProxies/',
      headers: bearer(token),
    })
    const flags = Object.fromEntries(
      list.json().resultList.map((p: Json) => [p.name, p.soapToRest]),
    )
    expect(flags['soap-to-rest']).toBe(true)
    expect(flags['petstore-api']).toBe(false)
  })

  it("answers the docs' ?page=1&size=10 with the second page, page being 0-based", async () => {
    const res = await ctx.app.inject({
      url: '/apiops/projects/?page=1&size=10',
      headers: bearer(token),
    })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toMatchObject({ success: true, page: 1, size: 10, resultList: [] })
    const first = await ctx.app.inject({
      url: '/apiops/projects/?page=0&size=10',
      headers: bearer(token),
    })
    expect(first.json().resultList.map((p: Json) => p.name)).toEqual(['MyProject'])
  })
})
