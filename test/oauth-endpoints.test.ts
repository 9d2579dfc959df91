import { afterAll, beforeAll, describe, expect, it } from 'vitest'
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

/*
 * RFC 7662 introspection, RFC 7009 revocation and RFC 8414 metadata, over HTTP. The
 * unmodified OAuth client library's view is in oauth-client.test.ts; two nodes in
 * oauth-cluster.test.ts.
 */

const INTROSPECT = '/apiops/auth/introspect'
const REVOKE = '/apiops/auth/revoke'
const basic = (user: string, password = PASSWORD) => ({
  authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
})

describe.each(dialects())('the OAuth endpoints (%s)', (dialect) => {
  let ctx: TestContext
  let aliceId: string
  let adminToken: string
  let probeToken: string

  const introspect = (token: string, headers: Record<string, string> = basic('probe')) => {
    const body = form({ token })
    return ctx.app.inject({
      method: 'POST',
      url: INTROSPECT,
      headers: { ...body.headers, ...headers },
      payload: body.payload,
    })
  }
  const revoke = (fields: Record<string, string>, ip = '198.51.100.7') => {
    const body = form(fields)
    return ctx.app.inject({
      method: 'POST',
      url: REVOKE,
      remoteAddress: ip,
      headers: body.headers,
      payload: body.payload,
    })
  }
  const me = (token: string) => ctx.app.inject({ url: '/apiops/me/', headers: bearer(token) })

  beforeAll(async () => {
    ctx = await buildTestApp(dialect)
    const admin = await makeUser(ctx, 'root', ['ROLE_ADMIN'])
    adminToken = (await tokenFor(ctx, admin.id)).token
    const probe = await makeUser(ctx, 'probe', ['ROLE_TOKEN_INTROSPECTION'])
    probeToken = (await tokenFor(ctx, probe.id)).token
    aliceId = (await makeUser(ctx, 'alice', ['ROLE_MANAGE_PROXIES', 'ROLE_API_SECURITY'])).id
    await makeUser(ctx, 'plain', [])
  })
  afterAll(() => ctx.close())

  it('publishes RFC 8414 metadata without credentials, issuer and endpoints from the request', async () => {
    const res = await ctx.app.inject({
      url: '/.well-known/oauth-authorization-server',
      headers: { host: 'api.example.test:8080' },
    })
    expect(res.statusCode).toBe(200)
    const base = 'http://api.example.test:8080'
    expect(res.json()).toMatchObject({
      issuer: base,
      token_endpoint: `${base}/apiops/auth/token`,
      introspection_endpoint: `${base}/apiops/auth/introspect`,
      revocation_endpoint: `${base}/apiops/auth/revoke`,
      grant_types_supported: ['client_credentials'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    })
  })

  it('introspects an active token: owner, effective roles as scope, iat and exp', async () => {
    const dated = await tokenFor(ctx, aliceId, { expiresAt: new Date('2026-03-01T00:00:00Z') })
    const res = await introspect(dated.token)
    expect(res.statusCode, res.body).toBe(200)
    expect(res.headers['cache-control']).toBe('no-store')
    expect(res.json()).toEqual({
      active: true,
      sub: aliceId,
      username: 'alice',
      client_id: 'alice',
      scope: 'ROLE_API_SECURITY ROLE_MANAGE_PROXIES',
      token_type: 'Bearer',
      iat: Date.parse('2026-01-15T10:00:00Z') / 1000,
      exp: Date.parse('2026-03-01T00:00:00Z') / 1000,
      jti: dated.id,
    })
    // A token that never expires has no exp.
    const forever = await introspect((await tokenFor(ctx, aliceId)).token)
    expect(forever.json().active).toBe(true)
    expect(forever.json()).not.toHaveProperty('exp')
  })

  it('takes the caller as form client_id/client_secret or as a Bearer token (admin or introspection role)', async () => {
    const { token } = await tokenFor(ctx, aliceId)
    const body = form({ token, client_id: 'probe', client_secret: PASSWORD })
    const viaForm = await ctx.app.inject({ method: 'POST', url: INTROSPECT, ...body })
    expect(viaForm.json().active).toBe(true)
    for (const caller of [probeToken, adminToken]) {
      expect((await introspect(token, bearer(caller))).json().active).toBe(true)
    }
  })

  it('refuses callers without the role (403), with wrong or missing credentials (401, 400)', async () => {
    const { token } = await tokenFor(ctx, aliceId)
    const plain = await introspect(token, basic('plain'))
    expect(plain.statusCode).toBe(403)
    expect(plain.json().error_description).toContain('ROLE_TOKEN_INTROSPECTION')
    const wrong = await introspect(token, basic('probe', 'wrong password'))
    expect(wrong.statusCode).toBe(401)
    expect(wrong.json()).toEqual({
      error: 'unauthorized_client',
      error_description: 'Bad credentials',
    })
    const none = await introspect(token, {})
    expect(none.statusCode).toBe(400)
    expect(none.json().error_description).toContain('client_id')
    const badBearer = await introspect(token, bearer('not-a-token'))
    expect(badBearer.statusCode).toBe(401)
    const missing = await ctx.app.inject({
      method: 'POST',
      url: INTROSPECT,
      ...form({ client_id: 'probe', client_secret: PASSWORD }),
    })
    expect(missing.statusCode).toBe(400)
    expect(missing.json().error_description).toContain('Missing parameter token')
    const json = await ctx.app.inject({
      method: 'POST',
      url: INTROSPECT,
      headers: basic('probe'),
      payload: { token },
    })
    expect(json.statusCode).toBe(400)
    expect(json.json().error_description).toContain('not JSON')
  })

  it('locks the caller out after repeated wrong passwords, as the token endpoint does (429)', async () => {
    const { token } = await tokenFor(ctx, aliceId)
    await makeUser(ctx, 'probe2', ['ROLE_TOKEN_INTROSPECTION'])
    for (let i = 0; i < 5; i++) {
      expect((await introspect(token, basic('probe2', 'wrong password'))).statusCode).toBe(401)
    }
    const locked = await introspect(token, basic('probe2'))
    expect(locked.statusCode).toBe(429)
    expect(locked.json().error).toBe('rate_limit_exceeded')
  })

  it('answers {active:false} and nothing else for revoked, expired, unknown, malformed and disabled-owner tokens', async () => {
    const revoked = await tokenFor(ctx, aliceId)
    expect((await introspect(revoked.token)).json().active).toBe(true)
    const del = await ctx.app.inject({
      method: 'DELETE',
      url: `/apiops/users/alice/tokens/${revoked.id}/`,
      headers: bearer(adminToken),
    })
    expect(del.statusCode).toBe(200)
    const expiring = await tokenFor(ctx, aliceId, { expiresAt: new Date('2026-01-15T11:00:00Z') })
    const other = await buildTestApp('sqlite')
    const foreign = (await tokenFor(other, (await makeUser(other, 'alice')).id)).token
    await other.close()
    const bob = await makeUser(ctx, 'bob', ['ROLE_MANAGE_PROXIES'])
    const bobs = await tokenFor(ctx, bob.id)
    expect((await introspect(bobs.token)).json().active).toBe(true)
    expect(
      (
        await ctx.app.inject({
          method: 'POST',
          url: '/apiops/users/bob/disable/',
          headers: bearer(adminToken),
        })
      ).statusCode,
    ).toBe(200)
    ctx.clock.advance(3_600_000)
    for (const token of [revoked.token, expiring.token, foreign, 'abc', 'a b', bobs.token]) {
      const res = await introspect(token)
      expect(res.statusCode, token).toBe(200)
      expect(res.json(), token).toEqual({ active: false })
    }
    ctx.clock.set('2026-01-15T10:00:00Z')
  })

  it('is not a use of the token: no last-use time is written', async () => {
    const fresh = await tokenFor(ctx, aliceId)
    expect((await introspect(fresh.token)).json().active).toBe(true)
    await ctx.services.usage.flush()
    const row = await ctx.store.db
      .selectFrom('api_tokens')
      .select(['last_used_at', 'last_used_ip'])
      .where('id', '=', fresh.id)
      .executeTakeFirstOrThrow()
    expect(row).toEqual({ last_used_at: null, last_used_ip: null })
  })

  it('revokes a token anyone submits, without credentials, and records who held it', async () => {
    const leaked = await tokenFor(ctx, aliceId)
    expect((await me(leaked.token)).statusCode).toBe(200)
    const res = await revoke({ token: leaked.token, token_type_hint: 'access_token' })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual({})
    expect((await me(leaked.token)).statusCode).toBe(401)
    expect((await introspect(leaked.token)).json()).toEqual({ active: false })
    await ctx.services.audit.flush()
    const events = await ctx.store.db
      .selectFrom('audit_events')
      .selectAll()
      .where('action', '=', 'token.revokedByPresenter')
      .execute()
    expect(events.map((e) => [e.target, e.client_ip, e.actor_username])).toContainEqual([
      `tokenId=${leaked.id} owner=alice`,
      '198.51.100.7',
      'alice',
    ])
  })

  it('answers 200 for unknown, dead and malformed tokens and any hint (RFC 7009 §2.2); 400 without a token', async () => {
    const twice = await tokenFor(ctx, aliceId)
    const submissions: Record<string, string>[] = [
      { token: twice.token, token_type_hint: 'refresh_token' },
      { token: twice.token },
      { token: 'not a token at all' },
      { token: 'abc', token_type_hint: 'something_else' },
    ]
    for (const fields of submissions) {
      const res = await revoke(fields, '198.51.100.8')
      expect(res.statusCode, JSON.stringify(fields)).toBe(200)
    }
    expect((await me(twice.token)).statusCode).toBe(401)
    const none = await revoke({}, '198.51.100.8')
    expect(none.statusCode).toBe(400)
    expect(none.json()).toMatchObject({ error: 'invalid_request' })
    expect(none.json().error_description).toContain('token')
  })

  it('revokes a disabled owner’s leaked token for good', async () => {
    const carol = await makeUser(ctx, 'carol', [])
    const leaked = await tokenFor(ctx, carol.id)
    const admin = (path: string) =>
      ctx.app.inject({ method: 'POST', url: path, headers: bearer(adminToken) })
    await admin('/apiops/users/carol/disable/')
    expect((await revoke({ token: leaked.token }, '198.51.100.9')).statusCode).toBe(200)
    await admin('/apiops/users/carol/enable/')
    expect((await me(leaked.token)).statusCode).toBe(401)
  })

  it('limits submissions per client address (429 after 30 a minute), not per token', async () => {
    for (let i = 0; i < 30; i++) {
      expect((await revoke({ token: `junk${i}` }, '203.0.113.50')).statusCode).toBe(200)
    }
    const refused = await revoke({ token: 'junk' }, '203.0.113.50')
    expect(refused.statusCode).toBe(429)
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1)
    expect((await revoke({ token: 'junk' }, '203.0.113.51')).statusCode).toBe(200)
  })
})
