import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AuditRecorder } from '../src/audit/audit.recorder.ts'
import { deleteEventsBefore } from '../src/audit/audit.repository.ts'
import { type AuditEvent, clean, purgeAuditEvents } from '../src/audit/audit.service.ts'
import { type CliIo, runCli } from '../src/cli/index.ts'
import { ConfigError, loadConfig } from '../src/config.ts'
import { createDb } from '../src/db/create-db.ts'
import type { AuditEventRow } from '../src/db/schema.ts'
import { UsageRecorder } from '../src/identity/bearer/usage-recorder.ts'
import { openRuntime } from '../src/runtime.ts'
import {
  bearer,
  buildTestApp,
  dialects,
  FrozenClock,
  form,
  makeUser,
  PASSWORD,
  type TestContext,
  testConfig,
  throwawaySchema,
  tokenFor,
} from './helpers.ts'

const UA = 'audit-test/1.0 (vitest)'
const WRONG_PASSWORD = 'Wrong-Password-9137'

/** Every audit row, oldest first, once everything queued is written. */
async function allEvents(ctx: TestContext): Promise<AuditEventRow[]> {
  await ctx.services.audit.flush()
  return ctx.store.db.selectFrom('audit_events').selectAll().orderBy('at').orderBy('id').execute()
}

async function eventsOf(ctx: TestContext, action: string): Promise<AuditEventRow[]> {
  return (await allEvents(ctx)).filter((e) => e.action === action)
}

/** The single newest event with this action. */
async function last(ctx: TestContext, action: string): Promise<AuditEventRow> {
  const found = await eventsOf(ctx, action)
  expect(found.length, `an event ${action}`).toBeGreaterThan(0)
  return found[found.length - 1] as AuditEventRow
}

