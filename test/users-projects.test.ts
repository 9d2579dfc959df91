import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { errors } from '../src/errors.ts'
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

describe.each(dialects())('users, live role inheritance and projects (%s)', (dialect) => {
  let ctx: TestContext
  let admin: string
  let bob: string

  beforeAll(async () => {
    ctx = await buildTestApp(dialect)
    admin = (await tokenFor(ctx, (await makeUser(ctx, 'root', ['ROLE_ADMIN'])).id)).token
    bob = (await tokenFor(ctx, (await makeUser(ctx, 'bob')).id)).token
  })
  afterAll(() => ctx.close())

  const call = (method: string, url: string, token: string, payload?: unknown) =>
    ctx.app.inject({
      method: method as 'GET',
      url,
      headers: bearer(token),
      ...(payload ? { payload } : {}),
    })

  describe("live inheritance: a token carries the owner's roles as they are now", () => {
    it('a granted role works on the next request, a removed one is refused on the next', async () => {
      expect((await call('GET', '/apiops/users/', bob)).statusCode).toBe(403)
      const grant = await call('POST', '/apiops/users/bob/roles/', admin, { roles: ['ROLE_ADMIN'] })
      expect(grant.statusCode).toBe(200)
      expect(grant.json().roles).toEqual(['ROLE_ADMIN'])
      expect((await call('GET', '/apiops/users/', bob)).statusCode).toBe(200)
      expect((await call('GET', '/apiops/me/', bob)).json().roles).toEqual(['ROLE_ADMIN'])

      const take = await call('DELETE', '/apiops/users/bob/roles/ROLE_ADMIN/', admin)
      expect(take.statusCode).toBe(200)
      const denied = await call('GET', '/apiops/users/', bob)
      expect(denied.statusCode).toBe(403)
      expect(denied.json().error_description).toBe(errors.missingRole('ROLE_ADMIN').description)
    })

    it('disabling the owner stops every token with 401 at once; enabling brings them back', async () => {
      const second = (
        await tokenFor(
          ctx,
          (
            await ctx.services.db
              .selectFrom('users')
              .select('id')
              .where('username', '=', 'bob')
              .executeTakeFirstOrThrow()
          ).id,
        )
      ).token
      expect((await call('POST', '/apiops/users/bob/disable/', admin)).json().enabled).toBe(false)
      for (const t of [bob, second]) {
        const res = await call('GET', '/apiops/me/', t)
        expect(res.statusCode).toBe(401)
        expect(res.json().error_description).toBe(errors.ownerDisabled().description)
      }
      // A disabled user cannot get a new token either, and learns nothing from trying.
      const f = form({
        grant_type: 'client_credentials',
        client_id: 'bob',
        client_secret: PASSWORD,
      })
      const login = await ctx.app.inject({ method: 'POST', url: '/apiops/auth/token', ...f })
      expect(login.json()).toEqual({
        error: 'unauthorized_client',
        error_description: 'Bad credentials',
      })
      expect((await call('POST', '/apiops/users/bob/enable/', admin)).json().enabled).toBe(true)
      expect((await call('GET', '/apiops/me/', bob)).statusCode).toBe(200)
    })

    it('a password reset takes effect for the token endpoint, and keeps existing tokens when asked to', async () => {
      const reset = await call('PUT', '/apiops/users/bob/password/', admin, {
        password: 'a new password 1',
        revokeTokens: false,
      })
      expect(reset.statusCode).toBe(200)
      expect(reset.json()).toMatchObject({ revokedTokenCount: 0, endedSessionCount: 0 })
      const old = form({
        grant_type: 'client_credentials',
        client_id: 'bob',
        client_secret: PASSWORD,
      })
      expect(
        (await ctx.app.inject({ method: 'POST', url: '/apiops/auth/token', ...old })).statusCode,
      ).toBe(401)
      const fresh = form({
        grant_type: 'client_credentials',
        client_id: 'bob',
        client_secret: 'a new password 1',
      })
      expect(
        (await ctx.app.inject({ method: 'POST', url: '/apiops/auth/token', ...fresh })).statusCode,
      ).toBe(200)
      expect((await call('GET', '/apiops/me/', bob)).statusCode).toBe(200)
    })
  })

  describe('user administration', () => {
    it('creates a user with roles, and answers 409 for a taken name (names are case-sensitive)', async () => {
      const res = await call('POST', '/apiops/users/', admin, {
        username: 'ci.bot',
        password: 'long enough pw',
        roles: ['ROLE_MANAGE_PROXIES', 'ROLE_DEPLOY_UNDEPLOY_PROXIES'],
      })
      expect(res.statusCode).toBe(201)
      expect(res.json()).toMatchObject({
        username: 'ci.bot',
        roles: ['ROLE_DEPLOY_UNDEPLOY_PROXIES', 'ROLE_MANAGE_PROXIES'],
        enabled: true,
      })
      const dup = await call('POST', '/apiops/users/', admin, {
        username: 'ci.bot',
        password: 'long enough pw',
      })
      expect(dup.statusCode).toBe(409)
      expect(dup.json()).toEqual({
        error: 'duplicate_name',
        error_description: "User 'ci.bot' already exists.",
      })
      expect(
        (
          await call('POST', '/apiops/users/', admin, {
            username: 'CI.bot',
            password: 'long enough pw',
          })
        ).statusCode,
      ).toBe(201)
    })

    it.each([
      [{ username: 'has space', password: 'long enough pw' }, 'username'],
      [{ username: 'ok', password: 'short' }, 'password'],
      [{ username: 'ok2', password: 'long enough pw', roles: ['ROLE_ROOT'] }, 'roles.0'],
      [{ username: 'ok3', password: 'long enough pw', extra: true }, 'extra'],
      [{ password: 'long enough pw' }, 'username'],
    ])('refuses %j with a validation error naming %s', async (body, field) => {
      const res = await call('POST', '/apiops/users/', admin, body)
      expect(res.statusCode).toBe(400)
      expect(res.json().error).toBe('validation_failed')
      expect(res.json().validation_errors.map((v: { field: string }) => v.field)).toContain(field)
    })

    it('never lets the last enabled administrator be disabled, demoted or deleted', async () => {
      for (const [method, url] of [
        ['POST', '/apiops/users/root/disable/'],
        ['DELETE', '/apiops/users/root/roles/ROLE_ADMIN/'],
        ['DELETE', '/apiops/users/root/'],
      ] as const) {
        const res = await call(method, url, admin)
        expect(res.statusCode, url).toBe(409)
        expect(res.json().error_description).toMatch(/last enabled administrator/)
      }
      expect((await call('GET', '/apiops/me/', admin)).json().roles).toEqual(['ROLE_ADMIN'])
    })

    it('deletes a user with their tokens', async () => {
      const victim = await makeUser(ctx, 'temp')
      const t = await tokenFor(ctx, victim.id)
      expect((await call('DELETE', '/apiops/users/temp/', admin)).statusCode).toBe(200)
      expect((await call('GET', '/apiops/me/', t.token)).statusCode).toBe(401)
      expect((await call('GET', '/apiops/users/temp/', admin)).statusCode).toBe(404)
    })
  })

  describe('projects', () => {
    it('admins create projects; non-admins are refused naming ROLE_ADMIN', async () => {
      const res = await call('POST', '/apiops/projects/', admin, {
        name: 'Payments',
        description: 'Card APIs',
      })
      expect(res.statusCode).toBe(201)
      expect(res.json()).toMatchObject({ name: 'Payments', description: 'Card APIs' })
      await call('POST', '/apiops/projects/', admin, { name: 'payments' })
      await call('POST', '/apiops/projects/', admin, { name: 'Internal' })
      const denied = await call('POST', '/apiops/projects/', bob, { name: 'Mine' })
      expect(denied.statusCode).toBe(403)
      expect(denied.json().error_description).toMatch(/ROLE_ADMIN/)
      const dup = await call('POST', '/apiops/projects/', admin, { name: 'Payments' })
      expect(dup.statusCode).toBe(409)
      expect(dup.json().error).toBe('duplicate_name')
      const spaced = await call('POST', '/apiops/projects/', admin, { name: 'My Project' })
      expect(spaced.statusCode).toBe(400)
      expect(spaced.json().validation_errors[0]).toEqual({
        field: 'name',
        message:
          'must not contain spaces, slashes, control characters or invisible formatting (bidi, zero-width)',
      })
    })

    it('lists only my projects; admins see all, ordered by name', async () => {
      expect((await call('GET', '/apiops/projects/', bob)).json()).toMatchObject({
        resultList: [],
        resultCount: 0,
      })
      expect(
        (await call('POST', '/apiops/projects/Payments/members/', admin, { username: 'bob' }))
          .statusCode,
      ).toBe(201)
      const mine = (await call('GET', '/apiops/projects/', bob)).json()
      expect(mine).toMatchObject({ status: 'SUCCESS', success: true, resultCount: 1 })
      expect(mine.resultList.map((p: { name: string }) => p.name)).toEqual(['Payments'])
      const all = (await call('GET', '/apiops/projects/', admin)).json()
      expect(all.resultList.map((p: { name: string }) => p.name)).toEqual([
        'Internal',
        'Payments',
        'payments',
      ])
    })

    it('answers 404 for a project I am not a member of, exactly as for one that does not exist', async () => {
      const hidden = await call('GET', '/apiops/projects/Internal/', bob)
      const missing = await call('GET', '/apiops/projects/Nope/', bob)
      expect(hidden.statusCode).toBe(404)
      expect(missing.statusCode).toBe(404)
      expect(hidden.json().error_description.replace('Internal', 'X')).toBe(
        missing.json().error_description.replace('Nope', 'X'),
      )
      expect((await call('GET', '/apiops/projects/Internal/members/', bob)).statusCode).toBe(404)
      expect((await call('GET', '/apiops/projects/Payments/', bob)).statusCode).toBe(200)
      // Names are case-sensitive: 'payments' is another project, which bob is not in.
      expect((await call('GET', '/apiops/projects/payments/', bob)).statusCode).toBe(404)
    })

    it('manages members: list, duplicate, remove', async () => {
      const members = (await call('GET', '/apiops/projects/Payments/members/', bob)).json()
      expect(members.resultList.map((m: { username: string }) => m.username)).toEqual(['bob'])
      expect(
        (await call('POST', '/apiops/projects/Payments/members/', admin, { username: 'bob' }))
          .statusCode,
      ).toBe(409)
      expect(
        (await call('POST', '/apiops/projects/Payments/members/', admin, { username: 'ghost' }))
          .statusCode,
      ).toBe(404)
      expect(
        (await call('DELETE', '/apiops/projects/Payments/members/bob/', admin)).statusCode,
      ).toBe(200)
      expect((await call('GET', '/apiops/projects/', bob)).json().resultCount).toBe(0)
      expect(
        (await call('DELETE', '/apiops/projects/Payments/members/bob/', admin)).statusCode,
      ).toBe(404)
    })

    it('deletes a project (admin only), with its memberships', async () => {
      await call('POST', '/apiops/projects/Internal/members/', admin, { username: 'bob' })
      expect((await call('DELETE', '/apiops/projects/Internal/', bob)).statusCode).toBe(403)
      expect((await call('DELETE', '/apiops/projects/Internal/', admin)).statusCode).toBe(200)
      expect((await call('GET', '/apiops/projects/', bob)).json().resultCount).toBe(0)
      expect((await call('DELETE', '/apiops/projects/Internal/', admin)).statusCode).toBe(404)
    })

    it('decodes names from the URL', async () => {
      await call('POST', '/apiops/projects/', admin, { name: 'a%b' })
      expect(
        (await call('GET', `/apiops/projects/${encodeURIComponent('a%b')}/`, admin)).json().name,
      ).toBe('a%b')
    })
  })
})
