import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { operationsOf } from './endpoint-view.ts'
import {
  calculatorZip,
  declareSizes,
  rename,
  specForm,
  upload,
  wsdlFixture,
  zip,
} from './fixtures/spec-upload.ts'
import { bearer, buildTestApp, dialects, makeUser, type TestContext, tokenFor } from './helpers.ts'

/*
 * apiProxies/file/: proxies from an uploaded OpenAPI 3, Swagger 2 or WSDL 1.1 file, or
 * a ZIP of a WSDL with what it imports; and every way such an upload can be wrong.
 */

const MAX_BYTES = 2 * 1024 * 1024

const OPENAPI = {
  openapi: '3.0.3',
  info: { title: 'Pets', version: '1' },
  servers: [{ url: 'https://pets.backend.example/v1' }],
  paths: {
    '/pets': { $ref: '#/components/pathItems/pets' },
    '/pets/{id}': { get: { operationId: 'getPet', responses: { 200: { description: 'ok' } } } },
  },
  components: {
    pathItems: {
      pets: {
        get: { operationId: 'listPets', summary: 'List pets' },
        post: { operationId: 'createPet' },
      },
    },
  },
}
const SWAGGER_YAML = `swagger: "2.0"
info: { title: Orders, version: "1" }
host: orders.backend.example
basePath: /api
schemes: [https]
paths:
  /orders:
    get: { operationId: listOrders, responses: { "200": { description: ok } } }
    delete: { operationId: purgeOrders, responses: { "204": { description: gone } } }
`
const meta = (name: string, kind: string, extra: Record<string, unknown> = {}) => ({
  apiProxyName: name,
  apiProxyCreationType: kind,
  clientRoute: { relativePathList: [`/${name}`] },
  ...extra,
})

