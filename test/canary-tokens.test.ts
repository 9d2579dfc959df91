import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AuditEventRow } from '../src/db/schema.ts'
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
 * Canary tokens: they look like any token, grant nothing, answer every use as a revoked
 * token would, and raise an alert with the address, user agent and path each time.
 */

describe.each(dialects())('canary tokens (%s)', (dialect) => {
  let ctx: TestContext
  let admin: string
  let alice: { id: string; token: string }

  beforeAll(async () => {
    ctx = await buildTestApp(dialect)
    admin = (await tokenFor(ctx, (await makeUser(ctx, 'root', ['ROLE_ADMIN'])).id)).token
    const u = await makeUser(ctx, 'alice', ['ROLE_ADMIN'])
    alice = { id: u.id, token: (await tokenFor(ctx, u.id, { name: 'alice real' })).token }
  })
  afterAll(() => ctx.close())

  const call = (method: string, url: string, token: string, payload?: object) =>
    ctx.app.inject({
      method: method as 'GET',
      url,
      headers: bearer(token),
      ...(payload ? { payload } : {}),
    })
  const alerts = async (): Promise<AuditEventRow[]> => {
    await ctx.services.audit.flush()
    return ctx.store.db
      .selectFrom('audit_events')
      .selectAll()
      .where('action', '=', 'token.canaryTriggered')
      .orderBy('at')
      .orderBy('id')
      .execute()
  }
  const plant = async (name: string) => {
    const res = await call('POST', '/apiops/me/canary-tokens/', alice.token, { name })
    expect(res.statusCode, res.body).toBe(201)
    expect(res.headers['cache-control']).toBe('no-store')
    return res.json() as { id: string; token: string; armed: boolean }
  }

  it('looks like any token, is shown once, and is listed apart from real tokens', async () => {
    const canary = await plant('aws-keys-decoy')
    const real = await tokenFor(ctx, alice.id, { name: 'compare' })
    expect(canary.armed).toBe(true)
    // Same header, same shape: nothing in the string tells a canary from a real token.
    expect(canary.token.split('.')[0]).toBe(real.token.split('.')[0])
    expect(canary.token.length).toBe(real.token.length)
    const tokens = (await call('GET', '/apiops/me/tokens/', alice.token)).json().resultList
    expect(tokens.map((t: { id: string }) => t.id)).not.toContain(canary.id)
    const canaries = (await call('GET', '/apiops/me/canary-tokens/', alice.token)).json()
    expect(canaries.resultList).toEqual([
      expect.objectContaining({ id: canary.id, name: 'aws-keys-decoy', armed: true }),
    ])
    expect(JSON.stringify(canaries)).not.toContain(canary.token)
  })

  it('grants nothing: every use answers 401 as a revoked token, and raises an alert each time', async () => {
    const canary = await plant('decoy in repo')
    const before = (await alerts()).length
    for (const url of ['/apiops/me/', '/apiops/users/', '/apiops/projects/?x=1']) {
      const res = await ctx.app.inject({
        url,
        headers: { ...bearer(canary.token), 'user-agent': 'curl/8.5 (attacker)' },
      })
      expect(res.statusCode).toBe(401)
      expect(res.json()).toEqual({
        error: 'invalid_token',
        error_description:
          'The token has been revoked and can no longer be used. Create a new token.',
      })
    }
    const raised = (await alerts()).slice(before)
    expect(raised.map((e) => e.target)).toEqual([
      `tokenId=${canary.id} method=GET path=/apiops/me/ userAgent=curl/8.5 (attacker)`,
      `tokenId=${canary.id} method=GET path=/apiops/users/ userAgent=curl/8.5 (attacker)`,
      `tokenId=${canary.id} method=GET path=/apiops/projects/ userAgent=curl/8.5 (attacker)`,
    ])
    expect(raised[0]).toMatchObject({
      actor_user_id: alice.id,
      outcome: 'failure',
      status: 401,
      client_ip: '127.0.0.1',
      user_agent: 'curl/8.5 (attacker)',
    })
    const [listed] = (await call('GET', '/apiops/me/canary-tokens/', alice.token))
      .json()
      .resultList.filter((c: { id: string }) => c.id === canary.id)
    expect(listed).toMatchObject({ lastTriggeredFrom: '127.0.0.1' })
    expect(listed.lastTriggeredAt).not.toBeNull()
  })

  it('introspected by a resource server, it is inactive and raises the alert too', async () => {
    const canary = await plant('decoy for the gateway')
    const before = (await alerts()).length
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/apiops/auth/introspect',
      headers: { ...bearer(admin), 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ token: canary.token }).toString(),
    })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json()).toEqual({ active: false })
    const raised = (await alerts()).slice(before)
    expect(raised.map((e) => e.target)).toEqual([
      `tokenId=${canary.id} method=POST path=/apiops/auth/introspect userAgent=lightMyRequest`,
    ])
  })

  it('cannot be rotated, revoked or listed as a real token; revoke-all leaves it armed', async () => {
    const canary = await plant('armed forever')
    const session = await consoleSession(ctx, 'alice')
    const rotate = await ctx.app.inject({
      method: 'POST',
      url: `/apiops/me/tokens/${canary.id}/rotate/`,
      headers: session.headers,
    })
    expect(rotate.statusCode).toBe(404)
    expect((await call('DELETE', `/apiops/me/tokens/${canary.id}/`, alice.token)).statusCode).toBe(
      404,
    )
    const all = await call('DELETE', '/apiops/users/alice/tokens/', admin)
    expect(all.statusCode).toBe(200)
    const before = (await alerts()).length
    expect((await call('GET', '/apiops/me/', canary.token)).statusCode).toBe(401)
    expect((await alerts()).length).toBe(before + 1)
  })

  it('disarmed, it is an ordinary revoked token: still refused, no more alerts', async () => {
    const owner = await makeUser(ctx, 'bob')
    const bob = await tokenFor(ctx, owner.id)
    const made = await call('POST', '/apiops/me/canary-tokens/', bob.token, { name: 'bob decoy' })
    const canary = made.json()
    const disarmed = await call('DELETE', `/apiops/me/canary-tokens/${canary.id}/`, bob.token)
    expect(disarmed.statusCode).toBe(200)
    expect(disarmed.json()).toMatchObject({ armed: false })
    const before = (await alerts()).length
    expect((await call('GET', '/apiops/me/', canary.token)).statusCode).toBe(401)
    expect((await alerts()).length).toBe(before)
    // Another user's canary id is as unknown as none.
    const other = await call('DELETE', `/apiops/me/canary-tokens/${canary.id}/`, admin)
    expect(other.statusCode).toBe(404)
  })

  it('an administrator plants, lists and disarms canaries for anyone; others get 403', async () => {
    const made = await call('POST', '/apiops/users/bob/canary-tokens/', admin, { name: 'for bob' })
    expect(made.statusCode, made.body).toBe(201)
    const listed = await call('GET', '/apiops/users/bob/canary-tokens/', admin)
    expect(listed.json().resultList.map((c: { name: string }) => c.name)).toContain('for bob')
    const bobToken = (
      await tokenFor(
        ctx,
        (
          await ctx.store.db
            .selectFrom('users')
            .select('id')
            .where('username', '=', 'bob')
            .executeTakeFirstOrThrow()
        ).id,
      )
    ).token
    const refused = await call('GET', '/apiops/users/bob/canary-tokens/', bobToken)
    expect(refused.statusCode).toBe(403)
    const gone = await call('DELETE', `/apiops/users/bob/canary-tokens/${made.json().id}/`, admin)
    expect(gone.json()).toMatchObject({ armed: false })
    expect((await call('GET', '/apiops/users/nobody/canary-tokens/', admin)).statusCode).toBe(404)
  })

  it('refuses a bad name with 400 naming the field', async () => {
    const fresh = (await tokenFor(ctx, alice.id)).token
    for (const payload of [{}, { name: '' }, { name: 'x'.repeat(101) }, { name: 'a', extra: 1 }]) {
      const res = await call('POST', '/apiops/me/canary-tokens/', fresh, payload)
      expect(res.statusCode).toBe(400)
      expect(res.json().error_description).toMatch(/name|extra/)
    }
  })
})
