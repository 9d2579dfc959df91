import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createLocalBus } from '../src/cluster/events.ts'
import { closeServices, createServices, type Services } from '../src/composition.ts'
import { sendDueReminders } from '../src/identity/tokens/expiry-reminders.ts'
import {
  bearer,
  buildTestApp,
  dialects,
  form,
  makeUser,
  PASSWORD,
  type TestContext,
  tokenFor,
  until,
} from './helpers.ts'
import { smtpSink, webhookSink } from './notify-sinks.ts'

/**
 * Expiry reminders: 7 days and 1 day before a token expires, and before the inactivity
 * limit revokes it, its owner is told by email and webhook; once per token and
 * threshold, by one node of a cluster. Rounds run at frozen instants.
 */

const DAY = 86_400_000
const HOUR = 3_600_000
const T0 = '2026-12-01T10:00:00.000Z'
const LEASE = { holder: 'node-a', ttlMs: 60_000 }

describe.each(dialects())('expiry reminders (%s)', (dialect) => {
  let ctx: TestContext
  let admin: string
  let smtp: Awaited<ReturnType<typeof smtpSink>>
  let hook: Awaited<ReturnType<typeof webhookSink>>
  let n = 0

  const round = () => sendDueReminders(ctx.services, LEASE)
  const settings = async (body: Record<string, unknown>) => {
    const res = await ctx.app.inject({
      method: 'PATCH',
      url: '/apiops/settings/',
      headers: bearer(admin),
      payload: body,
    })
    expect(res.statusCode, res.body).toBe(200)
  }
  /** A user with an address, and a token of theirs expiring `days` from now. */
  const owned = async (days: number | null) => {
    const user = await makeUser(ctx, `owner${++n}`)
    await ctx.app.inject({
      method: 'PATCH',
      url: `/apiops/users/${user.username}/`,
      headers: bearer(admin),
      payload: { email: `${user.username}@example.com` },
    })
    const expiresAt = days === null ? null : new Date(ctx.clock.nowMs() + days * DAY)
    return { user, ...(await tokenFor(ctx, user.id, { name: `deploy ${n}`, expiresAt })) }
  }
  const sentAbout = async (tokenId: string) => {
    await ctx.services.audit.flush()
    const res = await ctx.app.inject({
      url: '/apiops/audit/?action=token.reminderSent&size=100',
      headers: bearer(admin),
    })
    return (res.json().resultList as { target: string }[])
      .map((e) => e.target)
      .filter((t) => t.includes(tokenId))
      .map((t) => /threshold=(\S+)/.exec(t)?.[1])
  }

  beforeAll(async () => {
    ctx = await buildTestApp(dialect, { env: { APIOPS_NOTIFICATION_ALLOWLIST: '127.0.0.1' } })
    ctx.clock.set(T0)
    smtp = await smtpSink()
    hook = await webhookSink()
    admin = (await tokenFor(ctx, (await makeUser(ctx, 'root', ['ROLE_ADMIN'])).id)).token
    await channels()
  })
  afterAll(async () => {
    await ctx.close()
    await smtp.close()
    await hook.close()
  })
  beforeEach(() => {
    smtp.mails.length = 0
    hook.hooks.length = 0
    hook.state.status = 200
  })

  const channels = () =>
    settings({
      notifications: {
        email: { host: '127.0.0.1', port: smtp.port, security: 'none', from: 'apiops@example.com' },
        webhook: { url: hook.url },
      },
    })

  it('claims nothing while no channel is set, so nothing is lost once one is', async () => {
    await settings({ notifications: null })
    ctx.clock.set(T0)
    const t = await owned(10)
    ctx.clock.advance(4 * DAY)
    expect(await round()).toBeNull()
    await channels()
    expect(await round()).toMatchObject({ sent: 1 })
    expect(await sentAbout(t.id)).toEqual(['7d'])
    expect(smtp.mails.map((m) => m.to)).toEqual([[`${t.user.username}@example.com`]])
    expect(hook.hooks.map((h) => h.json.event)).toEqual(['token.expiring'])
  })

  it('reminds 7 days and 1 day before expiry, once each, and never shows the secret', async () => {
    ctx.clock.set(T0)
    const t = await owned(10)
    expect(await round()).toMatchObject({ sent: 0 })
    ctx.clock.advance(3 * DAY - HOUR) // 7 days and an hour left
    await round()
    expect(smtp.mails).toHaveLength(0)
    ctx.clock.advance(2 * HOUR) // just under 7 days left
    await round()
    await round()
    expect(smtp.mails).toHaveLength(1)
    const [mail] = smtp.mails
    expect(mail?.subject).toBe(`apiops: your token "deploy ${n}" expires within 7 days`)
    expect(mail?.text).toContain(t.id)
    expect(mail?.text).not.toContain(t.token)
    expect(hook.hooks[0]?.json.data).toMatchObject({ tokenId: t.id, threshold: '7d' })
    expect(hook.hooks[0]?.body).not.toContain(t.token)
    ctx.clock.advance(6 * DAY) // under a day left
    await round()
    await round()
    expect(await sentAbout(t.id)).toEqual(['1d', '7d'])
    const mine = smtp.mails.filter((m) => m.to.includes(`${t.user.username}@example.com`))
    expect(mine.map((m) => m.subject)).toEqual([
      `apiops: your token "deploy ${n}" expires within 7 days`,
      `apiops: your token "deploy ${n}" expires within a day`,
    ])
    ctx.clock.advance(DAY) // expired: nothing more
    const before = smtp.mails.length
    await round()
    expect(smtp.mails).toHaveLength(before)
  })

  it('does not remind of a threshold a token never lived past', async () => {
    ctx.clock.set(T0)
    const short = await owned(3)
    ctx.clock.advance(2.5 * DAY)
    await round()
    expect(await sentAbout(short.id)).toEqual(['1d'])
  })

  it('leaves out tokens that need no reminder', async () => {
    ctx.clock.set(T0)
    const never = await owned(null)
    const revoked = await owned(8)
    const del = await ctx.app.inject({
      method: 'DELETE',
      url: `/apiops/me/tokens/${revoked.id}/`,
      headers: bearer(revoked.token),
    })
    expect(del.statusCode).toBe(200)
    // The token endpoint's short-lived tokens are renewed by logging in, not reminded of.
    const short = await ctx.app.inject({
      method: 'POST',
      url: '/apiops/auth/token',
      ...form({
        grant_type: 'client_credentials',
        client_id: never.user.username,
        client_secret: PASSWORD,
      }),
    })
    expect(short.statusCode).toBe(200)
    ctx.clock.advance(7.5 * DAY)
    await round()
    const mailed = smtp.mails.flatMap((m) => m.to)
    expect(mailed).not.toContain(`${never.user.username}@example.com`)
    expect(mailed).not.toContain(`${revoked.user.username}@example.com`)
  })

  it('tries a reminder no channel took again, three times in all, recording each failure', async () => {
    await settings({ notifications: { email: null } })
    ctx.clock.set(T0)
    const t = await owned(7.5)
    hook.state.status = 500
    ctx.clock.advance(DAY)
    for (let i = 0; i < 4; i++) await round()
    expect(hook.hooks).toHaveLength(3)
    await ctx.services.audit.flush()
    const failed = await ctx.app.inject({
      url: '/apiops/audit/?action=notification.failed&size=100',
      headers: bearer(admin),
    })
    const about = (failed.json().resultList as { target: string }[]).filter((e) =>
      e.target.includes(t.id),
    )
    expect(about).toHaveLength(3)
    expect(about[0]?.target).toContain('the webhook answered HTTP 500')
    expect(await sentAbout(t.id)).toEqual([])
    await channels()
  })

  it('tells of the inactivity limit before it revokes, and again after a new use', async () => {
    await settings({ tokenLifetimePolicy: { inactivityDays: 30 } })
    ctx.clock.set(T0)
    const t = await owned(null)
    ctx.clock.advance(22 * DAY) // 8 days left: not yet
    await round()
    expect(await sentAbout(t.id)).toEqual([])
    ctx.clock.advance(2 * DAY) // 6 days left
    await round()
    await round()
    const [first] = hook.hooks.filter((h) => h.json.data.tokenId === t.id)
    expect(first?.json.event).toBe('token.inactive')
    expect(first?.json.data.revokeAt).toBe(new Date(Date.parse(T0) + 30 * DAY).toISOString())
    const used = await ctx.app.inject({ url: '/apiops/me/', headers: bearer(t.token) })
    expect(used.statusCode).toBe(200)
    await ctx.services.usage.flush()
    ctx.clock.advance(24 * DAY)
    await round()
    expect(await sentAbout(t.id)).toHaveLength(2)
    await settings({ tokenLifetimePolicy: { inactivityDays: 0 } })
  })
})

