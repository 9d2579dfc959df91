import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { upload } from './fixtures/spec-upload.ts'
import { bearer, buildTestApp, dialects, makeUser, type TestContext, tokenFor } from './helpers.ts'

/*
 * Spec-made and hand-made endpoints are one kind of thing. A proxy PUT re-reads its spec
 * (reParse, true unless the body says false): operations the new spec still declares
 * keep their edits and ids, those it dropped go, new ones come, and hand-made endpoints
 * always stay. reParse false leaves the endpoints as they are.
 */

// biome-ignore lint/suspicious/noExplicitAny: answers are walked field by field
type Json = Record<string, any>

const op = (operationId: string, summary?: string) => ({
  operationId,
  ...(summary ? { summary } : {}),
  responses: { 200: { description: 'ok' } },
})
const spec = (paths: Json) =>
  JSON.stringify({
    openapi: '3.0.3',
    info: { title: 'Pets', version: '1' },
    servers: [{ url: 'https://pets.backend.example/v1' }],
    paths,
  })
const V1 = spec({
  '/pets': { get: op('listPets', 'List pets'), post: op('createPet') },
  '/pets/{id}': { get: op('getPet') },
})
const V2 = spec({
  '/pets': { get: op('listAllPets', 'All the pets') },
  '/pets/{id}': { delete: op('deletePet') },
  '/hand': { get: op('handFromSpec') },
})