describe.each(dialects())('the audit log (%s)', (dialect) => {
  let ctx: TestContext
  let admin: { id: string; token: string; tokenId: string }
  let alice: { id: string; token: string; tokenId: string }

  const as = (who: { token: string }, method: string, url: string, payload?: object) =>
    ctx.app.inject({
      method: method as 'GET',
      url,
      headers: { ...bearer(who.token), 'user-agent': UA },
      ...(payload !== undefined ? { payload } : {}),
    })

  beforeAll(async () => {
    ctx = await buildTestApp(dialect)
    const root = await makeUser(ctx, 'root', ['ROLE_ADMIN'])
    const a = await makeUser(ctx, 'alice')
    const rt = await tokenFor(ctx, root.id, { name: 'root token' })
    const at = await tokenFor(ctx, a.id, { name: 'alice token' })
    admin = { id: root.id, token: rt.token, tokenId: rt.id }
    alice = { id: a.id, token: at.token, tokenId: at.id }
  })
  afterAll(() => ctx.close())

  describe('logins', () => {
    it('records a failed and a successful token-endpoint login with the attempted username, never the password', async () => {
      const tokenRequest = (fields: Record<string, string>, headers: Record<string, string> = {}) =>
        ctx.app.inject({
          method: 'POST',
          url: '/apiops/auth/token',
          ...form({ grant_type: 'client_credentials', ...fields }),
          headers: { ...form({}).headers, 'user-agent': UA, ...headers },
        })
      const failed = await tokenRequest({ client_id: 'alice', client_secret: WRONG_PASSWORD })
      expect(failed.statusCode).toBe(401)
      const ok = await tokenRequest({ client_id: 'alice', client_secret: PASSWORD })
      expect(ok.statusCode).toBe(200)
      const accessToken = ok.json().access_token as string
      // HTTP Basic: the user half is read, the password half never.
      const basic = Buffer.from(`alice:${WRONG_PASSWORD}-basic`).toString('base64')
      const viaBasic = await tokenRequest({}, { authorization: `Basic ${basic}` })
      expect(viaBasic.statusCode).toBe(401)
      // A "username" that is no username (a password typed in the wrong field) is not kept:
      // only a keyed hash of it.
      const misplaced = await tokenRequest({
        client_id: `${WRONG_PASSWORD} typed here`,
        client_secret: 'x',
      })
      expect(misplaced.statusCode).toBe(401)

      const logins = (await allEvents(ctx)).filter((e) => e.action.startsWith('login.'))
      expect(logins.map((e) => e.action)).toEqual([
        'login.failed',
        'login.succeeded',
        'login.failed',
        'login.failed',
      ])
      const [bad, good, badBasic, noName] = logins as AuditEventRow[]
      expect(bad).toMatchObject({
        actor_username: 'alice',
        actor_user_id: alice.id,
        token_id: null,
        client_ip: '127.0.0.1',
        user_agent: UA,
        outcome: 'failure',
        status: 401,
        target: 'channel=token_endpoint',
        request_id: expect.any(String),
      })
      expect(good).toMatchObject({
        actor_username: 'alice',
        actor_user_id: alice.id,
        outcome: 'success',
        status: 200,
      })
      // The new token is named by its id, never by its secret.
      const issued = /^channel=token_endpoint tokenId=([0-9a-f]{32})$/.exec(good?.target ?? '')?.[1]
      const row = await ctx.store.db
        .selectFrom('api_tokens')
        .select(['id', 'user_id', 'source'])
        .where('id', '=', issued ?? '')
        .executeTakeFirst()
      expect(row).toEqual({ id: issued, user_id: alice.id, source: 'api' })
      expect(badBasic).toMatchObject({ actor_username: 'alice', outcome: 'failure' })
      expect(noName).toMatchObject({
        actor_username: '(unknown user)',
        actor_user_id: null,
        target: expect.stringMatching(/^channel=token_endpoint username_hash=[0-9a-f]{16}$/),
        outcome: 'failure',
      })

      const dump = JSON.stringify(await allEvents(ctx))
      for (const secret of [WRONG_PASSWORD, PASSWORD, accessToken, alice.token, admin.token]) {
        expect(dump).not.toContain(secret)
      }
      expect(dump).not.toContain('eyJ')
    })

    it('records console logins and logouts; a login for an unknown user has no user id', async () => {
      const login = (username: string, password: string) =>
        ctx.app.inject({
          method: 'POST',
          url: '/apiops/session/',
          payload: { username, password },
          headers: { 'user-agent': UA },
        })
      expect((await login('nobody', WRONG_PASSWORD)).statusCode).toBe(401)
      expect(await last(ctx, 'login.failed')).toMatchObject({
        actor_user_id: null,
        target: expect.stringMatching(/^channel=console username_hash=/),
      })
      const res = await login('alice', PASSWORD)
      expect(res.statusCode).toBe(200)
      expect(await last(ctx, 'login.succeeded')).toMatchObject({
        actor_username: 'alice',
        actor_user_id: alice.id,
        target: 'channel=console',
        outcome: 'success',
      })
      const cookie = `apiops_session=${res.cookies.find((c) => c.name === 'apiops_session')?.value}`
      const out = await ctx.app.inject({
        method: 'DELETE',
        url: '/apiops/session/',
        headers: { cookie, 'x-csrf-token': res.json().csrfToken },
      })
      expect(out.statusCode).toBe(200)
      expect(await last(ctx, 'session.ended')).toMatchObject({
        actor_username: 'alice',
        actor_user_id: alice.id,
        token_id: null,
        outcome: 'success',
      })
      expect(JSON.stringify(await allEvents(ctx))).not.toContain(WRONG_PASSWORD)
    })
  })

  describe('writes', () => {
    it('records token creation (console), revocation and rotation (token) with actor, token id, address and target', async () => {
      const login = await ctx.app.inject({
        method: 'POST',
        url: '/apiops/session/',
        payload: { username: 'alice', password: PASSWORD },
      })
      const cookie = `apiops_session=${login.cookies.find((c) => c.name === 'apiops_session')?.value}`
      const created = await ctx.app.inject({
        method: 'POST',
        url: '/apiops/me/tokens/',
        headers: { cookie, 'x-csrf-token': login.json().csrfToken, 'user-agent': UA },
        payload: { name: 'ci pipeline', expiresAt: null },
      })
      expect(created.statusCode).toBe(201)
      const newId = created.json().id as string
      expect(await last(ctx, 'token.created')).toMatchObject({
        actor_username: 'alice',
        actor_user_id: alice.id,
        token_id: null,
        user_agent: UA,
        target: `tokenId=${newId} owner=alice name=ci pipeline source=console expiresAt=never`,
        outcome: 'success',
        status: 201,
      })

      // A token rotates itself (it may not rotate another).
      const rotated = await as(created.json(), 'POST', `/apiops/me/tokens/${newId}/rotate/`)
      expect(rotated.statusCode).toBe(201)
      expect(await last(ctx, 'token.rotated')).toMatchObject({
        actor_user_id: alice.id,
        token_id: newId,
        target: `tokenId=${newId} newTokenId=${rotated.json().id} owner=alice graceSeconds=0`,
        outcome: 'success',
      })

      const revoked = await as(alice, 'DELETE', `/apiops/me/tokens/${rotated.json().id}/`)
      expect(revoked.statusCode).toBe(200)
      expect(await last(ctx, 'token.revoked')).toMatchObject({
        actor_username: 'alice',
        token_id: alice.tokenId,
        client_ip: '127.0.0.1',
        user_agent: UA,
        target: `tokenId=${rotated.json().id} owner=alice`,
        outcome: 'success',
        status: 200,
      })
      // A failed write is recorded too.
      expect((await as(alice, 'DELETE', `/apiops/me/tokens/${'0'.repeat(32)}/`)).statusCode).toBe(
        404,
      )
      expect(await last(ctx, 'request.failed')).toMatchObject({
        target: `operation=revokeMyToken id=${'0'.repeat(32)}`,
        outcome: 'failure',
        status: 404,
      })
      const dump = JSON.stringify(await allEvents(ctx))
      expect(dump).not.toContain(created.json().token)
      expect(dump).not.toContain(rotated.json().token)
    })

    it('records user and role changes, with the roles and the user as target, never the password', async () => {
      const newPassword = 'carols-first-password'
      expect(
        (
          await as(admin, 'POST', '/apiops/users/', {
            username: 'carol',
            password: newPassword,
            roles: ['ROLE_API_SECURITY'],
          })
        ).statusCode,
      ).toBe(201)
      expect(await last(ctx, 'user.created')).toMatchObject({
        actor_username: 'root',
        actor_user_id: admin.id,
        token_id: admin.tokenId,
        target: 'username=carol roles=ROLE_API_SECURITY',
        outcome: 'success',
        status: 201,
      })
      const grant = await as(admin, 'POST', '/apiops/users/carol/roles/', {
        roles: ['ROLE_MANAGE_PROXIES', 'ROLE_DEPLOY_UNDEPLOY_PROXIES'],
      })
      expect(grant.statusCode).toBe(200)
      expect((await last(ctx, 'user.roleGranted')).target).toBe(
        'username=carol roles=ROLE_MANAGE_PROXIES,ROLE_DEPLOY_UNDEPLOY_PROXIES',
      )
      expect(
        (await as(admin, 'DELETE', '/apiops/users/carol/roles/ROLE_MANAGE_PROXIES/')).statusCode,
      ).toBe(200)
      expect((await last(ctx, 'user.roleRevoked')).target).toBe(
        'username=carol roles=ROLE_MANAGE_PROXIES',
      )
      expect((await as(admin, 'POST', '/apiops/users/carol/disable/')).statusCode).toBe(200)
      expect(await last(ctx, 'user.disabled')).toMatchObject({
        actor_username: 'root',
        token_id: admin.tokenId,
        target: 'username=carol',
        outcome: 'success',
      })
      const reset = 'carols-second-password'
      expect(
        (await as(admin, 'PUT', '/apiops/users/carol/password/', { password: reset })).statusCode,
      ).toBe(200)
      expect((await last(ctx, 'password.reset')).target).toBe('username=carol revokeTokens=true')
      const dump = JSON.stringify(await allEvents(ctx))
      expect(dump).not.toContain(newPassword)
      expect(dump).not.toContain(reset)
    })

    it('records resource writes (create a project, add a member)', async () => {
      expect((await as(admin, 'POST', '/apiops/projects/', { name: 'payments' })).statusCode).toBe(
        201,
      )
      expect(await last(ctx, 'project.created')).toMatchObject({
        actor_username: 'root',
        token_id: admin.tokenId,
        target: 'project=payments',
        outcome: 'success',
        status: 201,
      })
      expect(
        (await as(admin, 'POST', '/apiops/projects/payments/members/', { username: 'alice' }))
          .statusCode,
      ).toBe(201)
      expect((await last(ctx, 'project.memberAdded')).target).toBe(
        'project=payments username=alice',
      )
    })
  })

  describe('denials', () => {
    it('records a 403 (any method) with the actor and token, and a 401 without one', async () => {
      const denied = await as(alice, 'POST', '/apiops/projects/', { name: 'sneaky' })
      expect(denied.statusCode).toBe(403)
      expect(await last(ctx, 'request.denied')).toMatchObject({
        actor_username: 'alice',
        actor_user_id: alice.id,
        token_id: alice.tokenId,
        client_ip: '127.0.0.1',
        user_agent: UA,
        target: 'operation=createProject',
        outcome: 'denied',
        status: 403,
      })
      // A read that is refused is a denial too.
      expect((await as(alice, 'GET', '/apiops/users/carol/tokens/')).statusCode).toBe(403)
      expect(await last(ctx, 'request.denied')).toMatchObject({
        actor_username: 'alice',
        target: 'operation=listUserTokens username=carol',
        outcome: 'denied',
        status: 403,
      })

      const anonymous = await ctx.app.inject({
        method: 'POST',
        url: '/apiops/projects/',
        headers: { 'user-agent': UA },
        payload: { name: 'anonymous' },
        remoteAddress: '198.51.100.23',
      })
      expect(anonymous.statusCode).toBe(401)
      expect(await last(ctx, 'request.denied')).toMatchObject({
        actor_user_id: null,
        actor_username: null,
        token_id: null,
        client_ip: '198.51.100.23',
        user_agent: UA,
        target: 'operation=createProject',
        outcome: 'denied',
        status: 401,
      })
      // A read with a bad token (or an ended session) is a denial...
      const expired = await ctx.app.inject({
        url: '/apiops/me/',
        headers: { authorization: 'Bearer x.y.z', 'user-agent': UA },
      })
      expect(expired.statusCode).toBe(401)
      expect(await last(ctx, 'request.denied')).toMatchObject({
        target: 'operation=getMe',
        outcome: 'denied',
        status: 401,
      })
      const ended = await ctx.app.inject({
        url: '/apiops/session/',
        headers: { cookie: `apiops_session=${'A'.repeat(43)}` },
      })
      expect(ended.statusCode).toBe(401)
      expect(await last(ctx, 'request.denied')).toMatchObject({
        target: 'operation=getSession',
        outcome: 'denied',
        status: 401,
      })
      // ...but a read that presented no credentials at all (the console's "am I logged
      // in?" on every page load, an anonymous scan) names no one and is not written.
      const before = (await allEvents(ctx)).length
      for (const url of ['/apiops/session/', '/apiops/me/', '/apiops/nothing-here']) {
        expect((await ctx.app.inject({ url })).statusCode).toBe(401)
      }
      expect((await allEvents(ctx)).length).toBe(before)
      const forged = await ctx.app.inject({
        method: 'DELETE',
        url: '/apiops/users/alice/',
        headers: { authorization: 'Bearer not-a-token' },
      })
      expect(forged.statusCode).toBe(401)
      expect(await last(ctx, 'request.denied')).toMatchObject({
        target: 'operation=deleteUser username=alice',
        outcome: 'denied',
      })
    })

    it('never stores a token, even one sent where it does not belong', async () => {
      const res = await ctx.app.inject({
        url: `/apiops/test/hello/${alice.token}`,
        headers: { authorization: 'Bearer nope' },
      })
      expect(res.statusCode).toBe(401)
      expect((await last(ctx, 'request.denied')).target).toBe('operation=hello name=[redacted]')
      const probe = await ctx.app.inject({ method: 'POST', url: `/apiops/x/${admin.token}` })
      expect(probe.statusCode).toBe(401)
      expect((await last(ctx, 'request.denied')).target).toBe(
        'operation=unknownRoute path=/apiops/x/[redacted]',
      )
      const dump = JSON.stringify(await allEvents(ctx))
      expect(dump).not.toContain(alice.token)
      expect(dump).not.toContain(admin.token)
    })

    it('does not record reads that succeed', async () => {
      const before = (await allEvents(ctx)).length
      for (const url of [
        '/apiops/me/',
        '/apiops/me/tokens/',
        '/apiops/projects/',
        '/apiops/me/audit/',
        '/apiops/test/hello/x',
      ]) {
        expect((await as(alice, 'GET', url)).statusCode).toBe(200)
      }
      expect((await as(admin, 'GET', '/apiops/users/')).statusCode).toBe(200)
      expect((await as(admin, 'GET', '/apiops/audit/')).statusCode).toBe(200)
      expect((await ctx.app.inject({ url: '/apiops/test/healthcheck' })).statusCode).toBe(200)
      expect((await allEvents(ctx)).length).toBe(before)
    })
  })

  describe('token used from a new address', () => {
    it('is recorded on first use and whenever the address changes, not on every request', async () => {
      const owner = await makeUser(ctx, 'dora')
      const t = await tokenFor(ctx, owner.id, { name: 'roaming' })
      const hello = (remoteAddress: string) =>
        ctx.app.inject({ url: '/apiops/test/hello/x', headers: bearer(t.token), remoteAddress })
      const moves = async () =>
        (await eventsOf(ctx, 'token.usedFromNewAddress')).filter((e) => e.token_id === t.id)

      expect((await hello('10.0.0.1')).statusCode).toBe(200)
      expect((await hello('10.0.0.1')).statusCode).toBe(200)
      expect(await moves()).toHaveLength(1)
      expect((await moves())[0]).toMatchObject({
        actor_user_id: owner.id,
        actor_username: 'dora',
        client_ip: '10.0.0.1',
        target: `tokenId=${t.id} previous=(first use)`,
        outcome: 'success',
      })
      expect((await hello('203.0.113.7')).statusCode).toBe(200)
      expect((await hello('203.0.113.7')).statusCode).toBe(200)
      const after = await moves()
      expect(after).toHaveLength(2)
      expect(after[1]).toMatchObject({
        client_ip: '203.0.113.7',
        target: `tokenId=${t.id} previous=10.0.0.1`,
      })
      // The owner sees it in their own activity.
      const mine = await ctx.app.inject({
        url: '/apiops/me/audit/?action=token.usedFromNewAddress',
        headers: bearer(t.token),
        remoteAddress: '203.0.113.7',
      })
      expect(mine.json().totalCount).toBe(2)
    })

    it('compares with the address stored with the token when this node has not seen it', () => {
      const heard: unknown[] = []
      const usage = new UsageRecorder(
        ctx.store.db,
        () => {},
        60_000,
        (use) => heard.push(use),
      )
      const owner = { id: alice.id, username: 'alice' }
      const now = ctx.clock.nowMs()
      usage.record({ id: 'a'.repeat(32), last_used_ip: '10.1.1.1' }, owner, now, '10.1.1.1')
      expect(heard).toEqual([])
      usage.record({ id: 'b'.repeat(32), last_used_ip: '10.9.9.9' }, owner, now, '10.1.1.1')
      expect(heard).toEqual([
        expect.objectContaining({
          tokenId: 'b'.repeat(32),
          ip: '10.1.1.1',
          previousIp: '10.9.9.9',
        }),
      ])
      return usage.flush()
    })
  })

  it('answers 403 naming ROLE_ADMIN to anyone else asking for the whole log', async () => {
    const res = await as(alice, 'GET', '/apiops/audit/')
    expect(res.statusCode).toBe(403)
    expect(res.json().error_description).toContain('ROLE_ADMIN')
  })
})

