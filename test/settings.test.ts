import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLocalBus } from '../src/cluster/events.ts'
import { bearer, buildTestApp, dialects, makeUser, type TestContext, tokenFor } from './helpers.ts'

const HELLO = '/apiops/test/hello/John'

describe.each(dialects())('runtime settings: the per-token rate limit (%s)', (dialect) => {
  let ctx: TestContext
  let admin: string
  let user: string

  beforeAll(async () => {
    // The environment's value is the default an administrator can override and reset to.
    ctx = await buildTestApp(dialect, { env: { APIOPS_TOKEN_RATE_LIMIT: '0' } })
    admin = (await tokenFor(ctx, (await makeUser(ctx, 'root', ['ROLE_ADMIN'])).id)).token
    user = (await tokenFor(ctx, (await makeUser(ctx, 'alice')).id)).token
    ctx.clock.set('2026-01-15T10:00:00.000Z') // the top of a minute: windows are whole minutes
  })
  afterAll(() => ctx.close())

  const patch = (payload: Record<string, unknown>, token = admin) =>
    ctx.app.inject({ method: 'PATCH', url: '/apiops/settings/', headers: bearer(token), payload })
  const hello = (token: string) => ctx.app.inject({ url: HELLO, headers: bearer(token) })

  it('shows the value in force and where it comes from', async () => {
    const res = await ctx.app.inject({ url: '/apiops/settings/', headers: bearer(admin) })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual({
      tokenRateLimit: {
        value: 0,
        source: 'environment',
        default: 0,
        updatedAt: null,
        updatedBy: null,
      },
      tokenLifetimePolicy: {
        value: { neverExpiresAllowed: true, maxDaysByRole: {}, inactivityDays: 0 },
        source: 'default',
        updatedAt: null,
        updatedBy: null,
      },
      notifications: {
        value: { email: null, webhook: null },
        source: 'default',
        updatedAt: null,
        updatedBy: null,
      },
    })
  })

  it('applies a new limit to the next request, without a restart, and says who set it', async () => {
    const res = await patch({ tokenRateLimit: 3 })
    expect(res.statusCode).toBe(200)
    expect(res.json().tokenRateLimit).toEqual({
      value: 3,
      source: 'administrator',
      default: 0,
      updatedAt: '2026-01-15T10:00:00.000Z',
      updatedBy: 'root',
    })
    const answers = []
    for (let i = 0; i < 4; i++) answers.push(await hello(user))
    expect(answers.map((r) => r.statusCode)).toEqual([200, 200, 200, 429])
    expect(answers[0]?.headers['x-ratelimit-limit']).toBe('3')
    expect(answers[3]?.json()).toMatchObject({ error: 'rate_limit_exceeded' })
    expect(answers[3]?.headers['retry-after']).toMatch(/^\d+$/)
  })

  it('returns to the environment default on null, and lifts the limit', async () => {
    const res = await patch({ tokenRateLimit: null })
    expect(res.statusCode).toBe(200)
    expect(res.json().tokenRateLimit).toMatchObject({ value: 0, source: 'environment' })
    const after = await hello(user)
    expect(after.statusCode).toBe(200)
    expect(after.headers['x-ratelimit-limit']).toBeUndefined()
  })

  it.each([
    [{ tokenRateLimit: -1 }, /tokenRateLimit/],
    [{ tokenRateLimit: 1.5 }, /tokenRateLimit/],
    [{ tokenRateLimit: '10' }, /tokenRateLimit/],
    [{ tokenRateLimit: 1_000_001 }, /tokenRateLimit/],
    [{}, /at least 1|properties/],
    [{ tokenRateLimit: 5, other: 1 }, /other|additional/],
  ])('refuses %j with a 400 that names the problem', async (payload, named) => {
    const res = await patch(payload)
    expect(res.statusCode).toBe(400)
    expect(res.json().error_description).toMatch(named)
    // Nothing changed.
    const now = await ctx.app.inject({ url: '/apiops/settings/', headers: bearer(admin) })
    expect(now.json().tokenRateLimit.source).toBe('environment')
  })

  it('is for administrators only, and every change is in the audit log', async () => {
    expect((await patch({ tokenRateLimit: 1 }, user)).statusCode).toBe(403)
    expect(
      (await ctx.app.inject({ url: '/apiops/settings/', headers: bearer(user) })).statusCode,
    ).toBe(403)
    await ctx.services.audit.flush()
    const audit = async (action: string) => {
      const res = await ctx.app.inject({
        url: `/apiops/audit/?action=${action}`,
        headers: bearer(admin),
      })
      expect(res.statusCode, res.body).toBe(200)
      return res
        .json()
        .resultList.map(
          (e: { outcome: string; actor: string; target: string }) =>
            `${e.actor}:${e.outcome}:${e.target}`,
        )
    }
    expect(await audit('settings.updated')).toContain('root:success:keys=tokenRateLimit')
    expect(await audit('request.denied')).toContain('alice:denied:operation=updateSettings')
  })
})

describe('runtime settings on two nodes sharing a database and an event bus', () => {
  it('a change made through one node is in force on the other at once', async () => {
    const events = createLocalBus()
    const a = await buildTestApp('sqlite', { events })
    try {
      // Node B: a second app over node A's store and bus, as a cluster node would be.
      const { buildApp } = await import('../src/app.ts')
      const b = await buildApp({
        ...a,
        config: a.config,
        store: a.store,
        events,
        consoleDir: '/nonexistent',
      })
      try {
        const root = (await tokenFor(a, (await makeUser(a, 'root', ['ROLE_ADMIN'])).id)).token
        expect(
          (
            await a.app.inject({
              method: 'PATCH',
              url: '/apiops/settings/',
              headers: bearer(root),
              payload: { tokenRateLimit: 7 },
            })
          ).statusCode,
        ).toBe(200)
        const seen = await b.inject({ url: '/apiops/test/hello/John', headers: bearer(root) })
        expect(seen.statusCode).toBe(200)
        expect(seen.headers['x-ratelimit-limit']).toBe('7')
      } finally {
        await b.close()
      }
    } finally {
      await a.close()
    }
  })
})