describe.each(dialects())('API proxies from an uploaded file (%s)', (dialect) => {
  let ctx: TestContext
  let dev: string
  let reader: string
  let hits = 0
  let refServer: Server
  let refUrl: string

  beforeAll(async () => {
    refServer = createServer((_req, res) => {
      hits++
      res.end('{"type":"string"}')
    })
    await new Promise<void>((r) => refServer.listen(0, '127.0.0.1', r))
    refUrl = `http://127.0.0.1:${(refServer.address() as AddressInfo).port}/schema.json`
    ctx = await buildTestApp(dialect, {
      env: {
        APIOPS_SPEC_MAX_BYTES: String(MAX_BYTES),
        APIOPS_SPEC_FETCH_ALLOWLIST: '127.0.0.1/32',
      },
    })
    const admin = (await tokenFor(ctx, (await makeUser(ctx, 'root', ['ROLE_ADMIN'])).id)).token
    dev = (await tokenFor(ctx, (await makeUser(ctx, 'dev', ['ROLE_MANAGE_PROXIES'])).id)).token
    reader = (await tokenFor(ctx, (await makeUser(ctx, 'reader', [])).id)).token
    for (const [url, payload] of [
      ['/apiops/projects/', { name: 'Files' }],
      ['/apiops/projects/Files/members/', { username: 'dev' }],
      ['/apiops/projects/Files/members/', { username: 'reader' }],
    ] as const) {
      const res = await ctx.app.inject({ method: 'POST', url, headers: bearer(admin), payload })
      expect(res.statusCode, res.body).toBe(201)
    }
  })
  afterAll(async () => {
    await ctx.close()
    await new Promise((r) => refServer.close(r))
  })

  const send = (
    form: { headers: Record<string, string>; payload: Buffer },
    method: 'POST' | 'PUT' = 'POST',
    token = dev,
  ) =>
    ctx.app.inject({
      method,
      url: '/apiops/projects/Files/apiProxies/file/',
      headers: { ...bearer(token), ...form.headers },
      payload: form.payload,
    })
  const get = (name: string) =>
    ctx.app.inject({ url: `/apiops/projects/Files/apiProxies/${name}/`, headers: bearer(dev) })

  it('creates an OPEN_API proxy from a JSON file, following $refs to path items', async () => {
    const res = await send(
      upload(meta('pets', 'OPEN_API'), { name: 'openapi.json', bytes: JSON.stringify(OPENAPI) }),
    )
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json()).toMatchObject({
      success: true,
      apiProxy: { apiType: 'REST', specUrl: null },
    })
    const proxy = (await get('pets')).json()
    expect(operationsOf(proxy)).toEqual([
      { method: 'GET', path: '/pets', operationId: 'listPets', summary: 'List pets' },
      { method: 'POST', path: '/pets', operationId: 'createPet', summary: null },
      { method: 'GET', path: '/pets/{id}', operationId: 'getPet', summary: null },
    ])
    expect(proxy.routing.routingAddressList[0].address).toBe('https://pets.backend.example/v1')
  })

  it('creates a SWAGGER proxy from a YAML file, metadata sent as application/json', async () => {
    const res = await send(
      specForm([
        {
          name: 'metadata',
          value: JSON.stringify(meta('orders', 'SWAGGER')),
          contentType: 'application/json',
        },
        { name: 'specFile', value: SWAGGER_YAML, filename: 'swagger.yaml' },
      ]),
    )
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json().apiProxy.endpoints.map((e: { httpMethod: string }) => e.httpMethod)).toEqual([
      'GET',
      'DELETE',
    ])
    expect(res.json().apiProxy.routing.routingAddressList[0].address).toBe(
      'https://orders.backend.example/api',
    )
  })

  it('creates a SOAP proxy from a WSDL: one endpoint per operation, with its soapAction', async () => {
    const res = await send(
      upload(meta('orders-soap', 'WSDL'), {
        name: 'orders.wsdl',
        bytes: wsdlFixture('orders.wsdl'),
      }),
    )
    expect(res.statusCode, res.body).toBe(200)
    const proxy = res.json().apiProxy
    expect(proxy.apiType).toBe('SOAP')
    expect(proxy.creationType).toBe('WSDL')
    expect(operationsOf(proxy)).toEqual([
      {
        method: 'POST',
        path: '/PlaceOrder',
        operationId: 'PlaceOrder',
        summary: 'Places an order for a quantity of one SKU.',
        soapAction: 'urn:example:orders/PlaceOrder',
      },
      {
        method: 'POST',
        path: '/GetOrder',
        operationId: 'GetOrder',
        summary: null,
        soapAction: 'urn:example:orders/GetOrder',
      },
      {
        method: 'POST',
        path: '/CancelOrder',
        operationId: 'CancelOrder',
        summary: null,
        soapAction: 'urn:example:orders/CancelOrder',
      },
    ])
    // The SOAP 1.1 port's address, though the service lists the SOAP 1.2 port first.
    expect(proxy.routing.routingAddressList[0].address).toBe('https://orders.backend.example/soap')
    const list = await ctx.app.inject({
      url: '/apiops/projects/Files/apiProxies/',
      headers: bearer(dev),
    })
    expect(
      list.json().resultList.find((p: { name: string }) => p.name === 'orders-soap').type,
    ).toBe('SOAP')
  })

  it('reads a SOAP 1.2-only WSDL written without prefixes', async () => {
    const res = await send(
      upload(meta('weather', 'WSDL'), {
        name: 'weather.wsdl',
        bytes: wsdlFixture('soap12-only.wsdl'),
      }),
    )
    expect(res.statusCode, res.body).toBe(200)
    expect(operationsOf(res.json().apiProxy)).toEqual([
      {
        method: 'POST',
        path: '/Forecast',
        operationId: 'Forecast',
        summary: "Tomorrow's weather & temperature for a city.",
        soapAction: '',
      },
      { method: 'POST', path: '/Ping', operationId: 'Ping', summary: null, soapAction: '' },
    ])
    expect(res.json().apiProxy.routing.routingAddressList[0].address).toBe(
      'http://weather.backend.example:8080/ws',
    )
  })

  it('creates a SOAP proxy from a ZIP of a WSDL, the WSDL it imports and two XSDs', async () => {
    const res = await send(
      upload(meta('calculator', 'WSDL'), { name: 'calculator.zip', bytes: await calculatorZip() }),
    )
    expect(res.statusCode, res.body).toBe(200)
    const endpoints = res.json().apiProxy.endpoints
    expect(endpoints.map((e: { operationId: string }) => e.operationId)).toEqual([
      'Add',
      'Subtract',
      'Multiply',
      'Divide',
    ])
    expect(endpoints[0]).toMatchObject({
      summary: 'Adds two integers.',
      soapAction: 'http://calculator.example/Add',
    })
  })

  it.each([
    ['interface/calculator-interface.wsdl', 'imports "interface/calculator-interface.wsdl"'],
    ['schemas/operations.xsd', 'imports "../schemas/operations.xsd"'],
    ['schemas/common.xsd', 'imports "common.xsd"'],
  ])('refuses a ZIP without %s, naming what is missing', async (missing, words) => {
    const res = await send(
      upload(meta('incomplete', 'WSDL'), {
        name: 'calculator.zip',
        bytes: await calculatorZip(missing),
      }),
    )
    expect(res.statusCode).toBe(400)
    expect(res.json().validation_errors[0].field).toBe('specFile')
    expect(res.json().validation_errors[0].message).toContain(words)
    expect(res.json().validation_errors[0].message).toContain('which is not in the archive')
  })

  it('refuses a lone WSDL that imports another, asking for a ZIP', async () => {
    const res = await send(
      upload(meta('lone', 'WSDL'), {
        name: 'calculator.wsdl',
        bytes: wsdlFixture('calculator/calculator.wsdl'),
      }),
    )
    expect(res.statusCode).toBe(400)
    expect(res.json().validation_errors[0].message).toMatch(/send a ZIP holding the WSDL/)
  })

  it('updates a proxy from a new file (PUT): new endpoints, a new revision', async () => {
    const changed = structuredClone(OPENAPI) as Record<string, unknown>
    changed.paths = { '/cats': { get: { operationId: 'listCats' } } }
    const before = (await get('pets')).json()
    const res = await send(
      upload(meta('pets', 'OPEN_API'), { name: 'v2.json', bytes: JSON.stringify(changed) }),
      'PUT',
    )
    expect(res.statusCode, res.body).toBe(200)
    const after = (await get('pets')).json()
    expect(operationsOf(after)).toEqual([
      { method: 'GET', path: '/cats', operationId: 'listCats', summary: null },
    ])
    expect(after.revision).toBe(before.revision + 1)
    const missing = await send(
      upload(meta('nope', 'OPEN_API'), { name: 'v2.json', bytes: JSON.stringify(changed) }),
      'PUT',
    )
    expect(missing.statusCode).toBe(404)
  })

  it('needs ROLE_MANAGE_PROXIES, before reading the form', async () => {
    const res = await send(
      upload(meta('nobody', 'OPEN_API'), { name: 'a.json', bytes: JSON.stringify(OPENAPI) }),
      'POST',
      reader,
    )
    expect(res.statusCode).toBe(403)
  })

  it('creates a REVERSE_PROXY with metadata alone, and refuses one given a file', async () => {
    const routingInfo = { routingAddressList: [{ address: 'https://rp.backend.example' }] }
    const ok = await send(upload(meta('rp', 'REVERSE_PROXY', { routingInfo })))
    expect(ok.statusCode, ok.body).toBe(200)
    const withFile = await send(
      upload(meta('rp2', 'REVERSE_PROXY', { routingInfo }), { name: 'a.json', bytes: '{}' }),
    )
    expect(withFile.statusCode).toBe(400)
    expect(withFile.json().validation_errors).toEqual([
      { field: 'specFile', message: 'is only for OPEN_API, SWAGGER and WSDL proxies' },
    ])
  })

  it.each([
    ['no specFile', upload(meta('x1', 'OPEN_API')), 400, 'specFile', /is required for OPEN_API/],
    [
      'no metadata',
      specForm([{ name: 'specFile', value: '{}', filename: 'a.json' }]),
      400,
      'metadata',
      /is required/,
    ],
    [
      'an unknown creation type',
      upload(meta('x2', 'GRAPHQL'), { name: 'a.json', bytes: '{}' }),
      400,
      'metadata.apiProxyCreationType',
      /equal to one of the allowed values/,
    ],
    [
      'a specUrl in the metadata',
      upload(meta('x3', 'OPEN_API', { specUrl: 'https://x.example/a.json' }), {
        name: 'a.json',
        bytes: '{}',
      }),
      400,
      'metadata.specUrl',
      /is not a known field/,
    ],
    [
      'a form field this endpoint does not take',
      specForm([
        { name: 'metadata', value: JSON.stringify(meta('x4', 'OPEN_API')) },
        { name: 'extra', value: 'x' },
      ]),
      400,
      'extra',
      /is not a field of this form/,
    ],
    [
      'specFile sent as a text field',
      specForm([
        { name: 'metadata', value: JSON.stringify(meta('x5', 'OPEN_API')) },
        { name: 'specFile', value: '{}' },
      ]),
      400,
      'specFile',
      /must be a file part/,
    ],
  ])('refuses %s', async (_what, form, status, field, message) => {
    const res = await send(form)
    expect(res.statusCode, res.body).toBe(status)
    const issue = res.json().validation_errors.find((v: { field: string }) => v.field === field)
    expect(issue?.message, res.body).toMatch(message)
  })

  it.each([
    ['not JSON', specForm([{ name: 'metadata', value: '{"apiProxyName": ' }])],
    [
      'declared application/json but not JSON',
      specForm([{ name: 'metadata', value: '{oops', contentType: 'application/json' }]),
    ],
  ])('answers 400 for metadata that is %s', async (_what, form) => {
    const res = await send(form)
    expect(res.statusCode).toBe(400)
    expect(res.json()).toMatchObject({
      error: 'bad_request',
      error_description: expect.stringMatching(/^The metadata field is not valid JSON/),
    })
  })

  it('answers 413 for a file over APIOPS_SPEC_MAX_BYTES, 415 for a JSON body', async () => {
    const big = await send(
      upload(meta('big', 'OPEN_API'), { name: 'big.json', bytes: 'x'.repeat(MAX_BYTES + 1) }),
    )
    expect(big.statusCode).toBe(413)
    expect(big.json()).toEqual({
      error: 'payload_too_large',
      error_description: `The file specFile is larger than ${MAX_BYTES} bytes, the limit for a spec (the server's APIOPS_SPEC_MAX_BYTES).`,
    })
    const json = await ctx.app.inject({
      method: 'POST',
      url: '/apiops/projects/Files/apiProxies/file/',
      headers: bearer(dev),
      payload: meta('j', 'OPEN_API'),
    })
    expect(json.statusCode).toBe(415)
  })

  it.each([
    [
      'a WSDL given as OPEN_API',
      'OPEN_API',
      () => wsdlFixture('orders.wsdl'),
      /is an XML document/,
    ],
    [
      'a ZIP given as SWAGGER',
      'SWAGGER',
      () => calculatorZip(),
      /archives are taken for WSDL only/,
    ],
    ['an OpenAPI file given as WSDL', 'WSDL', () => JSON.stringify(OPENAPI), /not well-formed XML/],
    [
      'a WSDL 2.0 document',
      'WSDL',
      () => '<description xmlns="http://www.w3.org/ns/wsdl"/>',
      /WSDL 2.0 document; WSDL 1.1 is supported/,
    ],
    [
      'a billion-laughs WSDL',
      'WSDL',
      () => wsdlFixture('billion-laughs.wsdl'),
      /has a DOCTYPE declaration; DTDs and entity declarations are refused/,
    ],
    [
      'a WSDL with an external entity',
      'WSDL',
      () => wsdlFixture('external-entity.wsdl'),
      /has a DOCTYPE declaration/,
    ],
  ])('refuses %s, saying why', async (_what, kind, bytes, message) => {
    const started = performance.now()
    const res = await send(upload(meta('wrong', kind), { name: 'spec', bytes: await bytes() }))
    expect(res.statusCode, res.body).toBe(400)
    expect(res.json().validation_errors[0]).toMatchObject({ field: 'specFile', message })
    expect(performance.now() - started).toBeLessThan(10_000)
  })

  it('refuses $refs to files or URLs without reading or fetching them', async () => {
    for (const ref of ['file:///etc/passwd', refUrl, 'other.json#/Pet', '../secrets.yaml']) {
      const doc = structuredClone(OPENAPI) as { paths: Record<string, unknown> }
      doc.paths['/x'] = { get: { responses: { 200: { $ref: ref } } } }
      const res = await send(
        upload(meta('refs', 'OPEN_API'), { name: 'a.json', bytes: JSON.stringify(doc) }),
      )
      expect(res.statusCode).toBe(400)
      expect(res.json().validation_errors[0].message).toBe(
        `has a $ref to another document ("${ref}" at #/paths/~1x/get/responses/200); only references inside the document (#/...) are read: bundle the spec into one file first`,
      )
    }
    expect(hits).toBe(0)
  })
})