describe.each(dialects())('reading the audit log (%s)', (dialect) => {
  let ctx: TestContext
  let admin: { token: string }
  let alice: { id: string; token: string }
  const base = Date.parse('2026-03-01T00:00:00.000Z')
  const minute = 60_000

  /** 25 known events: one a minute from `base`, alice and bob taking turns. */
  const seeded: AuditEvent[] = Array.from({ length: 25 }, (_, i) => ({
    at: new Date(base + i * minute),
    actorUsername: i % 2 === 0 ? 'alice' : 'bob',
    action: i % 3 === 0 ? 'project.deleted' : 'project.created',
    target: `name=p${i}`,
    clientIp: '192.0.2.1',
    userAgent: 'seed',
    outcome: i % 5 === 0 ? 'denied' : 'success',
    status: i % 5 === 0 ? 403 : 201,
  }))

  beforeAll(async () => {
    ctx = await buildTestApp(dialect)
    const root = await makeUser(ctx, 'root', ['ROLE_ADMIN'])
    const a = await makeUser(ctx, 'alice')
    admin = { token: (await tokenFor(ctx, root.id)).token }
    alice = { id: a.id, token: (await tokenFor(ctx, a.id)).token }
    // First uses (recorded, at the frozen clock's time: long before the seeded events).
    await get(admin.token, '/apiops/me/')
    await get(alice.token, '/apiops/me/')
    for (const event of seeded) {
      ctx.services.audit.write({
        ...event,
        actorUserId: event.actorUsername === 'alice' ? alice.id : 'bob-id',
      })
    }
  })
  afterAll(() => ctx.close())

  async function get(token: string, url: string) {
    return ctx.app.inject({ url, headers: bearer(token) })
  }
  async function page(query: string) {
    const res = await get(admin.token, `/apiops/audit/?${query}`)
    expect(res.statusCode, res.body).toBe(200)
    return res.json() as {
      resultList: { at: string; actor: string; action: string; target: string; outcome: string }[]
      resultCount: number
      totalCount: number
      page: number
      size: number
    }
  }
  const targets = (list: { target: string }[]) => list.map((e) => e.target)
  const seededTargets = (indexes: number[]) => indexes.map((i) => `name=p${i}`)
  const range = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => from + k)

  it('pages newest first on the server, with counts', async () => {
    const first = await page('size=10')
    // 25 seeded, 2 users made and 2 first uses of a token, long before.
    expect(first).toMatchObject({ resultCount: 10, totalCount: 29, page: 0, size: 10 })
    expect(targets(first.resultList)).toEqual(seededTargets(range(15, 25).reverse()))
    const second = await page('size=10&page=1')
    expect(targets(second.resultList)).toEqual(seededTargets(range(5, 15).reverse()))
    const third = await page('size=10&page=2')
    expect(third.resultCount).toBe(9)
    expect(third.resultList.slice(5).map((e) => e.action)).toEqual([
      'token.usedFromNewAddress',
      'token.usedFromNewAddress',
      'user.created',
      'user.created',
    ])
    expect((await page('size=10&page=9')).resultList).toEqual([])
    const oldest = await page('size=3&sort=at,asc&action=project.created')
    expect(targets(oldest.resultList)).toEqual(seededTargets([1, 2, 4]))
    const item = first.resultList[0]
    expect(item).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{32}$/),
      at: new Date(base + 24 * minute).toISOString(),
      actor: 'alice',
      tokenId: null,
      clientAddress: '192.0.2.1',
      userAgent: 'seed',
      action: 'project.deleted',
      target: 'name=p24',
      outcome: 'success',
      status: 201,
      foldedCount: null,
      usernameHash: null,
      requestId: null,
    })
  })

  it('filters by username, action, outcome and time window', async () => {
    const ofAlice = await page('username=alice&size=100')
    expect(ofAlice.totalCount).toBe(14) // 13 seeded + the first use of her token
    expect(new Set(ofAlice.resultList.map((e) => e.actor))).toEqual(new Set(['alice']))
    const deletes = await page('action=project.deleted')
    expect(targets(deletes.resultList)).toEqual(seededTargets([24, 21, 18, 15, 12, 9, 6, 3, 0]))
    const denied = await page('outcome=denied')
    expect(targets(denied.resultList)).toEqual(seededTargets([20, 15, 10, 5, 0]))
    // From inclusive, to exclusive; any time zone, compared as instants.
    const from = new Date(base + 5 * minute).toISOString()
    const to = new Date(base + 8 * minute).toISOString()
    const window = await page(`from=${from}&to=${to}`)
    expect(targets(window.resultList)).toEqual(seededTargets([7, 6, 5]))
    const inBerlin = await page(
      `from=${encodeURIComponent('2026-03-01T01:05:00+01:00')}&to=${encodeURIComponent('2026-03-01T01:08:00+01:00')}`,
    )
    expect(targets(inBerlin.resultList)).toEqual(seededTargets([7, 6, 5]))
    const combined = await page(`username=bob&outcome=denied&from=${from}`)
    expect(targets(combined.resultList)).toEqual(seededTargets([15, 5]))
    expect((await page('username=nobody')).totalCount).toBe(0)
  })

  it('answers 400 with validation_errors for bad filters', async () => {
    const bad = async (query: string) => {
      const res = await get(admin.token, `/apiops/audit/?${query}`)
      expect(res.statusCode, query).toBe(400)
      return res.json() as { error: string; validation_errors?: { field: string }[] }
    }
    for (const [query, field] of [
      ['from=yesterday', 'from'],
      ['to=2026-03-01T10:00:00', 'to'], // no time zone
      ['from=2026-02-30T10:00:00Z', 'from'],
      ['outcome=maybe', 'outcome'],
      ['size=0', 'size'],
      ['size=5000', 'size'],
      ['action=drop%20table', 'action'],
      ['sort=actor,asc', 'sort'],
    ] as const) {
      const body = await bad(query)
      expect(body.error, query).toBe('validation_failed')
      expect(
        body.validation_errors?.map((e) => e.field),
        query,
      ).toContain(field)
    }
    const backwards = await bad('from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z')
    expect(backwards.validation_errors).toEqual([
      { field: 'to', message: 'must not be before from' },
    ])
    expect((await bad('password=x')).error).toBe('validation_failed')
  })

  it('GET /apiops/me/audit/ shows only my own events, with the same filters', async () => {
    const res = await get(alice.token, '/apiops/me/audit/?size=100')
    expect(res.statusCode).toBe(200)
    const mine = res.json()
    expect(mine.totalCount).toBe(14)
    expect(new Set(mine.resultList.map((e: { actor: string }) => e.actor))).toEqual(
      new Set(['alice']),
    )
    const denied = (await get(alice.token, '/apiops/me/audit/?outcome=denied')).json()
    expect(targets(denied.resultList)).toEqual(seededTargets([20, 10, 0]))
    // No username filter here: it is always me.
    expect((await get(alice.token, '/apiops/me/audit/?username=bob')).statusCode).toBe(400)
  })
})

