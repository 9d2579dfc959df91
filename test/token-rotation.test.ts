import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  bearer,
  buildTestApp,
  consoleSession,
  dialects,
  makeUser,
  type TestContext,
  tokenFor,
} from './helpers.ts'

/*
 * Rotation with a bounded grace period (the old token lives on exactly that long, never
 * past its own expiry), and reuse detection: presenting an already rotated token to
 * rotate it again revokes its whole chain and records the event.
 */

describe.each(dialects())('token rotation with grace (%s)', (dialect) => {
  let ctx: TestContext
  let userId: string

  beforeAll(async () => {
    ctx = await buildTestApp(dialect)
    userId = (await makeUser(ctx, 'pipeline-owner', ['ROLE_MANAGE_PROXIES'])).id
  })
  afterAll(() => ctx.close())

  const status = async (token: string) =>
    (await ctx.app.inject({ url: '/apiops/me/', headers: bearer(token) })).statusCode
  const rotate = (id: string, token: string, payload?: object) =>
    ctx.app.inject({
      method: 'POST',
      url: `/apiops/me/tokens/${id}/rotate/`,
      headers: bearer(token),
      ...(payload ? { payload } : {}),
    })
  const viewOf = async (token: string, id: string) => {
    const list = (
      await ctx.app.inject({ url: '/apiops/me/tokens/', headers: bearer(token) })
    ).json()
    return list.resultList.find((t: { id: string }) => t.id === id)
  }
  const reuseEvents = async () => {
    await ctx.services.audit.flush()
    return ctx.store.db
      .selectFrom('audit_events')
      .selectAll()
      .where('action', '=', 'token.rotationReused')
      .execute()
  }

  it('keeps the old token working for graceSeconds, to the second, then refuses it', async () => {
    const old = await tokenFor(ctx, userId, { name: 'deploy' })
    const res = await rotate(old.id, old.token, { graceSeconds: 600 })
    expect(res.statusCode, res.body).toBe(201)
    const fresh = res.json()
    expect(fresh).toMatchObject({ name: 'deploy', expiresAt: null, rotatedTo: null })
    const end = new Date(ctx.clock.now().getTime() + 600_000).toISOString()
    expect(await viewOf(fresh.token, old.id)).toMatchObject({
      status: 'active',
      rotatedTo: fresh.id,
      expiresAt: end,
    })
    ctx.clock.advance(599_999)
    expect(await status(old.token)).toBe(200)
    ctx.clock.advance(1)
    const refused = await ctx.app.inject({ url: '/apiops/me/', headers: bearer(old.token) })
    expect(refused.statusCode).toBe(401)
    expect(refused.json()).toMatchObject({
      error: 'token_expired',
      error_description: `The token expired at ${end}. Create a new token.`,
    })
    expect(await status(fresh.token)).toBe(200)
  })

  it('never lets the grace outlive the token: a token expiring sooner keeps its expiry', async () => {
    const expiresAt = new Date(ctx.clock.now().getTime() + 60_000)
    const old = await tokenFor(ctx, userId, { name: 'short', expiresAt })
    const res = await rotate(old.id, old.token, { graceSeconds: 86_400 })
    expect(res.statusCode).toBe(201)
    expect(res.json().expiresAt).toBe(expiresAt.toISOString())
    expect((await viewOf(res.json().token, old.id)).expiresAt).toBe(expiresAt.toISOString())
  })

  it('without graceSeconds (or 0) the old token dies at once, as before', async () => {
    for (const payload of [undefined, { graceSeconds: 0 }]) {
      const old = await tokenFor(ctx, userId, { name: 'instant' })
      const res = await rotate(old.id, old.token, payload)
      expect(res.statusCode).toBe(201)
      expect(await status(old.token)).toBe(401)
      expect(await viewOf(res.json().token, old.id)).toMatchObject({
        status: 'revoked',
        rotatedTo: res.json().id,
      })
    }
  })

  it.each([
    [{ graceSeconds: -1 }, 'graceSeconds'],
    [{ graceSeconds: 86_401 }, 'graceSeconds'],
    [{ graceSeconds: 1.5 }, 'graceSeconds'],
    [{ graceSeconds: '60' }, 'graceSeconds'],
    [{ grace: 60 }, 'grace'],
  ])('refuses %j with 400 naming the field, and rotates nothing', async (payload, field) => {
    const old = await tokenFor(ctx, userId, { name: 'bad input' })
    const res = await rotate(old.id, old.token, payload)
    expect(res.statusCode).toBe(400)
    expect(res.json().error_description).toContain(field)
    expect((await viewOf(old.token, old.id)).rotatedTo).toBeNull()
    expect(await status(old.token)).toBe(200)
  })

  it('reuse: an already rotated token rotating itself again revokes its whole chain', async () => {
    const a = await tokenFor(ctx, userId, { name: 'chain' })
    const bystander = await tokenFor(ctx, userId, { name: 'unrelated' })
    const b = (await rotate(a.id, a.token, { graceSeconds: 3600 })).json()
    const c = (await rotate(b.id, b.token, { graceSeconds: 3600 })).json()
    for (const token of [a.token, b.token, c.token]) expect(await status(token)).toBe(200)

    const again = await rotate(a.id, a.token, { graceSeconds: 3600 })
    expect(again.statusCode).toBe(409)
    expect(again.json().error_description).toBe(
      `Token '${a.id}' was already rotated into '${b.id}'; rotate that one instead.`,
    )
    for (const token of [a.token, b.token, c.token]) expect(await status(token)).toBe(401)
    expect(await status(bystander.token)).toBe(200)
    const [event] = await reuseEvents()
    expect(event).toMatchObject({
      target: `tokenId=${a.id} chainId=${a.id} owner=pipeline-owner count=3`,
    })
  })

  it('a console session asking to rotate a rotated token is told which one to rotate; nothing is revoked', async () => {
    const a = await tokenFor(ctx, userId, { name: 'console chain' })
    const b = (await rotate(a.id, a.token, { graceSeconds: 3600 })).json()
    const before = (await reuseEvents()).length
    const session = await consoleSession(ctx, 'pipeline-owner')
    const res = await ctx.app.inject({
      method: 'POST',
      url: `/apiops/me/tokens/${a.id}/rotate/`,
      headers: session.headers,
    })
    expect(res.statusCode).toBe(409)
    expect(res.json().error_description).toContain(`rotated into '${b.id}'`)
    expect(await status(a.token)).toBe(200)
    expect(await status(b.token)).toBe(200)
    expect(await reuseEvents()).toHaveLength(before)
  })
})