describe.each(dialects())('expiry reminders in a 3-node cluster (%s)', (dialect) => {
  it('one node sends, one reminder per threshold, and another takes over when it stops', async () => {
    const events = createLocalBus()
    const a = await buildTestApp(dialect, {
      events,
      env: { APIOPS_NOTIFICATION_ALLOWLIST: '127.0.0.1' },
    })
    // Two more nodes on the same database and bus: the services a node runs rounds with.
    const others: Services[] = []
    const unwatch: (() => void)[] = []
    const hook = await webhookSink()
    try {
      for (let i = 0; i < 2; i++) {
        const services = createServices({ ...a, store: a.store, events }, (e) => {
          throw e
        })
        await services.settings.reload()
        unwatch.push(
          services.settings.watch(events, (e) => {
            throw e
          }),
        )
        others.push(services)
      }
      const nodes = [a.services, ...others]
      a.clock.set(T0)
      const root = await makeUser(a, 'root', ['ROLE_ADMIN'])
      const token = (await tokenFor(a, root.id)).token
      const set = await a.app.inject({
        method: 'PATCH',
        url: '/apiops/settings/',
        headers: bearer(token),
        payload: { notifications: { webhook: { url: hook.url } } },
      })
      expect(set.statusCode, set.body).toBe(200)
      await until('every node has the channel', async () =>
        nodes.every((n) => n.notifier.channels().length === 1),
      )
      const owner = await makeUser(a, 'owner')
      const tokens = await Promise.all(
        [8, 8.25, 8.5].map((days) =>
          tokenFor(a, owner.id, { expiresAt: new Date(Date.parse(T0) + days * DAY) }),
        ),
      )
      const ids = tokens.map((t) => t.id).sort()
      const round = (which: Services[]) =>
        Promise.all(
          which.map((node) =>
            sendDueReminders(node, { holder: `node-${nodes.indexOf(node)}`, ttlMs: 60_000 }),
          ),
        )
      a.clock.advance(3.5 * DAY) // all three within 7 days
      const first = await round(nodes)
      expect(first.filter((r) => r !== null)).toEqual([{ sent: 3, failed: 0 }])
      expect(hook.hooks.map((h) => h.json.data.tokenId).sort()).toEqual(ids)
      // The holder stops; once its lease runs out, one of the others sends the next ones.
      a.clock.advance(4 * DAY) // all three within a day
      const later = await round(nodes.filter((_, i) => first[i] === null))
      expect(later.filter((r) => r !== null)).toEqual([{ sent: 3, failed: 0 }])
      const oneDay = hook.hooks.filter((h) => h.json.data.threshold === '1d')
      expect(oneDay.map((h) => h.json.data.tokenId).sort()).toEqual(ids)
      expect(await round(nodes)).toContainEqual({ sent: 0, failed: 0 })
      expect(hook.hooks).toHaveLength(6)
    } finally {
      for (const stop of unwatch) stop()
      for (const services of others) await closeServices(services)
      await a.close()
      await hook.close()
    }
  })
})