describe.each(dialects())('retention (%s)', (dialect) => {
  let ctx: TestContext
  const clock = new FrozenClock('2026-06-01T00:00:00.000Z')
  beforeAll(async () => {
    ctx = await buildTestApp(dialect, { clock })
  })
  afterAll(() => ctx.close())

  const ageDays = (days: number) => new Date(clock.now().getTime() - days * 86_400_000)
  const record = (at: Date, target: string) =>
    ctx.services.audit.write({
      at,
      action: 'project.created',
      target,
      clientIp: '192.0.2.1',
      outcome: 'success',
      status: 201,
    })

  it('purges events older than the retention period, and only those', async () => {
    record(ageDays(400), 'ancient')
    record(ageDays(91), 'just past')
    record(ageDays(89), 'kept')
    record(ageDays(0), 'today')
    await ctx.services.audit.flush()
    expect(await purgeAuditEvents(ctx.services, ctx.config.auditRetentionDays)).toBe(2)
    const left = await ctx.store.db.selectFrom('audit_events').select('target').execute()
    expect(left.map((r) => r.target).sort()).toEqual(['kept', 'today'])
    clock.advance(2 * 86_400_000)
    expect(await purgeAuditEvents(ctx.services, 90)).toBe(1)
  })

  it('deletes in slices, so a large purge never holds the write lock for long', async () => {
    for (let i = 0; i < 11; i++) record(ageDays(200), `old ${i}`)
    await ctx.services.audit.flush()
    expect(await deleteEventsBefore(ctx.store.db, ageDays(100).toISOString(), 3)).toBe(11)
  })

  it('is configured by APIOPS_AUDIT_RETENTION_DAYS (default 90)', () => {
    expect(ctx.config.auditRetentionDays).toBe(90)
    expect(testConfig({ APIOPS_AUDIT_RETENTION_DAYS: '7' }).auditRetentionDays).toBe(7)
    for (const bad of ['0', 'forever', '1.5']) {
      expect(() => loadConfig({ APIOPS_AUDIT_RETENTION_DAYS: bad })).toThrow(ConfigError)
    }
  })
})

