import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { errors } from '../src/errors.ts'
import { purgeExpiredTokens } from '../src/identity/tokens/tokens.service.ts'
import {
  bearer,
  buildTestApp,
  consoleSession,
  dialects,
  makeUser,
  type TestContext,
  tokenFor,
} from './helpers.ts'

describe.each(dialects())('personal API access tokens (%s)', (dialect) => {
  let ctx: TestContext
  let admin: string
  let alice: { id: string; token: string }

  beforeAll(async () => {
    ctx = await buildTestApp(dialect)
    const a = await makeUser(ctx, 'root', ['ROLE_ADMIN'])
    admin = (await tokenFor(ctx, a.id, { name: 'admin token' })).token
    const u = await makeUser(ctx, 'alice', ['ROLE_MANAGE_PROXIES'])
    alice = { id: u.id, token: (await tokenFor(ctx, u.id, { name: 'alice main' })).token }
  })
  afterAll(() => ctx.close())

  const call = (method: string, url: string, token: string, payload?: unknown) =>
    ctx.app.inject({
      method: method as 'GET',
      url,
      headers: bearer(token),
      ...(payload ? { payload } : {}),
    })
  const myTokens = async (token: string) =>
    (await call('GET', '/apiops/me/tokens/', token)).json().resultList

  it('GET /apiops/me/ says who I am, my roles, my projects and which token I use', async () => {
    await call('POST', '/apiops/projects/', admin, { name: 'Payments' })
    await call('POST', '/apiops/projects/Payments/members/', admin, { username: 'alice' })
    const res = await call('GET', '/apiops/me/', alice.token)
    expect(res.statusCode).toBe(200)
    const me = res.json()
    expect(me).toMatchObject({
      username: 'alice',
      roles: ['ROLE_MANAGE_PROXIES'],
      projects: ['Payments'],
      authenticatedWith: 'token',
      token: { name: 'alice main', source: 'cli', status: 'active', expiresAt: null },
    })
    expect(JSON.stringify(me)).not.toContain(alice.token)
  })

  it('lists my tokens newest first, with every field, never a secret or a hash', async () => {
    ctx.clock.advance(1000)
    const second = await tokenFor(ctx, alice.id, {
      name: 'second',
      expiresAt: new Date('2027-01-01T00:00:00Z'),
    })
    const list = await myTokens(alice.token)
    expect(list.map((t: { name: string }) => t.name)).toEqual(['second', 'alice main'])
    expect(Object.keys(list[0]).sort()).toEqual(
      [
        'createdAt',
        'expiresAt',
        'id',
        'lastUsedAt',
        'lastUsedFrom',
        'limits',
        'name',
        'revokedAt',
        'rotatedTo',
        'source',
        'status',
      ].sort(),
    )
    expect(list[0]).toMatchObject({
      id: second.id,
      expiresAt: '2027-01-01T00:00:00.000Z',
      status: 'active',
    })
    const text = JSON.stringify(list)
    expect(text).not.toContain(second.token)
    expect(text).not.toMatch(/hash/i)
  })

  it('records when and from where a token was last used, writing at most once a minute per address', async () => {
    const bob = await makeUser(ctx, 'lastused')
    const t = await tokenFor(ctx, bob.id)
    const use = async (remoteAddress = '127.0.0.1') => {
      await ctx.app.inject({ url: '/apiops/me/', headers: bearer(t.token), remoteAddress })
      await ctx.services.usage.flush()
      return await ctx.store.db
        .selectFrom('api_tokens')
        .select(['last_used_at', 'last_used_ip'])
        .where('id', '=', t.id)
        .executeTakeFirstOrThrow()
    }
    const first = ctx.clock.now().toISOString()
    expect(await use()).toEqual({ last_used_at: first, last_used_ip: '127.0.0.1' })
    ctx.clock.advance(30_000)
    expect(await use()).toEqual({ last_used_at: first, last_used_ip: '127.0.0.1' })
    ctx.clock.advance(31_000)
    expect(await use()).toEqual({
      last_used_at: ctx.clock.now().toISOString(),
      last_used_ip: '127.0.0.1',
    })
    ctx.clock.advance(1_000)
    expect(await use('10.1.2.3')).toEqual({
      last_used_at: ctx.clock.now().toISOString(),
      last_used_ip: '10.1.2.3',
    })
    const res = await ctx.app.inject({
      url: '/apiops/me/tokens/',
      headers: bearer(t.token),
      remoteAddress: '10.1.2.3',
    })
    expect(res.json().resultList[0]).toMatchObject({
      lastUsedAt: ctx.clock.now().toISOString(),
      lastUsedFrom: '10.1.2.3',
    })
  })

  it('pages and sorts the list, and names an unknown sort field', async () => {
    const page = (
      await call('GET', '/apiops/me/tokens/?size=1&page=1&sort=name,asc', alice.token)
    ).json()
    expect(page).toMatchObject({ resultCount: 1, totalCount: 2, page: 1, size: 1 })
    expect(page.resultList[0].name).toBe('second')
    const bad = await call('GET', '/apiops/me/tokens/?sort=secret,asc', alice.token)
    expect(bad.statusCode).toBe(400)
    expect(bad.json().error_description).toMatch(/unknown field 'secret'/)
    const badSize = await call('GET', '/apiops/me/tokens/?size=0', alice.token)
    expect(badSize.statusCode).toBe(400)
    expect(badSize.json().error).toBe('validation_failed')
    expect(badSize.json().validation_errors[0].field).toBe('size')
  })

  it('refuses to mint a token with a token, saying why', async () => {
    const res = await call('POST', '/apiops/me/tokens/', alice.token, {
      name: 'x',
      expiresAt: null,
    })
    expect(res.statusCode).toBe(403)
    expect(res.json().error).toBe('forbidden')
    expect(res.json().error_description).toMatch(/A token cannot create tokens.*Management Console/)
    // Even an invalid body gets the 403 first: validation says nothing to a caller who may not ask.
    expect((await call('POST', '/apiops/me/tokens/', alice.token, { bogus: 1 })).statusCode).toBe(
      403,
    )
  })

  it('never-expiring and dated tokens: the dated one stops at its instant, the other goes on', async () => {
    const forever = await tokenFor(ctx, alice.id, { name: 'forever' })
    const dated = await tokenFor(ctx, alice.id, {
      name: 'dated',
      expiresAt: new Date('2026-02-01T00:00:00Z'),
    })
    ctx.clock.set('2026-01-31T23:59:59.000Z')
    expect((await call('GET', '/apiops/me/', dated.token)).statusCode).toBe(200)
    ctx.clock.set('2026-02-01T00:00:00.000Z')
    const res = await call('GET', '/apiops/me/', dated.token)
    expect(res.statusCode).toBe(401)
    expect(res.json()).toEqual({
      error: 'token_expired',
      error_description: 'The token expired at 2026-02-01T00:00:00.000Z. Create a new token.',
    })
    ctx.clock.set('2099-12-31T00:00:00.000Z')
    expect((await call('GET', '/apiops/me/', forever.token)).statusCode).toBe(200)
    const list = await myTokens(forever.token)
    expect(list.find((t: { name: string }) => t.name === 'dated').status).toBe('expired')
    ctx.clock.set('2026-01-15T10:00:10.000Z')
  })

  it('revokes my own token, which is refused on the very next request', async () => {
    const t = await tokenFor(ctx, alice.id, { name: 'to revoke' })
    expect((await call('GET', '/apiops/me/', t.token)).statusCode).toBe(200)
    const res = await call('DELETE', `/apiops/me/tokens/${t.id}/`, alice.token)
    expect(res.statusCode).toBe(200)
    expect(res.json()).toMatchObject({
      id: t.id,
      status: 'revoked',
      revokedAt: ctx.clock.now().toISOString(),
    })
    const after = await call('GET', '/apiops/me/', t.token)
    expect(after.statusCode).toBe(401)
    expect(after.json().error_description).toBe(errors.tokenRevoked().description)
    // Revoking again changes nothing and still answers the revoked token.
    const again = await call('DELETE', `/apiops/me/tokens/${t.id}/`, alice.token)
    expect(again.json().revokedAt).toBe(res.json().revokedAt)
  })

  it("answers 404 for another user's token id, as for one that does not exist", async () => {
    const adminTokens = (await call('GET', '/apiops/me/tokens/', admin)).json().resultList
    for (const id of [adminTokens[0].id, '0'.repeat(32), 'not-an-id']) {
      const res = await call('DELETE', `/apiops/me/tokens/${id}/`, alice.token)
      expect(res.statusCode).toBe(404)
      expect(res.json().error).toBe('not_found')
    }
    expect((await call('GET', '/apiops/me/', admin)).statusCode).toBe(200)
  })

  it('rotates: the old secret dies, the new one has the same name and expiry instant', async () => {
    const expiresAt = new Date('2026-06-30T12:00:00Z')
    const old = await tokenFor(ctx, alice.id, { name: 'ci-pipeline', expiresAt })
    ctx.clock.advance(5000)
    const res = await call('POST', `/apiops/me/tokens/${old.id}/rotate/`, old.token)
    expect(res.statusCode).toBe(201)
    expect(res.headers['cache-control']).toBe('no-store')
    const fresh = res.json()
    expect(fresh).toMatchObject({
      name: 'ci-pipeline',
      expiresAt: expiresAt.toISOString(),
      status: 'active',
    })
    expect(fresh.id).not.toBe(old.id)
    expect(fresh.createdAt).toBe(ctx.clock.now().toISOString())
    expect((await call('GET', '/apiops/me/', old.token)).statusCode).toBe(401)
    expect((await call('GET', '/apiops/me/', fresh.token)).json().token.id).toBe(fresh.id)
    // A rotated token cannot be rotated again, not even from a console session.
    const session = await consoleSession(ctx, 'alice')
    const again = await ctx.app.inject({
      method: 'POST',
      url: `/apiops/me/tokens/${old.id}/rotate/`,
      headers: session.headers,
    })
    expect(again.statusCode).toBe(409)
    expect(again.json().error_description).toBe(
      `Token '${old.id}' was already rotated into '${fresh.id}'; rotate that one instead.`,
    )
  })

  it('refuses to rotate an expired token', async () => {
    const t = await tokenFor(ctx, alice.id, {
      name: 'short',
      expiresAt: new Date(ctx.clock.now().getTime() + 1000),
    })
    const session = await consoleSession(ctx, 'alice')
    ctx.clock.advance(1000)
    const res = await ctx.app.inject({
      method: 'POST',
      url: `/apiops/me/tokens/${t.id}/rotate/`,
      headers: session.headers,
    })
    expect(res.statusCode).toBe(409)
    expect(res.json().error_description).toMatch(/is expired/)
  })

  it('purges expired and revoked tokens once the retention period has passed, and no others', async () => {
    const u = await makeUser(ctx, 'purge')
    const keep = await tokenFor(ctx, u.id, { name: 'keep' })
    await tokenFor(ctx, u.id, {
      name: 'soon',
      expiresAt: new Date(ctx.clock.now().getTime() + 1000),
    })
    const gone = await tokenFor(ctx, u.id, { name: 'gone' })
    await call('DELETE', `/apiops/me/tokens/${gone.id}/`, gone.token)
    const names = async () =>
      (await call('GET', '/apiops/me/tokens/', keep.token))
        .json()
        .resultList.map((t: { name: string }) => t.name)
    const start = ctx.clock.now()
    ctx.clock.set(new Date(start.getTime() + 29 * 86_400_000).toISOString())
    await purgeExpiredTokens(ctx.services, 30)
    expect((await names()).sort()).toEqual(['gone', 'keep', 'soon'])
    ctx.clock.set(new Date(start.getTime() + 31 * 86_400_000).toISOString())
    await purgeExpiredTokens(ctx.services, 30)
    expect(await names()).toEqual(['keep'])
    ctx.clock.set(start.toISOString())
  })

  describe("administration of other users' tokens", () => {
    it("lists a user's tokens for an admin, and refuses a non-admin naming the role", async () => {
      const res = await call('GET', '/apiops/users/alice/tokens/', admin)
      expect(res.statusCode).toBe(200)
      expect(res.json().totalCount).toBeGreaterThan(3)
      const denied = await call('GET', '/apiops/users/root/tokens/', alice.token)
      expect(denied.statusCode).toBe(403)
      expect(denied.json()).toEqual({
        error: 'forbidden',
        error_description:
          'This action requires the ROLE_ADMIN role, which your user does not have.',
      })
      expect((await call('GET', '/apiops/users/nobody/tokens/', admin)).statusCode).toBe(404)
    })

    it("revokes one of a user's tokens, recording who revoked it", async () => {
      const t = await tokenFor(ctx, alice.id, { name: 'admin revokes' })
      const res = await call('DELETE', `/apiops/users/alice/tokens/${t.id}/`, admin)
      expect(res.statusCode).toBe(200)
      expect(res.json().status).toBe('revoked')
      expect((await call('GET', '/apiops/me/', t.token)).statusCode).toBe(401)
      const row = await ctx.store.db
        .selectFrom('api_tokens')
        .select('revoked_by')
        .where('id', '=', t.id)
        .executeTakeFirst()
      const root = await ctx.store.db
        .selectFrom('users')
        .select('id')
        .where('username', '=', 'root')
        .executeTakeFirst()
      expect(row?.revoked_by).toBe(root?.id)
      // The token id must belong to the user named in the path.
      const adminTokens = (await call('GET', '/apiops/me/tokens/', admin)).json().resultList
      expect(
        (await call('DELETE', `/apiops/users/alice/tokens/${adminTokens[0].id}/`, admin))
          .statusCode,
      ).toBe(404)
    })

    it("revokes all of a user's live tokens at once", async () => {
      const bob = await makeUser(ctx, 'bob')
      const tokens = [
        await tokenFor(ctx, bob.id),
        await tokenFor(ctx, bob.id),
        await tokenFor(ctx, bob.id),
      ]
      for (const t of tokens)
        expect((await call('GET', '/apiops/me/', t.token)).statusCode).toBe(200)
      const res = await call('DELETE', '/apiops/users/bob/tokens/', admin)
      expect(res.statusCode).toBe(200)
      expect(res.json()).toEqual({ status: 'SUCCESS', success: true, revokedCount: 3 })
      for (const t of tokens) {
        const after = await call('GET', '/apiops/me/', t.token)
        expect(after.statusCode).toBe(401)
        expect(after.json().error_description).toBe(errors.tokenRevoked().description)
      }
      expect((await call('DELETE', '/apiops/users/bob/tokens/', admin)).json().revokedCount).toBe(0)
      expect((await call('DELETE', '/apiops/users/bob/tokens/', alice.token)).statusCode).toBe(403)
    })
  })
})
