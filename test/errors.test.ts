import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ERROR_STATUS } from '../src/errors.ts'
import { bearer, buildTestApp, dialects, makeUser, type TestContext, tokenFor } from './helpers.ts'

// The error table is in the API reference, the secret-scanning rule in the tokens page.
const API_DOCS = readFileSync(new URL('../docs/api.md', import.meta.url), 'utf8')
const TOKEN_DOCS = readFileSync(new URL('../docs/tokens-and-auth.md', import.meta.url), 'utf8')

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : []
  })
}

describe('the error catalogue', () => {
  it('is exactly the error table of docs/api.md', () => {
    const table = [...API_DOCS.matchAll(/^\|\s*`([a-z_]+)`\s*\|\s*(\d{3})\s*\|$/gm)].map(
      ([, code, status]) => [code, Number(status)],
    )
    expect(Object.fromEntries(table)).toEqual(ERROR_STATUS)
  })

  it('is the only place that builds an error body', () => {
    const src = new URL('../src', import.meta.url).pathname
    const offenders = sourceFiles(src).filter(
      // http/schemas.ts only describes the body, for validation of responses and OpenAPI.
      (file) =>
        !file.endsWith('/errors.ts') &&
        !file.endsWith('/http/schemas.ts') &&
        /error_description/.test(readFileSync(file, 'utf8')),
    )
    expect(offenders).toEqual([])
  })
})

describe.each(dialects())('bad input answers 4xx, never 500 (%s)', (dialect) => {
  let ctx: TestContext
  let admin: string
  beforeAll(async () => {
    ctx = await buildTestApp(dialect)
    admin = (await tokenFor(ctx, (await makeUser(ctx, 'root', ['ROLE_ADMIN'])).id)).token
  })
  afterAll(() => ctx.close())

  const post = (payload: string, contentType: string) =>
    ctx.app.inject({
      method: 'POST',
      url: '/apiops/projects/',
      headers: { ...bearer(admin), 'content-type': contentType },
      payload,
    })

  it.each([
    ['malformed JSON', '{"name":', 'application/json', 400, 'bad_request', /not valid JSON/],
    ['an empty JSON body', '', 'application/json', 400, 'bad_request', /empty/],
    ['a JSON array', '[]', 'application/json', 400, 'validation_failed', /body/],
    ['a wrong type', '{"name":{"a":1}}', 'application/json', 400, 'validation_failed', /name/],
    [
      'an unknown field',
      '{"name":"x","owner":"me"}',
      'application/json',
      400,
      'validation_failed',
      /owner/,
    ],
    ['text/plain', 'name=x', 'text/plain', 415, 'unsupported_media_type', /text\/plain/],
    [
      'a body over 1 MiB',
      JSON.stringify({ name: 'x', description: 'y'.repeat(1_100_000) }),
      'application/json',
      413,
      'payload_too_large',
      /limit/,
    ],
  ])('%s', async (_name, payload, type, status, code, description) => {
    const res = await post(payload, type)
    expect(res.statusCode).toBe(status)
    expect(res.json().error).toBe(code)
    expect(res.json().error_description).toMatch(description)
    expect(res.body).not.toMatch(/at .*\.ts:\d+|stack/i)
  })

  it('refuses NUL and control characters in names and text with a 400, on every engine', async () => {
    const name = await ctx.app.inject({ url: '/apiops/projects/a%00b/', headers: bearer(admin) })
    expect(name.statusCode).toBe(400)
    expect(name.json().validation_errors[0]).toEqual({
      field: 'projectName',
      message:
        'must not contain spaces, slashes, control characters or invisible formatting (bidi, zero-width)',
    })
    const text = await post(
      JSON.stringify({ name: 'nul', description: 'a\u0000b' }),
      'application/json',
    )
    // Refused on both engines alike, though SQLite could store it and PostgreSQL cannot.
    expect(text.statusCode).toBe(400)
    expect(text.json().validation_errors).toEqual([
      { field: 'description', message: 'must not contain NUL (\\u0000) characters' },
    ])
  })

  it('gives a field-by-field list for validation failures', async () => {
    const res = await post('{"name":"has space","description":5}', 'application/json')
    expect(res.statusCode).toBe(400)
    expect(
      res
        .json()
        .validation_errors.map((v: { field: string }) => v.field)
        .sort(),
    ).toEqual(['description', 'name'])
  })

  it('matches the secret-scanning rule of docs/tokens-and-auth.md against a real token', async () => {
    const rule = /```\n(eyJ[^\n]+)\n```/.exec(TOKEN_DOCS)?.[1] as string
    expect(rule).toBeDefined()
    const token = (
      await tokenFor(ctx, (await makeUser(ctx, 'scanme')).id, { expiresAt: new Date('2030-01-01') })
    ).token
    expect(new RegExp(`^${rule}$`).test(token)).toBe(true)
    expect(new RegExp(`^${rule}$`).test(admin)).toBe(true)
  })
})