describe.each(dialects())('CLI actions (%s)', (dialect) => {
  let dir: string
  let schema: Awaited<ReturnType<typeof throwawaySchema>> | undefined
  let config: ReturnType<typeof testConfig>

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'apiops-audit-cli-'))
    const env: Record<string, string> = { APIOPS_DATA_DIR: dir }
    if (dialect === 'postgres') {
      schema = await throwawaySchema('audit')
      env.DATABASE_URL = schema.url
    }
    config = testConfig(env)
  })
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true })
    await schema?.drop()
  })

  async function cli(args: string[], stdin = '') {
    let err = ''
    const io: CliIo = { out: () => {}, err: (t) => (err += t), readStdin: async () => stdin }
    return { code: await runCli(args, () => config, io), err }
  }

  it('records each command that changes something, as actor "cli", without passwords', async () => {
    const password = 'cli-password-for-erin'
    expect(await cli(['user', 'create', 'erin', '--password-stdin'], `${password}\n`)).toEqual({
      code: 0,
      err: '',
    })
    expect(
      (await cli(['token', 'create', 'erin', '--name', 'deploy', '--never-expires'])).code,
    ).toBe(0)
    expect((await cli(['user', 'list'])).code).toBe(0)
    expect((await cli(['user', 'grant', 'nobody', 'ROLE_ADMIN'])).code).toBe(1)

    const runtime = await openRuntime(config, { warn: () => {}, info: () => {} })
    try {
      const rows = await runtime.store.db
        .selectFrom('audit_events')
        .selectAll()
        .orderBy('at')
        .orderBy('id')
        .execute()
      expect(rows.map((r) => [r.action, r.target, r.outcome, r.status])).toEqual([
        ['user.created', 'username=erin roles=', 'success', 200],
        [
          'token.created',
          expect.stringMatching(
            /^tokenId=[0-9a-f]{32} owner=erin name=deploy source=cli expiresAt=never$/,
          ),
          'success',
          200,
        ],
        ['cli.failed', 'command=user.grant args=nobody ROLE_ADMIN', 'failure', 404],
      ])
      for (const row of rows) {
        expect(row).toMatchObject({ actor_username: 'cli', client_ip: 'local', token_id: null })
        expect(row.user_agent).toMatch(/^apiops-cli/)
      }
      expect(JSON.stringify(rows)).not.toContain(password)
    } finally {
      await runtime.close()
    }
  })
})