describe.each(dialects())('ZIP archives that must not be opened (%s)', (dialect) => {
  let ctx: TestContext
  let dev: string
  beforeAll(async () => {
    ctx = await buildTestApp(dialect)
    const admin = (await tokenFor(ctx, (await makeUser(ctx, 'root', ['ROLE_ADMIN'])).id)).token
    dev = (await tokenFor(ctx, (await makeUser(ctx, 'dev', ['ROLE_MANAGE_PROXIES'])).id)).token
    for (const [url, payload] of [
      ['/apiops/projects/', { name: 'Zips' }],
      ['/apiops/projects/Zips/members/', { username: 'dev' }],
    ] as const) {
      await ctx.app.inject({ method: 'POST', url, headers: bearer(admin), payload })
    }
  })
  afterAll(() => ctx.close())

  const orders = () => wsdlFixture('orders.wsdl')
  const random = (n: number) => Buffer.from(Array.from({ length: n }, () => Math.random() * 256))

  it.each([
    [
      'an entry that inflates a thousandfold (2 MiB of zeros)',
      () =>
        zip([
          { name: 'a.wsdl', bytes: orders() },
          { name: 'b.xsd', bytes: Buffer.alloc(2 << 20) },
        ]),
      /entry b.xsd inflates more than 100 times its compressed size/,
    ],
    [
      'an entry declaring 11 MiB',
      async () => declareSizes(await zip([{ name: 'a.wsdl', bytes: random(120_000) }]), 11 << 20),
      /entry a.wsdl inflates to 11534336 bytes, more than the 10485760-byte limit per entry/,
    ],
    [
      'entries declaring 27 MiB in all',
      async () =>
        declareSizes(
          await zip(
            ['a.wsdl', 'b.xsd', 'c.xsd'].map((name) => ({
              name,
              bytes: random(100_000),
            })),
          ),
          9 << 20,
        ),
      /inflates to more than 26214400 bytes in all, the limit/,
    ],
    [
      'an entry that inflates to more than it declares',
      async () => declareSizes(await zip([{ name: 'a.wsdl', bytes: orders() }]), 100),
      /could not be read/,
    ],
    [
      '501 entries',
      () => zip(Array.from({ length: 501 }, (_, i) => ({ name: `s${i}.xsd`, bytes: '<a/>' }))),
      /holds 501 entries, more than the limit of 500/,
    ],
    [
      'a path climbing out (../)',
      async () => rename(await zip([{ name: 'aa/evil.wsdl', bytes: orders() }]), 'aa/', '../'),
      /not a plain relative path \(invalid relative path: ..\/evil.wsdl\)/,
    ],
    [
      'an absolute path',
      async () => rename(await zip([{ name: 'xetc/a.wsdl', bytes: orders() }]), 'xetc', '/etc'),
      /not a plain relative path \(absolute path: \/etc\/a.wsdl\)/,
    ],
    [
      'a symbolic link',
      () => zip([{ name: 'a.wsdl', bytes: '/etc/passwd', mode: 0o120777 }]),
      /holds a symbolic link \(a.wsdl\)/,
    ],
    [
      'an archive inside the archive',
      async () =>
        zip([
          { name: 'a.wsdl', bytes: orders() },
          { name: 'inner.zip', bytes: await zip([{ name: 'b.wsdl', bytes: orders() }]) },
        ]),
      /holds another archive \(inner.zip\)/,
    ],
    [
      'an archive disguised as a schema',
      async () =>
        zip([
          { name: 'a.wsdl', bytes: orders() },
          { name: 'types.xsd', bytes: await zip([{ name: 'b.wsdl', bytes: orders() }]) },
        ]),
      /holds another archive \(types.xsd\)/,
    ],
    ['no WSDL', () => zip([{ name: 'a.xsd', bytes: '<a/>' }]), /holds no .wsdl file/],
  ])('refuses %s with a 400', async (_what, build, message) => {
    const form = upload(
      { apiProxyName: 'z', apiProxyCreationType: 'WSDL' },
      { name: 'spec.zip', bytes: await build() },
    )
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/apiops/projects/Zips/apiProxies/file/',
      headers: { ...bearer(dev), ...form.headers },
      payload: form.payload,
    })
    expect(res.statusCode, res.body).toBe(400)
    expect(res.json().validation_errors[0].field).toBe('specFile')
    expect(res.json().validation_errors[0].message).toMatch(message)
  })
})
