import { createHmac } from 'node:crypto'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  bearer,
  buildTestApp,
  dialects,
  makeUser,
  type TestContext,
  tokenFor,
  until,
} from './helpers.ts'
import { smtpSink, webhookSink } from './notify-sinks.ts'

/**
 * Where reminders and alerts go: SMTP and webhook settings an administrator sets (secrets
 * write-only and sealed), a test notice to prove them, users' email addresses, and the
 * alert a canary token raises. Every delivery goes to local sinks the test starts.
 */

const HOOK_SECRET = 'whsec-0123456789abcdef'

describe.each(dialects())('notification settings (%s)', (dialect) => {
  let ctx: TestContext
  let admin: string
  let plain: string
  let smtp: Awaited<ReturnType<typeof smtpSink>>
  let hook: Awaited<ReturnType<typeof webhookSink>>

  const patch = (notifications: unknown, token = admin) =>
    ctx.app.inject({
      method: 'PATCH',
      url: '/apiops/settings/',
      headers: bearer(token),
      payload: { notifications },
    })
  const test = (channel: string, token = admin) =>
    ctx.app.inject({
      method: 'POST',
      url: '/apiops/settings/notifications/test/',
      headers: bearer(token),
      payload: { channel },
    })
  const email = { host: '127.0.0.1', security: 'none', from: 'apiops <apiops@example.com>' }

  beforeAll(async () => {
    ctx = await buildTestApp(dialect, { env: { APIOPS_NOTIFICATION_ALLOWLIST: '127.0.0.1' } })
    smtp = await smtpSink({ user: 'relay', password: 'relay-pass' })
    hook = await webhookSink()
    const root = await makeUser(ctx, 'root', ['ROLE_ADMIN'])
    admin = (await tokenFor(ctx, root.id)).token
    plain = (await tokenFor(ctx, (await makeUser(ctx, 'plain')).id)).token
    const set = await ctx.app.inject({
      method: 'PATCH',
      url: '/apiops/users/root/',
      headers: bearer(admin),
      payload: { email: 'root@example.com' },
    })
    expect(set.statusCode, set.body).toBe(200)
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

  it('has no channel by default', async () => {
    const res = await ctx.app.inject({ url: '/apiops/settings/', headers: bearer(admin) })
    expect(res.json().notifications).toEqual({
      value: { email: null, webhook: null },
      source: 'default',
      updatedAt: null,
      updatedBy: null,
    })
  })

  it('keeps the SMTP password and the webhook URL and secret write-only and sealed', async () => {
    const res = await patch({
      email: { ...email, port: smtp.port, username: 'relay', password: 'relay-pass' },
      webhook: { url: hook.url, secret: HOOK_SECRET },
    })
    expect(res.statusCode, res.body).toBe(200)
    const { value, source, updatedBy } = res.json().notifications
    expect({ source, updatedBy }).toEqual({ source: 'administrator', updatedBy: 'root' })
    expect(value.email).toEqual({
      host: '127.0.0.1',
      port: smtp.port,
      security: 'none',
      username: 'relay',
      passwordSet: true,
      from: 'apiops <apiops@example.com>',
    })
    expect(value.webhook).toEqual({ url: `${new URL(hook.url).origin}/********`, secretSet: true })
    expect(res.body).not.toContain('relay-pass')
    expect(res.body).not.toContain('s3cr3tpath')
    expect(res.body).not.toContain(HOOK_SECRET)
    const row = await ctx.store.db
      .selectFrom('settings')
      .select('value')
      .where('key', '=', 'notifications')
      .executeTakeFirstOrThrow()
    for (const secret of ['relay-pass', 's3cr3tpath', HOOK_SECRET]) {
      expect(row.value).not.toContain(secret)
    }
  })

  it('sends a test notice through each channel, signed, and keeps what a read showed', async () => {
    // The masked URL and an omitted secret mean "unchanged".
    const masked = `${new URL(hook.url).origin}/********`
    expect((await patch({ webhook: { url: masked } })).statusCode).toBe(200)
    const byMail = await test('email')
    expect(byMail.json()).toEqual({
      channel: 'email',
      delivered: true,
      detail: 'delivered to root@example.com',
    })
    expect(smtp.mails).toHaveLength(1)
    expect(smtp.mails[0]).toMatchObject({
      from: 'apiops@example.com',
      to: ['root@example.com'],
      subject: 'apiops: test notification',
      user: 'relay',
    })
    const byHook = await test('webhook')
    expect(byHook.json()).toMatchObject({ channel: 'webhook', delivered: true })
    const [delivery] = hook.hooks
    expect(delivery?.json).toMatchObject({ event: 'notification.test', recipient: 'root' })
    expect(new URL(hook.url).pathname).toBe('/hooks/T0001/B0002/s3cr3tpath')
    const signature = String(delivery?.headers['x-apiops-signature'])
    const t = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(signature)
    expect(t, signature).not.toBeNull()
    const mac = createHmac('sha256', HOOK_SECRET)
      .update(`${t?.[1]}.${delivery?.body}`)
      .digest('hex')
    expect(t?.[2]).toBe(mac)
    expect(delivery?.headers['x-apiops-event']).toBe('notification.test')
  })

  it('reports a delivery that failed, and records it', async () => {
    hook.state.status = 500
    const res = await test('webhook')
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual({
      channel: 'webhook',
      delivered: false,
      detail: `not delivered to ${new URL(hook.url).origin}: the webhook answered HTTP 500`,
    })
    await ctx.services.audit.flush()
    const audit = await ctx.app.inject({
      url: '/apiops/audit/?action=notification.tested',
      headers: bearer(admin),
    })
    const rows = audit.json().resultList as { outcome: string; details: string }[]
    expect(rows.map((r) => r.outcome)).toContain('failure')
  })

  it('refuses what cannot work, naming the field', async () => {
    const cases: [unknown, string][] = [
      [{ email: { ...email, host: '10.1.2.3' } }, 'APIOPS_NOTIFICATION_ALLOWLIST'],
      [{ webhook: { url: 'http://169.254.169.254/latest' } }, 'APIOPS_NOTIFICATION_ALLOWLIST'],
      [{ email: { ...email, from: 'nobody' } }, 'notifications.email.from'],
      [{ email: { ...email, password: 'x', username: null } }, 'notifications.email.username'],
      [{ webhook: { url: 'ftp://example.com/' } }, 'must be an http or https URL'],
      [{ webhook: { url: 'https://u:p@example.com/' } }, 'must not carry a user or password'],
      [{ webhook: { url: 'https://example.com/', secret: 'short' } }, 'secret'],
      [{ sms: {} }, 'sms'],
    ]
    for (const [body, words] of cases) {
      const res = await patch(body)
      expect(res.statusCode, JSON.stringify(body)).toBe(400)
      expect(res.json().error_description, JSON.stringify(body)).toContain(words)
    }
  })

  it('lets only administrators change channels or send test notices', async () => {
    expect((await patch(null, plain)).statusCode).toBe(403)
    expect((await test('email', plain)).statusCode).toBe(403)
  })

  it('says so when the channel asked for is not set', async () => {
    expect((await patch({ webhook: null })).statusCode).toBe(200)
    const res = await test('webhook')
    expect(res.statusCode).toBe(400)
    expect(res.json().error_description).toContain('no webhook channel is set')
    expect(
      (await patch({ webhook: { url: hook.url } })).json().notifications.value.webhook,
    ).toEqual({ url: `${new URL(hook.url).origin}/********`, secretSet: false })
  })
})

describe.each(dialects())('users’ email addresses (%s)', (dialect) => {
  let ctx: TestContext
  let admin: string
  let ada: string

  beforeAll(async () => {
    ctx = await buildTestApp(dialect)
    admin = (await tokenFor(ctx, (await makeUser(ctx, 'root', ['ROLE_ADMIN'])).id)).token
    ada = (await tokenFor(ctx, (await makeUser(ctx, 'ada')).id)).token
  })
  afterAll(() => ctx.close())

  it('a user sets and clears their own address; bad ones are refused', async () => {
    const me = (email: unknown) =>
      ctx.app.inject({
        method: 'PATCH',
        url: '/apiops/me/',
        headers: bearer(ada),
        payload: { email },
      })
    const set = await me(' ada@example.com ')
    expect(set.statusCode, set.body).toBe(200)
    expect(set.json()).toMatchObject({ username: 'ada', email: 'ada@example.com' })
    expect((await ctx.app.inject({ url: '/apiops/me/', headers: bearer(ada) })).json().email).toBe(
      'ada@example.com',
    )
    const bad = await me('not an address')
    expect(bad.statusCode).toBe(400)
    expect(bad.json().error_description).toContain('email')
    expect((await me(null)).json().email).toBeNull()
  })

  it('administrators set it for anyone, and at creation', async () => {
    const created = await ctx.app.inject({
      method: 'POST',
      url: '/apiops/users/',
      headers: bearer(admin),
      payload: { username: 'bob', password: 'correct horse battery', email: 'bob@example.com' },
    })
    expect(created.statusCode, created.body).toBe(201)
    expect(created.json().email).toBe('bob@example.com')
    const changed = await ctx.app.inject({
      method: 'PATCH',
      url: '/apiops/users/bob/',
      headers: bearer(admin),
      payload: { email: 'robert@example.com' },
    })
    expect(changed.json().email).toBe('robert@example.com')
    const denied = await ctx.app.inject({
      method: 'PATCH',
      url: '/apiops/users/bob/',
      headers: bearer(ada),
      payload: { email: 'x@example.com' },
    })
    expect(denied.statusCode).toBe(403)
    await ctx.services.audit.flush()
    const audit = await ctx.app.inject({
      url: '/apiops/audit/?action=user.emailChanged',
      headers: bearer(admin),
    })
    expect(audit.json().resultList.length).toBeGreaterThanOrEqual(1)
    expect(audit.body).not.toContain('robert@example.com')
  })
})

describe.each(dialects())('canary alerts (%s)', (dialect) => {
  let ctx: TestContext
  let hook: Awaited<ReturnType<typeof webhookSink>>

  beforeAll(async () => {
    ctx = await buildTestApp(dialect, { env: { APIOPS_NOTIFICATION_ALLOWLIST: '127.0.0.1' } })
    hook = await webhookSink()
  })
  afterAll(async () => {
    await ctx.close()
    await hook.close()
  })

  it('tells the owner of each use, at most once a minute per canary', async () => {
    const owner = await makeUser(ctx, 'owner', ['ROLE_ADMIN'])
    const token = (await tokenFor(ctx, owner.id)).token
    const configured = await ctx.app.inject({
      method: 'PATCH',
      url: '/apiops/settings/',
      headers: bearer(token),
      payload: { notifications: { webhook: { url: hook.url } } },
    })
    expect(configured.statusCode, configured.body).toBe(200)
    const made = await ctx.app.inject({
      method: 'POST',
      url: '/apiops/me/canary-tokens/',
      headers: bearer(token),
      payload: { name: 'in the wiki' },
    })
    const canary = made.json() as { id: string; token: string }
    const use = () =>
      ctx.app.inject({
        url: '/apiops/projects/?x=1',
        headers: { ...bearer(canary.token), 'user-agent': 'curl/8.0' },
      })
    expect((await use()).statusCode).toBe(401)
    await until('the alert arrives', async () => hook.hooks.length === 1)
    expect(hook.hooks[0]?.json).toMatchObject({
      event: 'token.canaryTriggered',
      recipient: 'owner',
      data: { tokenId: canary.id, userAgent: 'curl/8.0', method: 'GET', path: '/apiops/projects/' },
    })
    expect(hook.hooks[0]?.body).not.toContain(canary.token)
    expect((await use()).statusCode).toBe(401)
    ctx.clock.advance(61_000)
    expect((await use()).statusCode).toBe(401)
    await until('the next minute’s alert arrives', async () => hook.hooks.length === 2)
    await ctx.services.audit.flush()
    const audit = await ctx.app.inject({
      url: '/apiops/audit/?action=token.canaryTriggered',
      headers: bearer(token),
    })
    expect(audit.json().resultList).toHaveLength(3)
    expect(hook.hooks).toHaveLength(2)
  })
})
