import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { errors } from '../src/errors.ts'
import {
  bearer,
  buildTestApp,
  consoleSession,
  dialects,
  form,
  makeUser,
  PASSWORD,
  type TestContext,
  tokenFor,
} from './helpers.ts'

/**
 * A token must never extend its own access: it may not rotate another token, change
 * its user's password, or mint tokens; a password change revokes tokens and sessions
 * unless told to keep them.
 */
describe.each(dialects())('a token never extends its own access (%s)', (dialect) => {
  let ctx: TestContext
  let admin: { id: string; token: string }

  beforeAll(async () => {
    ctx = await buildTestApp(dialect)
    const root = await makeUser(ctx, 'root', ['ROLE_ADMIN'])
    admin = { id: root.id, token: (await tokenFor(ctx, root.id, { name: 'admin' })).token }
  })
  afterAll(() => ctx.close())

  type Headers = Record<string, string>
  const call = (method: string, url: string, headers: Headers, payload?: unknown) =>
    ctx.app.inject({
      method: method as 'GET',
      url,
      headers,
      ...(payload ? { payload } : {}),
    })
  const status = async (token: string) =>
    (await call('GET', '/apiops/me/', bearer(token))).statusCode
  const tokenRow = (id: string) =>
    ctx.store.db.selectFrom('api_tokens').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
  const sessionStatus = async (s: { headers: Headers }) =>
    (await call('GET', '/apiops/session/', { cookie: s.headers.cookie as string })).statusCode
  const endpointToken = async (username: string, password = PASSWORD, remoteAddress?: string) => {
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/apiops/auth/token',
      ...(remoteAddress ? { remoteAddress } : {}),
      ...form({ grant_type: 'client_credentials', client_id: username, client_secret: password }),
    })
    return { status: res.statusCode, token: res.json().access_token as string }
  }

  describe('rotation', () => {
    it('refuses the attack from the issue (a 1-hour token rotating the never-expiring pipeline token); a token still rotates itself and revokes siblings, a session rotates any', async () => {
      const owner = await makeUser(ctx, 'owner')
      const pipeline = await tokenFor(ctx, owner.id, { name: 'pipeline', expiresAt: null })
      const { token: hour } = await endpointToken('owner')
      const listed = (await call('GET', '/apiops/me/tokens/', bearer(hour))).json().resultList
      const target = listed.find((t: { name: string }) => t.name === 'pipeline')
      expect(target).toMatchObject({ id: pipeline.id, expiresAt: null, status: 'active' })
      const before = await tokenRow(pipeline.id)

      const res = await call('POST', `/apiops/me/tokens/${pipeline.id}/rotate/`, bearer(hour))
      expect(res.statusCode).toBe(403)
      expect(res.json()).toEqual({
        error: 'forbidden',
        error_description: errors.tokenCannotRotateOthers().description,
      })
      expect(res.json().error_description).toMatch(/rotate only itself.*My Profile/)
      expect(JSON.stringify(res.json())).not.toMatch(/eyJ/)
      // The target is untouched, still works, and no token was added.
      expect(await tokenRow(pipeline.id)).toEqual(before)
      expect(await status(pipeline.token)).toBe(200)
      const after = (await call('GET', '/apiops/me/tokens/', bearer(hour))).json().resultList
      expect(after.map((t: { id: string }) => t.id).sort()).toEqual(
        listed.map((t: { id: string }) => t.id).sort(),
      )
      // Whether the id exists or belongs to someone else, a token gets the same 403.
      const foreign = await tokenFor(ctx, admin.id)
      for (const id of [foreign.id, '0'.repeat(32)]) {
        expect(
          (await call('POST', `/apiops/me/tokens/${id}/rotate/`, bearer(hour))).statusCode,
        ).toBe(403)
      }
      expect(await status(foreign.token)).toBe(200)

      // What stays allowed. A token revokes a sibling: that only takes access away.
      const sibling = await tokenFor(ctx, owner.id, { name: 'sibling' })
      const revoked = await call('DELETE', `/apiops/me/tokens/${sibling.id}/`, bearer(hour))
      expect(revoked.json()).toMatchObject({ id: sibling.id, status: 'revoked' })
      expect(await status(sibling.token)).toBe(401)
      // A console session, opened with the password, rotates the pipeline token.
      const session = await consoleSession(ctx, 'owner')
      const viaSession = await call(
        'POST',
        `/apiops/me/tokens/${pipeline.id}/rotate/`,
        session.headers,
      )
      expect(viaSession.statusCode).toBe(201)
      expect(viaSession.json()).toMatchObject({ name: 'pipeline', expiresAt: null })
      expect(await status(pipeline.token)).toBe(401)
      expect(await status(viaSession.json().token)).toBe(200)
      // The 1-hour token rotates itself: a new secret, the same expiry instant.
      const self = (await call('GET', '/apiops/me/', bearer(hour))).json().token
      const rotated = await call('POST', `/apiops/me/tokens/${self.id}/rotate/`, bearer(hour))
      expect(rotated.statusCode).toBe(201)
      expect(rotated.json()).toMatchObject({ expiresAt: self.expiresAt, source: 'api' })
      expect(self.expiresAt).not.toBeNull()
      expect(await status(hour)).toBe(401)
      expect(await status(rotated.json().token)).toBe(200)
    })
  })

  describe('administrator password reset', () => {
    it('revokes every token and ends every session by default, at once on the cached tokens', async () => {
      const user = await makeUser(ctx, 'resetme')
      const a = await tokenFor(ctx, user.id, { name: 'a' })
      const b = await tokenFor(ctx, user.id, { name: 'b' })
      const s1 = await consoleSession(ctx, 'resetme')
      const s2 = await consoleSession(ctx, 'resetme')
      // Used once, so the tokens sit in this node's cache: the reset must evict them.
      expect(await status(a.token)).toBe(200)
      expect(await status(b.token)).toBe(200)
      const res = await call('PUT', '/apiops/users/resetme/password/', bearer(admin.token), {
        password: 'reset password 1',
      })
      expect(res.statusCode).toBe(200)
      expect(res.json()).toEqual({
        status: 'SUCCESS',
        success: true,
        revokedTokenCount: 2,
        endedSessionCount: 2,
      })
      for (const t of [a, b]) {
        const after = await call('GET', '/apiops/me/', bearer(t.token))
        expect(after.statusCode).toBe(401)
        expect(after.json().error_description).toBe(errors.tokenRevoked().description)
      }
      expect(await sessionStatus(s1)).toBe(401)
      expect(await sessionStatus(s2)).toBe(401)
      expect((await tokenRow(a.id)).revoked_by).toBe(admin.id)
      expect((await endpointToken('resetme', 'reset password 1')).status).toBe(200)
      expect((await endpointToken('resetme')).status).toBe(401)
    })

    it('keeps tokens and sessions with revokeTokens: false', async () => {
      const user = await makeUser(ctx, 'keepme')
      const t = await tokenFor(ctx, user.id)
      const s = await consoleSession(ctx, 'keepme')
      const res = await call('PUT', '/apiops/users/keepme/password/', bearer(admin.token), {
        password: 'kept password 1',
        revokeTokens: false,
      })
      expect(res.json()).toMatchObject({ revokedTokenCount: 0, endedSessionCount: 0 })
      expect(await status(t.token)).toBe(200)
      expect(await sessionStatus(s)).toBe(200)
      expect((await endpointToken('keepme', 'kept password 1')).status).toBe(200)
      const bad = await call('PUT', '/apiops/users/keepme/password/', bearer(admin.token), {
        password: 'kept password 2',
        revokeTokens: 'no',
      })
      expect(bad.statusCode).toBe(400)
      expect(bad.json().validation_errors[0].field).toMatch(/revokeTokens/)
    })

    it("refuses a token setting its own user's password; an admin's console session keeps itself", async () => {
      const res = await call('PUT', '/apiops/users/root/password/', bearer(admin.token), {
        password: 'root password 2',
      })
      expect(res.statusCode).toBe(403)
      expect(res.json().error_description).toBe(errors.tokenCannotChangePassword().description)
      expect((await endpointToken('root')).status).toBe(200)

      const boss = await makeUser(ctx, 'boss', ['ROLE_ADMIN'])
      const t = await tokenFor(ctx, boss.id)
      const mine = await consoleSession(ctx, 'boss')
      const elsewhere = await consoleSession(ctx, 'boss')
      const reset = await call('PUT', '/apiops/users/boss/password/', mine.headers, {
        password: 'boss password 2',
      })
      expect(reset.json()).toMatchObject({ revokedTokenCount: 1, endedSessionCount: 1 })
      expect(await sessionStatus(mine)).toBe(200)
      expect(await sessionStatus(elsewhere)).toBe(401)
      expect(await status(t.token)).toBe(401)
    })
  })

  describe('changing my own password', () => {
    const change = (headers: Headers, body: Record<string, unknown>, remoteAddress?: string) =>
      ctx.app.inject({
        method: 'PUT',
        url: '/apiops/me/password/',
        headers,
        payload: body,
        ...(remoteAddress ? { remoteAddress } : {}),
      })

    it('from a console session: revokes my tokens and my other sessions, keeps this one', async () => {
      const user = await makeUser(ctx, 'selfchange')
      const t = await tokenFor(ctx, user.id)
      expect(await status(t.token)).toBe(200)
      const here = await consoleSession(ctx, 'selfchange')
      const there = await consoleSession(ctx, 'selfchange')
      const res = await change(here.headers, {
        currentPassword: PASSWORD,
        newPassword: 'my new password 1',
      })
      expect(res.statusCode).toBe(200)
      expect(res.json()).toEqual({
        status: 'SUCCESS',
        success: true,
        revokedTokenCount: 1,
        endedSessionCount: 1,
      })
      expect(await sessionStatus(here)).toBe(200)
      expect(await sessionStatus(there)).toBe(401)
      expect(await status(t.token)).toBe(401)
      expect((await endpointToken('selfchange', 'my new password 1')).status).toBe(200)
      expect((await endpointToken('selfchange')).status).toBe(401)
      await ctx.services.audit.flush()
      const events = await ctx.store.db
        .selectFrom('audit_events')
        .selectAll()
        .where('action', '=', 'password.changed')
        .where('actor_username', '=', 'selfchange')
        .execute()
      expect(events).toHaveLength(1)
      expect(events[0]).toMatchObject({
        outcome: 'success',
        status: 200,
        target: 'username=selfchange revokeTokens=true',
      })
      expect(JSON.stringify(events)).not.toContain('my new password 1')
    })

    it('keeps my tokens and other sessions with revokeTokens: false', async () => {
      const user = await makeUser(ctx, 'selfkeep')
      const t = await tokenFor(ctx, user.id)
      const here = await consoleSession(ctx, 'selfkeep')
      const there = await consoleSession(ctx, 'selfkeep')
      const res = await change(here.headers, {
        currentPassword: PASSWORD,
        newPassword: 'my new password 2',
        revokeTokens: false,
      })
      expect(res.json()).toMatchObject({ revokedTokenCount: 0, endedSessionCount: 0 })
      expect(await status(t.token)).toBe(200)
      expect(await sessionStatus(there)).toBe(200)
    })

    it('refuses a token with 403, before looking at the body', async () => {
      const user = await makeUser(ctx, 'selftoken')
      const t = await tokenFor(ctx, user.id)
      for (const body of [
        { currentPassword: PASSWORD, newPassword: 'token new password' },
        { bogus: 1 },
      ]) {
        const res = await change(bearer(t.token), body)
        expect(res.statusCode).toBe(403)
        expect(res.json().error_description).toBe(errors.tokenCannotChangePassword().description)
      }
      expect((await endpointToken('selftoken')).status).toBe(200)
      expect(await status(t.token)).toBe(200)
    })

    it('validates the new password like an administrator-set one', async () => {
      await makeUser(ctx, 'selfshort')
      const s = await consoleSession(ctx, 'selfshort')
      const res = await change(s.headers, { currentPassword: PASSWORD, newPassword: 'short' })
      expect(res.statusCode).toBe(400)
      expect(res.json().validation_errors[0].field).toMatch(/newPassword/)
      expect((await endpointToken('selfshort')).status).toBe(200)
    })

    it('answers a wrong current password with 400, counted on the session like a trusted login, without ending it', async () => {
      const user = await makeUser(ctx, 'selfwrong')
      const t = await tokenFor(ctx, user.id)
      const s = await consoleSession(ctx, 'selfwrong')
      const ip = '10.20.30.40'
      const wrong = { currentPassword: 'not my password', newPassword: 'attacker password' }
      for (let i = 1; i <= ctx.config.loginMaxFailures; i++) {
        const res = await change(s.headers, wrong, ip)
        expect(res.statusCode, `attempt ${i}`).toBe(400)
        expect(res.json()).toEqual({
          error: 'validation_failed',
          error_description: errors.currentPasswordWrong().description,
          validation_errors: [
            { field: 'currentPassword', message: expect.stringMatching(/not your current/) },
          ],
        })
      }
      // The session's own count is spent: even the right password waits now.
      const locked = await change(s.headers, { ...wrong, currentPassword: PASSWORD }, ip)
      expect(locked.statusCode).toBe(429)
      expect(locked.json().retry_after).toBeGreaterThanOrEqual(1)
      // Its guesses are the session's own: they lock neither the username nor the address.
      expect((await endpointToken('selfwrong', PASSWORD, '192.0.2.9')).status).toBe(200)
      expect((await endpointToken('selfwrong', PASSWORD, ip)).status).toBe(200)
      // Nothing was changed or ended meanwhile.
      expect(await sessionStatus(s)).toBe(200)
      expect(await status(t.token)).toBe(200)
      ctx.clock.advance(2000)
      const right = await change(s.headers, { ...wrong, currentPassword: PASSWORD }, ip)
      expect(right.statusCode).toBe(200)
      await ctx.services.audit.flush()
      const failures = await ctx.store.db
        .selectFrom('audit_events')
        .select(['outcome', 'status'])
        .where('action', '=', 'request.failed')
        .where('target', '=', 'operation=changeMyPassword')
        .where('actor_username', '=', 'selfwrong')
        .execute()
      expect(failures.filter((e) => e.status === 400 && e.outcome === 'failure')).toHaveLength(
        ctx.config.loginMaxFailures,
      )
    })

    it('lets the owner change the password while strangers keep the username locked', async () => {
      await makeUser(ctx, 'besieged')
      const s = await consoleSession(ctx, 'besieged')
      for (let i = 0; i < ctx.config.loginMaxFailures + 2; i++) {
        await endpointToken('besieged', 'guess', `198.51.100.${i + 1}`)
      }
      expect((await endpointToken('besieged', PASSWORD, '198.51.100.200')).status).toBe(429)
      const res = await change(
        s.headers,
        { currentPassword: PASSWORD, newPassword: 'a brand new password' },
        '203.0.113.7',
      )
      expect(res.statusCode, res.body).toBe(200)
    })
  })
})