describe.each(dialects())(
  're-parsing a proxy spec keeps edits and hand-made endpoints (%s)',
  (dialect) => {
    let ctx: TestContext
    let dev: string

    beforeAll(async () => {
      ctx = await buildTestApp(dialect)
      const admin = (await tokenFor(ctx, (await makeUser(ctx, 'root', ['ROLE_ADMIN'])).id)).token
      dev = (await tokenFor(ctx, (await makeUser(ctx, 'dev', ['ROLE_MANAGE_PROXIES'])).id)).token
      for (const [url, payload] of [
        ['/apiops/projects/', { name: 'Pets' }],
        ['/apiops/projects/Pets/members/', { username: 'dev' }],
      ] as const) {
        const res = await ctx.app.inject({ method: 'POST', url, headers: bearer(admin), payload })
        expect(res.statusCode, res.body).toBe(201)
      }
    })
    afterAll(async () => ctx?.close())

    const send = async (method: 'POST' | 'PUT', bytes: string, extra: Json = {}) => {
      const form = upload(
        {
          apiProxyName: 'pets',
          apiProxyCreationType: 'OPEN_API',
          clientRoute: { relativePathList: ['/pets'] },
          ...extra,
        },
        { name: 'pets.json', bytes },
      )
      const res = await ctx.app.inject({
        method,
        url: '/apiops/projects/Pets/apiProxies/file/',
        headers: { ...bearer(dev), ...form.headers },
        payload: form.payload,
      })
      expect(res.statusCode, res.body).toBe(200)
      return res.json().apiProxy
    }
    const at = (path = '') => `/apiops/projects/Pets/apiProxies/pets/endpoints/${path}`
    const call = async (method: 'POST' | 'PATCH', path: string, payload: Json) => {
      const res = await ctx.app.inject({ method, url: at(path), headers: bearer(dev), payload })
      expect(res.statusCode, res.body).toBe(200)
    }
    const list = async (): Promise<Json[]> => {
      const res = await ctx.app.inject({ url: at(), headers: bearer(dev) })
      expect(res.statusCode, res.body).toBe(200)
      return res.json().resultList
    }
    const keys = (endpoints: Json[]) => endpoints.map((e) => `${e.httpMethod} ${e.endpoint}`)

    it('fills the endpoints from the spec on create, then re-parses them on PUT', async () => {
      const created = await send('POST', V1)
      expect(keys(created.endpoints)).toEqual(['GET /pets', 'POST /pets', 'GET /pets/{id}'])
      expect(created.endpoints[0]).toMatchObject({
        description: 'List pets',
        active: true,
        backendResourceUrl: '/pets',
        backendHttpMethod: 'GET',
        origin: 'spec',
        operationId: 'listPets',
      })
      const listPets = created.endpoints[0].id

      // Edits of a spec endpoint, and two hand-made ones (one the next spec will declare).
      await call('PATCH', '', {
        name: '/pets',
        httpMethod: 'GET',
        description: 'edited',
        backendResourceUrl: '/animals',
        backendHttpMethod: 'POST',
      })
      const key = { identifierName: '/pets', identifierHttpMethod: 'GET' }
      await call('PATCH', 'status/', { ...key, active: false })
      const cacheSettings = { name: 'c', handlingAction: 'CONTINUE', cacheActive: true, ttl: 60 }
      await call('PATCH', 'cache/', { ...key, cacheSettings })
      for (const name of ['/manual', '/hand']) {
        await call('POST', '', {
          name,
          description: `made by hand: ${name}`,
          httpMethod: 'GET',
          backendResourceUrl: name,
          backendHttpMethod: 'GET',
        })
      }
      await call('PATCH', '', { name: '/pets/{id}', httpMethod: 'GET', description: 'doomed' })

      // No reParse in the body: the documented default (true) re-reads the spec.
      const after = await send('PUT', V2)
      expect(keys(after.endpoints)).toEqual([
        'GET /pets',
        'DELETE /pets/{id}',
        'GET /hand',
        'GET /manual',
      ])
      const [pets, deletePet, hand, manual] = after.endpoints
      expect(pets).toMatchObject({
        id: listPets,
        description: 'edited',
        active: false,
        backendResourceUrl: '/animals',
        backendHttpMethod: 'POST',
        origin: 'spec',
        operationId: 'listAllPets',
        summary: 'All the pets',
      })
      expect(pets.cacheSettings).toMatchObject(cacheSettings)
      expect(deletePet).toMatchObject({ origin: 'spec', operationId: 'deletePet', active: true })
      // A hand-made endpoint the spec now declares stays hand-made, with its own fields.
      expect(hand).toMatchObject({
        origin: 'manual',
        description: 'made by hand: /hand',
        operationId: 'handFromSpec',
      })
      expect(manual).toMatchObject({ origin: 'manual', operationId: null })
      expect(await list()).toEqual(after.endpoints)
    })

    it('keeps the endpoints as they are with reParse false, and re-parses with true', async () => {
      const before = await list()
      const kept = await send('PUT', V1, { reParse: false })
      expect(kept.endpoints).toEqual(before)
      const reparsed = await send('PUT', V1, { reParse: true })
      expect(keys(reparsed.endpoints)).toEqual([
        'GET /pets',
        'POST /pets',
        'GET /pets/{id}',
        'GET /hand',
        'GET /manual',
      ])
      // The hand-made /hand, no longer in the spec, stays; /manual too.
      expect(reparsed.endpoints[3]).toMatchObject({ origin: 'manual', endpoint: '/hand' })
    })

    it('keeps hand-made endpoints of a REVERSE_PROXY through a PUT', async () => {
      const body = {
        apiProxyName: 'rp',
        apiProxyCreationType: 'REVERSE_PROXY',
        clientRoute: { relativePathList: ['/rp'] },
        routingInfo: { routingAddressList: [{ address: 'https://backend.example.com' }] },
      }
      const put = (method: 'POST' | 'PUT') =>
        ctx.app.inject({
          method,
          url: '/apiops/projects/Pets/apiProxies/url/',
          headers: bearer(dev),
          payload: body,
        })
      expect((await put('POST')).statusCode).toBe(200)
      const made = await ctx.app.inject({
        method: 'POST',
        url: '/apiops/projects/Pets/apiProxies/rp/endpoints/',
        headers: bearer(dev),
        payload: {
          name: '/x',
          httpMethod: 'GET',
          backendResourceUrl: '/x',
          backendHttpMethod: 'GET',
        },
      })
      expect(made.statusCode, made.body).toBe(200)
      const res = await put('PUT')
      expect(res.statusCode, res.body).toBe(200)
      expect(keys(res.json().apiProxy.endpoints)).toEqual(['GET /x'])
    })

    it('keeps the policies of the endpoints a re-parse keeps, and drops those it drops', async () => {
      // The proxy the first test made, back on the first spec.
      await send('PUT', V1)
      const policy = (endpoint: string, name: string) =>
        ctx.app.inject({
          method: 'POST',
          url: `/apiops/projects/Pets/apiProxies/pets/policies/${name}/`,
          headers: bearer(dev),
          payload: {
            operationMetadata: {
              targetScope: 'ENDPOINT',
              targetEndpoint: endpoint,
              targetEndpointHTTPMethod: 'GET',
              targetPipeline: 'REQUEST',
              deploy: false,
            },
            policy: { type: 'policy-black-ip', ipList: ['10.0.0.1'] },
          },
        })
      expect((await policy('/pets', 'kept')).statusCode).toBe(200)
      expect((await policy('/pets/{id}', 'dropped')).statusCode).toBe(200)
      await send('PUT', V2)
      const res = await ctx.app.inject({
        url: '/apiops/projects/Pets/apiProxies/pets/policies/',
        headers: bearer(dev),
      })
      const lists = res
        .json()
        .resultList[0].endpointList.map((e: Json) => [
          `${e.httpMethod} ${e.endpoint}`,
          e.requestPolicyList.map((p: Json) => p.name),
        ])
      expect(lists).toContainEqual(['GET /pets', ['kept']])
      expect(JSON.stringify(lists)).not.toContain('dropped')
    })
  },
)