describe('the recorder', () => {
  it('never loses an event silently: a refused batch goes to the log, overflow is counted', async () => {
    // A database without the table: every insert fails.
    const store = createDb({ databaseUrl: undefined, sqlitePath: ':memory:', dataDir: '' })
    const warnings: { detail: Record<string, unknown>; message: string }[] = []
    const recorder = new AuditRecorder(
      store.db,
      new FrozenClock(),
      (detail, message) => warnings.push({ detail, message }),
      {
        maxQueued: 3,
        batchSize: 2,
        usernameKey: Buffer.alloc(32),
        fold: { windowMs: 60_000, first: 5, maxAddresses: 100 },
      },
    )
    const event = (target: string): AuditEvent => ({
      action: 'project.created',
      target,
      clientIp: '192.0.2.9',
      outcome: 'success',
      status: 201,
    })
    for (const name of ['a', 'b', 'c', 'd', 'e']) recorder.write(event(`name=${name}`))
    await recorder.flush()
    await store.close()
    const messages = warnings.map((w) => w.message)
    expect(messages[0]).toMatch(/falling behind/)
    const lost = warnings.flatMap(
      (w) => (w.detail.lostAuditEvents as AuditEventRow[] | undefined) ?? [],
    )
    expect(lost.map((r) => r.target)).toEqual(['name=a', 'name=b', 'name=c'])
    expect(messages.at(-1)).toMatch(/2 event\(s\) were dropped/)
  })

  it('stores only printable, bounded text, and redacts anything shaped like a token', () => {
    expect(clean('a\u0000b\nc\u007fd', 100)).toBe('a b c d')
    expect(clean('x'.repeat(600), 500)).toHaveLength(500)
    expect(clean('Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln and more', 100)).toBe(
      'Bearer [redacted] and more',
    )
  })
})
