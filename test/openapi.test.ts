import SwaggerParser from '@apidevtools/swagger-parser'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bearer, buildTestApp, makeUser, type TestContext, tokenFor } from './helpers.ts'

type Operation = {
  operationId?: string
  responses: Record<string, { content?: Record<string, { schema?: unknown }> }>
  security?: unknown[]
  'x-required-roles'?: string[]
  'x-console-session-only'?: boolean
  description?: string
}

describe('the OpenAPI document', () => {
  let ctx: TestContext
  let document: { openapi: string; paths: Record<string, Record<string, Operation>> }

  beforeAll(async () => {
    ctx = await buildTestApp('sqlite')
    document = (await ctx.app.inject({ url: '/apiops/openapi.json' })).json()
  })
  afterAll(() => ctx.close())

  const operations = () =>
    Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]) => ({
        key: `${method.toUpperCase()} ${path}`,
        op,
      })),
    )

  it('is a valid OpenAPI 3.1 document', async () => {
    expect(document.openapi).toBe('3.1.0')
    await expect(SwaggerParser.validate(structuredClone(document) as never)).resolves.toBeDefined()
  })

  it('describes every route the server registered, and nothing else', () => {
    const documented = operations().map((o) => o.key.replace(/\{(\w+)\}/g, ':$1'))
    const registered = ctx.app.routeTable
      .filter((r) => !r.url.startsWith('/apiops/openapi'))
      .map((r) => `${r.method} ${r.url}`)
    expect(documented.sort()).toEqual(registered.sort())
  })

  it('gives every operation a unique operationId, a success schema, its error answers and its roles', () => {
    const ids = new Set<string>()
    for (const { key, op } of operations()) {
      expect(op.operationId, key).toMatch(/^[a-z][A-Za-z]+$/)
      expect(ids.has(op.operationId as string), `duplicate operationId ${op.operationId}`).toBe(
        false,
      )
      ids.add(op.operationId as string)
      const success = Object.keys(op.responses).filter((s) => s.startsWith('2'))
      expect(success.length, key).toBeGreaterThan(0)
      for (const status of success)
        expect(op.responses[status]?.content, `${key} ${status}`).toBeDefined()
      expect(Array.isArray(op['x-required-roles']), key).toBe(true)
      const open = Array.isArray(op.security) && op.security.length === 0
      if (!open) expect(Object.keys(op.responses), key).toContain('401')
      if ((op['x-required-roles'] ?? []).length > 0)
        expect(Object.keys(op.responses), key).toContain('403')
      for (const [status, response] of Object.entries(op.responses)) {
        if (status.startsWith('4') || status.startsWith('5')) {
          expect(response.content?.['application/json']?.schema, `${key} ${status}`).toBeDefined()
        }
      }
    }
  })

  it('marks the console-session-only operations, from the authorization policy', () => {
    const only = operations()
      .filter(({ op }) => op['x-console-session-only'] === true)
      .map(({ key, op }) => {
        expect(op.description, key).toContain('Console session only: a token gets 403.')
        expect(Object.keys(op.responses), key).toContain('403')
        return key
      })
    expect(only.sort()).toEqual([
      'DELETE /apiops/session/',
      'GET /apiops/session/',
      'POST /apiops/me/tokens/',
      'PUT /apiops/me/password/',
    ])
  })

  it('keeps plain words beside every pattern, so no client is answered a regular expression', () => {
    const bare: string[] = []
    let patterns = 0
    const walk = (node: unknown, at: string) => {
      if (Array.isArray(node)) {
        for (const [i, item] of node.entries()) walk(item, `${at}/${i}`)
      } else if (node && typeof node === 'object') {
        const schema = node as Record<string, unknown>
        if (typeof schema.pattern === 'string') {
          patterns++
          if (typeof schema['x-pattern-message'] !== 'string') bare.push(`${at}: ${schema.pattern}`)
        }
        for (const [key, value] of Object.entries(schema)) walk(value, `${at}/${key}`)
      }
    }
    walk(document, '#')
    expect(patterns).toBeGreaterThan(20)
    expect(bare).toEqual([])
  })

  it('answers the words kept beside a pattern, not the pattern', async () => {
    const res = await ctx.app.inject({ url: '/apiops/projects/?sort=na-me', headers: {} })
    // Validation runs after authentication: an anonymous caller learns nothing from it.
    expect(res.statusCode).toBe(401)
    const user = await makeUser(ctx, 'words')
    const { token } = await tokenFor(ctx, user.id)
    const typo = await ctx.app.inject({
      url: '/apiops/projects/?sort=na-me',
      headers: bearer(token),
    })
    expect(typo.json().validation_errors).toEqual([
      { field: 'sort', message: 'must be a field name, then ,asc or ,desc' },
    ])
  })

  it('serves the same document as YAML', async () => {
    const yaml = await ctx.app.inject({ url: '/apiops/openapi.yaml' })
    expect(yaml.headers['content-type']).toMatch(/yaml/)
    const { parse } = await import('yaml')
    // The YAML reuses repeated schemas through anchors; there are many.
    expect(parse(yaml.body, { maxAliasCount: -1 })).toEqual(document)
  })
})
