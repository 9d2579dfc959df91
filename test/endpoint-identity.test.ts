import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { specForm, upload } from './fixtures/spec-upload.ts'
import { bearer, buildTestApp, dialects, makeUser, type TestContext, tokenFor } from './helpers.ts'

/*
 * What refers to an endpoint (an RLCL's rate limit, an endpoint policy) refers to its
 * row. A re-parse of the spec and an import that overrides the proxy keep the rows of
 * the endpoints they keep, so those references survive; the endpoints they drop take
 * theirs with them.
 */

const op = (operationId: string) => ({ operationId, responses: { 200: { description: 'ok' } } })
const spec = (paths: object) =>
  JSON.stringify({
    openapi: '3.0.3',
    info: { title: 'Pets', version: '1' },
    servers: [{ url: 'https://pets.backend.example/v1' }],
    paths,
  })
const V1 = spec({ '/pets': { get: op('listPets') }, '/pets/{id}': { get: op('getPet') } })
const V2 = spec({ '/pets': { get: op('listPets') }, '/owners': { get: op('listOwners') } })

const P = '/apiops/projects/Pets'
const RLCL = `${P}/rlcl/Limits`
const limit = (endpointName: string) => ({
  apiProxyName: 'pets',
  endpointName,
  endpointHTTPMethod: 'GET',
  permittedMessageCount: 10,
  timeIntervalPeriodLength: 1,
  timeInterval: 'ONE_MINUTE',
  cacheConnectionTimeoutInSeconds: 3,
  cacheErrorHandlingType: 'FAIL',
  timeIntervalWindowType: 'FIXED',
})

describe.each(dialects())('endpoint rows survive re-parse and import override (%s)', (dialect) => {
  let ctx: TestContext
  let admin: string

  const call = async (method: string, url: string, payload?: unknown) => {
    const res = await ctx.app.inject({
      method: method as 'GET',
      url,
      headers: bearer(admin),
      ...(payload === undefined ? {} : { payload: payload as object }),
    })
    expect(res.statusCode, `${method} ${url}: ${res.body}`).toBe(200)
    return res
  }
  const putSpec = async (bytes: string) => {
    const form = upload(
      {
        apiProxyName: 'pets',
        apiProxyCreationType: 'OPEN_API',
        clientRoute: { relativePathList: ['/pets'] },
      },
      { name: 'pets.json', bytes },
    )
    const res = await ctx.app.inject({
      method: 'PUT',
      url: `${P}/apiProxies/file/`,
      headers: { ...bearer(admin), ...form.headers },
      payload: form.payload,
    })
    expect(res.statusCode, res.body).toBe(200)
  }
  const limited = async () =>
    (await call('GET', `${RLCL}/`))
      .json()
      .rlcl.endpointRateLimitList.map((l: { endpointName: string }) => l.endpointName)

  beforeAll(async () => {
    ctx = await buildTestApp(dialect)
    admin = (await tokenFor(ctx, (await makeUser(ctx, 'root', ['ROLE_ADMIN'])).id)).token
    const created = await ctx.app.inject({
      method: 'POST',
      url: '/apiops/projects/',
      headers: bearer(admin),
      payload: { name: 'Pets' },
    })
    expect(created.statusCode, created.body).toBe(201)
    const form = upload(
      {
        apiProxyName: 'pets',
        apiProxyCreationType: 'OPEN_API',
        clientRoute: { relativePathList: ['/pets'] },
      },
      { name: 'pets.json', bytes: V1 },
    )
    const res = await ctx.app.inject({
      method: 'POST',
      url: `${P}/apiProxies/file/`,
      headers: { ...bearer(admin), ...form.headers },
      payload: form.payload,
    })
    expect(res.statusCode, res.body).toBe(200)
    await call('POST', `${P}/rlcl/`, { name: 'Limits' })
    await call('POST', `${RLCL}/endpoints/`, {
      endpointRateLimitList: [limit('/pets'), limit('/pets/{id}')],
    })
  })
  afterAll(async () => ctx?.close())

  it('keeps the rate limits of the endpoints a re-parse keeps, by row', async () => {
    const before = (await call('GET', `${P}/apiProxies/pets/endpoints/`)).json().resultList
    expect(await limited()).toEqual(['/pets', '/pets/{id}'])
    await putSpec(V2)
    expect(await limited()).toEqual(['/pets'])
    const after = (await call('GET', `${P}/apiProxies/pets/endpoints/`)).json().resultList
    const idOf = (list: { endpoint: string; id: string }[]) =>
      list.find((e) => e.endpoint === '/pets')?.id
    expect(idOf(after)).toBeDefined()
    expect(idOf(after)).toBe(idOf(before))
  })

  it('keeps them through an import that overrides the proxy with its own export', async () => {
    const exported = (await call('GET', `${P}/apiProxies/pets/export/`)).rawPayload
    const form = specForm([
      { name: 'apiProxyExportFile', value: exported, filename: 'apiProxyExportFile.zip' },
    ])
    const res = await ctx.app.inject({
      method: 'PUT',
      url: `${P}/apiProxies/pets/import/`,
      headers: { ...bearer(admin), ...form.headers },
      payload: form.payload,
    })
    expect(res.statusCode, res.body).toBe(200)
    expect(await limited()).toEqual(['/pets'])
  })
})
