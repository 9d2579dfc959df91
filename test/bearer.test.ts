import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { errors } from '../src/errors.ts'
import { setEnabled } from '../src/identity/users/users.service.ts'
import { bearer, buildTestApp, dialects, makeUser, type TestContext, tokenFor } from './helpers.ts'

const CHALLENGE = 'Bearer realm="apiops", error="invalid_token"'
const HELLO = '/apiops/test/hello/John'

describe.each(dialects())('Bearer authentication (%s)', (dialect) => {
  let ctx: TestContext
  let token: string
  let userId: string

  beforeAll(async () => {
    ctx = await buildTestApp(dialect)
    userId = (await makeUser(ctx, 'alice')).id
    token = (await tokenFor(ctx, userId)).token
  })
  afterAll(() => ctx.close())

  const hello = (headers: Record<string, string> = {}, url = HELLO) =>
    ctx.app.inject({ url, headers })

  async function expect401(
    res: Awaited<ReturnType<typeof hello>>,
    expected: { description: string; error?: string },
  ) {
    expect(res.statusCode).toBe(401)
    expect(res.headers['www-authenticate']).toBe(CHALLENGE)
    expect(res.json()).toEqual({
      error: expected.error ?? 'invalid_token',
      error_description: expected.description,
    })
  }

  it('lets a valid token through', async () => {
    const res = await hello(bearer(token))
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8')
    expect(res.body).toBe('Hello John')
  })

  it('answers the name as text, never as markup', async () => {
    const res = await hello(
      bearer(token),
      `/apiops/test/hello/${encodeURIComponent('<script>alert(1)</script>')}`,
    )
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toMatch(/^text\/plain/)
    expect(res.headers['x-content-type-options']).toBe('nosniff')
    expect(res.body).toBe('Hello <script>alert(1)</script>')
  })

  it('needs no token for the health check', async () => {
    const res = await ctx.app.inject({ url: '/apiops/test/healthcheck' })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8')
    expect(res.body).toBe('OK')
    expect((await ctx.app.inject({ url: '/apiops/test/healthcheck/' })).body).toBe('OK')
  })

  it('accepts the scheme in any case', async () => {
    for (const scheme of ['Bearer', 'bearer', 'BEARER', 'bEaReR']) {
      expect((await hello({ authorization: `${scheme} ${token}` })).statusCode).toBe(200)
    }
  })

  it('answers a missing header with its own description', async () => {
    await expect401(await hello(), { description: errors.authorizationMissing().description })
  })

  it.each([
    ['Basic', () => `Basic ${Buffer.from('alice:pw').toString('base64')}`],
    ['Token', () => `Token ${token}`],
    ['no scheme', () => token],
    ['Bearer glued to the token', () => `Bearer${token}`],
  ])('answers a non-Bearer scheme (%s) with its own description', async (_name, header) => {
    await expect401(await hello({ authorization: header() }), {
      description: errors.schemeNotBearer().description,
    })
  })

  it.each([
    ['two spaces', () => `Bearer  ${token}`],
    ['trailing space', () => `Bearer ${token} `],
    ['a tab inside', () => `Bearer ${token.slice(0, 10)}\t${token.slice(10)}`],
  ])('answers extra spaces (%s) with its own description', async (_name, header) => {
    await expect401(await hello({ authorization: header() }), {
      description: errors.tokenHasSpaces().description,
    })
  })

  it('answers a truncated or mistyped token as malformed or badly signed', async () => {
    await expect401(await hello(bearer(token.slice(0, token.lastIndexOf('.')))), {
      description: errors.tokenMalformed().description,
    })
    await expect401(await hello({ authorization: 'Bearer ' }), {
      description: errors.tokenMalformed().description,
    })
    // The third-to-last character carries six full bits of the signature (the last one
    // carries padding bits a decoder may ignore); swap it for one that surely differs.
    const swapped = token.at(-3) === 'A' ? 'B' : 'A'
    const typo = `${token.slice(0, -3)}${swapped}${token.slice(-2)}`
    expect(typo).not.toBe(token)
    await expect401(await hello(bearer(typo)), {
      description: errors.tokenSignatureInvalid().description,
    })
  })

  it('rejects an over-long header before decoding it', async () => {
    const res = await hello({ authorization: `Bearer ${token}${'A'.repeat(2000)}` })
    await expect401(res, { description: errors.authorizationTooLong(1031).description })
  })

  it('never reads a token from the query string', async () => {
    for (const q of ['access_token', 'token']) {
      await expect401(await hello({}, `${HELLO}?${q}=${token}`), {
        description: errors.tokenInWrongPlace('the query string').description,
      })
    }
  })

  it('never reads a token from a cookie', async () => {
    await expect401(await hello({ cookie: `access_token=${token}` }), {
      description: errors.tokenInWrongPlace('a cookie').description,
    })
  })

  it('answers a revoked token with its own description, on the very next request', async () => {
    const t = await tokenFor(ctx, userId)
    expect((await hello(bearer(t.token))).statusCode).toBe(200)
    const revoke = await ctx.app.inject({
      method: 'DELETE',
      url: `/apiops/me/tokens/${t.id}/`,
      headers: bearer(token),
    })
    expect(revoke.statusCode).toBe(200)
    await expect401(await hello(bearer(t.token)), {
      description: errors.tokenRevoked().description,
    })
  })

  it('answers an expired token with token_expired, saying when it expired', async () => {
    const expiresAt = new Date(ctx.clock.now().getTime() + 60_000)
    const t = await tokenFor(ctx, userId, { expiresAt })
    expect((await hello(bearer(t.token))).statusCode).toBe(200)
    ctx.clock.advance(60_000)
    await expect401(await hello(bearer(t.token)), {
      error: 'token_expired',
      description: `The token expired at ${expiresAt.toISOString()}. Create a new token.`,
    })
    ctx.clock.advance(-60_000)
  })

  it("answers a disabled owner's token with its own description, and accepts it again when enabled", async () => {
    const bob = await makeUser(ctx, 'bob')
    const t = await tokenFor(ctx, bob.id)
    expect((await hello(bearer(t.token))).statusCode).toBe(200)
    await setEnabled(ctx.services, 'bob', false)
    await expect401(await hello(bearer(t.token)), {
      description: errors.ownerDisabled().description,
    })
    await setEnabled(ctx.services, 'bob', true)
    expect((await hello(bearer(t.token))).statusCode).toBe(200)
  })

  it('answers a token signed by another installation as a signature failure', async () => {
    const other = await buildTestApp(dialect)
    try {
      const stranger = await makeUser(other, 'alice')
      const foreign = (await tokenFor(other, stranger.id)).token
      await expect401(await hello(bearer(foreign)), {
        description: errors.tokenSignatureInvalid().description,
      })
    } finally {
      await other.close()
    }
  })

  it('demands a token on every route under /apiops/ except the public ones', async () => {
    const publicRoutes = ctx.app.routeTable
      .filter((r) => r.public && !r.url.startsWith('/apiops/openapi'))
      .map((r) => `${r.method} ${r.url}`)
    expect(publicRoutes.sort()).toEqual([
      'GET /.well-known/oauth-authorization-server',
      'GET /apiops/test/healthcheck',
      'GET /apiops/test/readiness',
      // Each checks its own caller (introspection), or needs none (RFC 7009).
      'POST /apiops/auth/introspect',
      'POST /apiops/auth/revoke',
      'POST /apiops/auth/token',
      'POST /apiops/session/',
    ])
    const guarded = ctx.app.routeTable.filter((r) => !r.public)
    expect(guarded.length).toBeGreaterThan(15)
    for (const route of guarded) {
      const url = route.url.replace(/:(\w+)/g, 'x')
      const res = await ctx.app.inject({
        method: route.method as 'GET',
        url,
        payload: route.method === 'GET' || route.method === 'DELETE' ? undefined : {},
      })
      expect(res.statusCode, `${route.method} ${route.url}`).toBe(401)
      expect(res.headers['www-authenticate']).toBe(CHALLENGE)
    }
  })

  it('serves the OpenAPI documents and their UI without a token', async () => {
    const json = await ctx.app.inject({ url: '/apiops/openapi.json' })
    expect(json.statusCode).toBe(200)
    expect(json.json().openapi).toMatch(/^3\./)
    expect(Object.keys(json.json().paths)).toContain('/apiops/auth/token')
    const yaml = await ctx.app.inject({ url: '/apiops/openapi.yaml' })
    expect(yaml.statusCode).toBe(200)
    expect(yaml.body).toMatch(/^openapi: 3\./)
    expect((await ctx.app.inject({ url: '/apiops/openapi' })).statusCode).toBe(200)
  })

  it('demands a token before saying that an /apiops/ path does not exist', async () => {
    const anonymous = await ctx.app.inject({ url: '/apiops/no/such/route' })
    expect(anonymous.statusCode).toBe(401)
    const known = await ctx.app.inject({ url: '/apiops/no/such/route', headers: bearer(token) })
    expect(known.statusCode).toBe(404)
    expect(known.json().error).toBe('not_found')
  })

  it('guards HEAD like GET, and the bare /apiops path like any other', async () => {
    const head = await ctx.app.inject({ method: 'HEAD', url: '/apiops/projects/' })
    expect(head.statusCode).toBe(401)
    expect(head.headers['www-authenticate']).toBe(CHALLENGE)
    const withToken = await ctx.app.inject({
      method: 'HEAD',
      url: '/apiops/projects/',
      headers: bearer(token),
    })
    expect(withToken.statusCode).toBe(200)
    expect(
      (await ctx.app.inject({ method: 'HEAD', url: '/apiops/test/healthcheck' })).statusCode,
    ).toBe(200)
    expect((await ctx.app.inject({ url: '/apiops' })).statusCode).toBe(401)
    expect(
      (await ctx.app.inject({ url: '/apiops?access_token=x' })).json().error_description,
    ).toMatch(/query string/)
  })

  it('answers every route with and without its trailing slash', async () => {
    for (const url of [
      '/apiops/me',
      '/apiops/me/',
      '/apiops/me/tokens',
      '/apiops/me/tokens/',
      '/apiops/projects',
    ]) {
      expect((await ctx.app.inject({ url, headers: bearer(token) })).statusCode, url).toBe(200)
    }
  })
})
