import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bearer, buildTestApp, makeUser, type TestContext, tokenFor } from './helpers.ts'

/**
 * Throws generated bodies at every write route, as an administrator (so every check
 * past authorization is reached): whatever arrives, the answer is never a 5xx.
 */

type Schema = { properties?: Record<string, Schema>; anyOf?: Schema[]; items?: Schema }

/** Field names the route really takes (from its OpenAPI request schema), nested ones too. */
function fieldNames(schema: Schema | undefined, into = new Set<string>()): Set<string> {
  if (!schema) return into
  for (const [name, child] of Object.entries(schema.properties ?? {})) {
    into.add(name)
    fieldNames(child, into)
  }
  for (const option of schema.anyOf ?? []) fieldNames(option, into)
  fieldNames(schema.items, into)
  return into
}

/** Plausible values for any field: right and wrong types, edge strings, deep nesting. */
const value = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(
    '',
    ' ',
    'x'.repeat(5000),
    '../../etc/passwd',
    "' OR 1=1 --",
    '<img src=x>',
    '\u0000',
    'null',
  ),
  fc.constantFrom(
    'https://example.com',
    '/path',
    'REVERSE_PROXY',
    'ROLE_ADMIN',
    '2030-01-01',
    'P',
    'E',
  ),
  fc.integer(),
  fc.double(),
)

function bodies(names: string[]) {
  const record =
    names.length > 0
      ? fc.dictionary(fc.constantFrom(...names), value, { maxKeys: names.length + 2 })
      : fc.dictionary(fc.string(), value)
  return fc.oneof(
    { weight: 4, arbitrary: record },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
  )
}

describe('generated bodies never cause a 5xx', () => {
  let ctx: TestContext
  let admin: string
  let document: {
    paths: Record<
      string,
      Record<string, { requestBody?: { content?: Record<string, { schema?: Schema }> } }>
    >
  }

  beforeAll(async () => {
    ctx = await buildTestApp('sqlite')
    admin = (await tokenFor(ctx, (await makeUser(ctx, 'root', ['ROLE_ADMIN'])).id)).token
    const call = (method: string, url: string, payload: unknown) =>
      ctx.app.inject({
        method: method as 'POST',
        url,
        headers: bearer(admin),
        payload: payload as object,
      })
    await call('POST', '/apiops/projects/', { name: 'P' })
    await call('POST', '/apiops/environments/', {
      name: 'E',
      type: 'TEST',
      accessUrl: 'https://e',
      projects: ['P'],
    })
    await call('POST', '/apiops/projects/P/apiProxies/url/', {
      apiProxyName: 'base',
      apiProxyCreationType: 'REVERSE_PROXY',
      routingInfo: { routingAddressList: [{ address: 'https://backend.internal' }] },
    })
    document = (await ctx.app.inject({ url: '/apiops/openapi.json' })).json()
  })
  afterAll(() => ctx.close())

  const writeRoutes = () =>
    Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.entries(methods)
        .filter(([method, op]) => ['post', 'put', 'patch'].includes(method) && op.requestBody)
        .map(([method, op]) => ({
          method: method.toUpperCase(),
          // Path parameters point at things that exist, so validation and services run.
          url: path
            .replace('{projectName}', 'P')
            .replace('{apiProxyName}', 'base')
            .replace('{environmentName}', 'E')
            .replace('{username}', 'root')
            .replace(/\{[^}]+\}/g, 'x'),
          names: [...fieldNames(op.requestBody?.content?.['application/json']?.schema)],
        })),
    )

  it('covers the write routes', () => {
    expect(writeRoutes().length).toBeGreaterThan(10)
  })

  it('answers every generated body with a 2xx, 3xx or 4xx', async () => {
    const failures: string[] = []
    for (const route of writeRoutes()) {
      await fc.assert(
        fc.asyncProperty(bodies(route.names), async (body) => {
          const res = await ctx.app.inject({
            method: route.method as 'POST',
            url: route.url,
            headers: { ...bearer(admin), 'content-type': 'application/json' },
            payload: JSON.stringify(body),
          })
          if (res.statusCode >= 500)
            failures.push(`${route.method} ${route.url} ${JSON.stringify(body)} -> ${res.body}`)
          return res.statusCode < 500
        }),
        { numRuns: 60, seed: 20261129 },
      )
    }
    expect(failures).toEqual([])
  })
})
