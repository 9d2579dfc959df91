import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLocalBus } from '../src/cluster/events.ts'
import { scheduleInactivitySweep } from '../src/identity/tokens/inactivity.ts'
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
  until,
} from './helpers.ts'

/**
 * The token lifetime policy an administrator sets at runtime: a maximum per role (a
 * token's is the smallest among the roles it carries), Never Expires allowed or not, and
 * an inactivity limit that revokes unused tokens. It binds creation and rotation.
 */

const DAY = 86_400_000
const T0 = '2026-12-01T10:00:00.000Z'
/** The calendar date `days` after T0, as the console sends it. */
const dateAhead = (days: number) => new Date(Date.parse(T0) + days * DAY).toISOString().slice(0, 10)

describe.each(dialects())('token lifetime policy (%s)', (dialect) => {
  let ctx: TestContext
  let admin: string
  let session: Record<string, string>
  let n = 0

  const policy = (tokenLifetimePolicy: unknown, token = admin) =>
    ctx.app.inject({
      method: 'PATCH',
      url: '/apiops/settings/',
      headers: bearer(token),
      payload: { tokenLifetimePolicy },
    })
  const setPolicy = async (tokenLifetimePolicy: unknown) => {
    const res = await policy(tokenLifetimePolicy)
    expect(res.statusCode, res.body).toBe(200)
    return res.json().tokenLifetimePolicy
  }
  const create = (expiresAt: string | null, extra: Record<string, unknown> = {}) =>
    ctx.app.inject({
      method: 'POST',
      url: '/apiops/me/tokens/',
      headers: session,
      payload: { name: `policy ${++n}`, expiresAt, ...extra },
    })
  const mine = () => ctx.app.inject({ url: '/apiops/me/token-policy/', headers: session })
  const hello = (token: string) =>
    ctx.app.inject({ url: '/apiops/test/hello/John', headers: bearer(token) })

  beforeAll(async () => {
    // Token-endpoint tokens live 30 days here, so a shorter maximum can cut them.
    ctx = await buildTestApp(dialect, { env: { APIOPS_API_TOKEN_TTL: String(30 * 86_400) } })
    ctx.clock.set(T0)
    admin = (await tokenFor(ctx, (await makeUser(ctx, 'root', ['ROLE_ADMIN'])).id)).token
    await makeUser(ctx, 'alice', ['ROLE_MANAGE_PROXIES', 'ROLE_DEPLOY_UNDEPLOY_PROXIES'])
    session = (await consoleSession(ctx, 'alice')).headers
  })
  afterAll(() => ctx?.close())

  it("starts from the seed's rules: Never Expires allowed, no maximum, no inactivity limit", async () => {
    const res = await mine()
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json()).toEqual({
      neverExpiresAllowed: true,
      maxDaysByRole: {},
      maxLifetimeDays: null,
      inactivityDays: 0,
    })
    const settings = await ctx.app.inject({ url: '/apiops/settings/', headers: bearer(admin) })
    expect(settings.json().tokenLifetimePolicy).toEqual({
      value: { neverExpiresAllowed: true, maxDaysByRole: {}, inactivityDays: 0 },
      source: 'default',
      updatedAt: null,
      updatedBy: null,
    })
    expect((await create(null)).statusCode).toBe(201)
  })

  it.each([
    [{ maxDaysByRole: { ROLE_NOPE: 30 } }, /ROLE_NOPE/],
    [{ maxDaysByRole: { ROLE_ADMIN: 0 } }, /ROLE_ADMIN/],
    [{ maxDaysByRole: { ROLE_ADMIN: 36_501 } }, /ROLE_ADMIN/],
    [{ inactivityDays: -1 }, /inactivityDays/],
    [{ inactivityDays: 3_651 }, /inactivityDays/],
    [{ neverExpiresAllowed: 'no' }, /neverExpiresAllowed/],
    [{}, /at least 1|properties/],
    [{ other: true }, /other|additional/],
  ])('refuses the policy %j with a 400 that names the problem', async (body, named) => {
    const res = await policy(body)
    expect(res.statusCode).toBe(400)
    expect(res.json().error_description).toMatch(named)
  })

  it('is set by administrators only, and says who set it', async () => {
    const alice = await create(null)
    expect((await policy({ inactivityDays: 5 }, alice.json().token)).statusCode).toBe(403)
    const set = await setPolicy({
      neverExpiresAllowed: false,
      maxDaysByRole: { ROLE_MANAGE_PROXIES: 30 },
    })
    expect(set).toEqual({
      value: {
        neverExpiresAllowed: false,
        maxDaysByRole: { ROLE_MANAGE_PROXIES: 30 },
        inactivityDays: 0,
      },
      source: 'administrator',
      updatedAt: T0,
      updatedBy: 'root',
    })
    // A part changed alone keeps the others.
    const more = await setPolicy({
      maxDaysByRole: { ROLE_MANAGE_PROXIES: 30, ROLE_DEPLOY_UNDEPLOY_PROXIES: 90 },
    })
    expect(more.value.neverExpiresAllowed).toBe(false)
    expect((await mine()).json()).toEqual({
      neverExpiresAllowed: false,
      maxDaysByRole: { ROLE_MANAGE_PROXIES: 30, ROLE_DEPLOY_UNDEPLOY_PROXIES: 90 },
      maxLifetimeDays: 30,
      inactivityDays: 0,
    })
  })

  it('holds a new token to the smallest maximum among its roles, naming the rule', async () => {
    const never = await create(null)
    expect(never.statusCode).toBe(400)
    expect(never.json().validation_errors[0].field).toBe('expiresAt')
    expect(never.json().error_description).toContain(
      'an administrator has turned Never Expires off',
    )
    expect(never.json().error_description).toContain('at most 30 days ahead')
    const far = await create(dateAhead(31))
    expect(far.statusCode).toBe(400)
    expect(far.json().error_description).toContain(
      'too far ahead: choose a date at most 30 days ahead (the longest an administrator allows for ROLE_MANAGE_PROXIES tokens)',
    )
    // "Valid through" the 30th day: it ends at the next midnight, UTC.
    const ok = await create(dateAhead(30))
    expect(ok.statusCode, ok.body).toBe(201)
    expect(ok.json().expiresAt).toBe(`${dateAhead(31)}T00:00:00.000Z`)
    // Narrowed to the role allowed 90 days, the token may live 90.
    const narrow = { roles: ['ROLE_DEPLOY_UNDEPLOY_PROXIES'] }
    expect((await create(dateAhead(90), narrow)).statusCode).toBe(201)
    const beyond = await create(dateAhead(91), narrow)
    expect(beyond.statusCode).toBe(400)
    expect(beyond.json().error_description).toContain('ROLE_DEPLOY_UNDEPLOY_PROXIES')
  })

  it("cuts a token-endpoint token's lifetime to the owner's maximum, and says so in expires_in", async () => {
    const login = () =>
      ctx.app.inject({
        method: 'POST',
        url: '/apiops/auth/token',
        ...form({ grant_type: 'client_credentials', client_id: 'alice', client_secret: PASSWORD }),
      })
    await setPolicy({ maxDaysByRole: { ROLE_DEPLOY_UNDEPLOY_PROXIES: 2 } })
    const cut = await login()
    expect(cut.statusCode, cut.body).toBe(200)
    // Through the second day from T0 (10:00 UTC): 2 days and 14 hours.
    expect(cut.json().expires_in).toBe(2 * 86_400 + 14 * 3_600)
    await setPolicy({ maxDaysByRole: {} })
    expect((await login()).json().expires_in).toBe(30 * 86_400)
    await setPolicy({
      maxDaysByRole: { ROLE_MANAGE_PROXIES: 30, ROLE_DEPLOY_UNDEPLOY_PROXIES: 90 },
    })
  })

  it('lets a date of any distance through when only Never Expires is off', async () => {
    await setPolicy({ maxDaysByRole: {} })
    const never = await create(null)
    expect(never.statusCode).toBe(400)
    expect(never.json().error_description).toContain('turned Never Expires off; choose a date')
    expect((await create(dateAhead(3_650))).statusCode).toBe(201)
  })

  it('brings a rotated token within the policy in force, never past it', async () => {
    await setPolicy(null)
    const old = (await create(null)).json()
    await setPolicy({ maxDaysByRole: { ROLE_MANAGE_PROXIES: 30 } })
    const rotate = (id: string) =>
      ctx.app.inject({ method: 'POST', url: `/apiops/me/tokens/${id}/rotate/`, headers: session })
    const rotated = await rotate(old.id)
    expect(rotated.statusCode, rotated.body).toBe(201)
    expect(rotated.json().expiresAt).toBe(`${dateAhead(31)}T00:00:00.000Z`)
    // Without a maximum but with Never Expires off, a never-expiring token cannot roll on.
    await setPolicy(null)
    const never = (await create(null)).json()
    await setPolicy({ neverExpiresAllowed: false })
    const refused = await rotate(never.id)
    expect(refused.statusCode).toBe(409)
    expect(refused.json().error_description).toContain('create a new token with an expiry date')
    expect((await hello(never.token)).statusCode).toBe(200)
    await setPolicy(null)
  })

  it('revokes tokens unused past the inactivity limit: when set, and on every sweep after', async () => {
    ctx.clock.set(T0)
    const used = (await create(null)).json()
    expect((await hello(used.token)).statusCode).toBe(200)
    ctx.clock.advance(35 * DAY)
    session = (await consoleSession(ctx, 'alice')).headers // the old one timed out
    const recent = (await create(null)).json()
    const active = (await create(null)).json()
    expect((await hello(active.token)).statusCode).toBe(200)
    await ctx.services.usage.flush()
    ctx.clock.advance(10 * DAY)
    // used: last used 45 days ago; recent: made 10 days ago, never used; active: used 10 days ago.
    // root's own token was last used 45 days ago too, but the request setting the limit
    // is a use of it: it survives.
    const set = await setPolicy({ inactivityDays: 30 })
    expect(set.value.inactivityDays).toBe(30)
    expect((await hello(admin)).statusCode).toBe(200)
    const gone = await hello(used.token)
    expect(gone.statusCode).toBe(401)
    expect(gone.json().error_description).toMatch(/revoked/)
    expect((await hello(active.token)).statusCode).toBe(200)
    await ctx.services.usage.flush()
    // 25 days on: `recent` has gone 35 days unused; the scheduled sweep finds it.
    ctx.clock.advance(25 * DAY)
    let revoked = 0
    const stop = scheduleInactivitySweep(ctx.services, {
      everyMs: 60_000,
      onRevoked: (count) => {
        revoked += count
      },
      onError: (error) => {
        throw error
      },
    })
    try {
      await until('the sweep revokes a token', async () => revoked > 0)
    } finally {
      stop()
    }
    expect(revoked).toBe(1)
    expect((await hello(recent.token)).statusCode).toBe(401)
    expect((await hello(active.token)).statusCode).toBe(200)
    await ctx.services.audit.flush()
    const audit = await ctx.app.inject({
      url: '/apiops/audit/?action=token.revokedInactive',
      headers: bearer(admin),
    })
    const targets: string[] = audit.json().resultList.map((e: { target: string }) => e.target)
    const of = (id: string) => targets.filter((t) => t.includes(`tokenId=${id}`))
    expect(of(used.id)).toEqual([
      `tokenId=${used.id} owner=alice inactivityDays=30 lastUsedAt=${T0}`,
    ])
    expect(of(recent.id)).toHaveLength(1)
    expect(of(recent.id)[0]).toContain('lastUsedAt=never')
    expect(of(active.id)).toEqual([])
    await setPolicy(null)
  })
})

describe('token lifetime policy on two nodes sharing a database and an event bus', () => {
  it('a change made through one node is in force on the other at once', async () => {
    const events = createLocalBus()
    const a = await buildTestApp('sqlite', { events })
    try {
      const { buildApp } = await import('../src/app.ts')
      const b = await buildApp({ ...a, store: a.store, events, consoleDir: '/nonexistent' })
      try {
        const root = (await tokenFor(a, (await makeUser(a, 'root', ['ROLE_ADMIN'])).id)).token
        const set = await a.app.inject({
          method: 'PATCH',
          url: '/apiops/settings/',
          headers: bearer(root),
          payload: { tokenLifetimePolicy: { maxDaysByRole: { ROLE_ADMIN: 7 } } },
        })
        expect(set.statusCode, set.body).toBe(200)
        const seen = await b.inject({ url: '/apiops/me/token-policy/', headers: bearer(root) })
        expect(seen.json().maxLifetimeDays).toBe(7)
      } finally {
        await b.close()
      }
    } finally {
      await a.close()
    }
  })
})
