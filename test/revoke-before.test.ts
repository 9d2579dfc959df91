import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../src/app.ts'
import { type CliIo, runCli } from '../src/cli/index.ts'
import type { Config } from '../src/config.ts'
import { openRuntime, type Runtime } from '../src/runtime.ts'
import {
  bearer,
  buildTestApp,
  consoleSession,
  dialects,
  makeUser,
  type TestContext,
  testConfig,
  throwawaySchema,
  tokenFor,
  until,
} from './helpers.ts'

/*
 * Revocation by time (POST /apiops/users/{u}/tokens/revoke-before/ and
 * /apiops/tokens/revoke-before/, the CLI), and the X-Apiops-Token-Expires header.
 */

describe.each(dialects())('revoking tokens issued before an instant (%s)', (dialect) => {
  let ctx: TestContext
  let admin: string
  let aliceId: string
  let bobId: string

  const status = async (token: string) =>
    (await ctx.app.inject({ url: '/apiops/me/', headers: bearer(token) })).statusCode
  const post = (url: string, payload: object = {}, token = admin) =>
    ctx.app.inject({ method: 'POST', url, headers: bearer(token), payload })

  beforeAll(async () => {
    ctx = await buildTestApp(dialect)
    admin = (await tokenFor(ctx, (await makeUser(ctx, 'root', ['ROLE_ADMIN'])).id)).token
    aliceId = (await makeUser(ctx, 'alice', ['ROLE_MANAGE_PROXIES'])).id
    bobId = (await makeUser(ctx, 'bob', [])).id
  })
  afterAll(() => ctx.close())

  it("revokes one user's tokens issued before the instant, not later ones nor other users'", async () => {
    const old1 = await tokenFor(ctx, aliceId)
    const old2 = await tokenFor(ctx, aliceId)
    const bobs = await tokenFor(ctx, bobId)
    ctx.clock.advance(60_000)
    const cut = ctx.clock.now().toISOString()
    const fresh = await tokenFor(ctx, aliceId)
    ctx.clock.advance(60_000)
    const res = await post('/apiops/users/alice/tokens/revoke-before/', { before: cut })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json()).toEqual({ status: 'SUCCESS', success: true, revokedCount: 2, before: cut })
    expect(await status(old1.token)).toBe(401)
    expect(await status(old2.token)).toBe(401)
    expect(await status(fresh.token)).toBe(200)
    expect(await status(bobs.token)).toBe(200)
    // Again: nothing left to revoke.
    const again = await post('/apiops/users/alice/tokens/revoke-before/', { before: cut })
    expect(again.json().revokedCount).toBe(0)
    await ctx.services.audit.flush()
    const events = await ctx.store.db
      .selectFrom('audit_events')
      .select(['target', 'actor_username'])
      .where('action', '=', 'token.revokedBefore')
      .execute()
    expect(events).toContainEqual({
      target: `owner=alice before=${cut} count=2`,
      actor_username: 'root',
    })
  })

  it("revokes everyone's tokens issued before now by default, the caller's too", async () => {
    const alices = await tokenFor(ctx, aliceId)
    const bobs = await tokenFor(ctx, bobId)
    const session = await consoleSession(ctx, 'root')
    ctx.clock.advance(1000)
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/apiops/tokens/revoke-before/',
      headers: session.headers,
    })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json().before).toBe(ctx.clock.now().toISOString())
    expect(res.json().revokedCount).toBeGreaterThanOrEqual(3)
    for (const token of [alices.token, bobs.token, admin]) expect(await status(token)).toBe(401)
    // A token made afterwards works.
    admin = (
      await tokenFor(
        ctx,
        (
          await ctx.services.db
            .selectFrom('users')
            .select('id')
            .where('username', '=', 'root')
            .executeTakeFirstOrThrow()
        ).id,
      )
    ).token
    expect(await status(admin)).toBe(200)
  })

  it('refuses a malformed or future instant (400 naming before), an unknown user (404), a non-admin (403)', async () => {
    for (const before of ['yesterday', '2026-01-15', '2026-01-15T10:00:00']) {
      const res = await post('/apiops/tokens/revoke-before/', { before })
      expect(res.statusCode, before).toBe(400)
      expect(res.json().error_description).toContain('before must be an ISO 8601 date-time')
    }
    const future = await post('/apiops/tokens/revoke-before/', { before: '2099-01-01T00:00:00Z' })
    expect(future.statusCode).toBe(400)
    expect(future.json().error_description).toContain('before must not be in the future')
    const extra = await post('/apiops/tokens/revoke-before/', { after: '2026-01-01T00:00:00Z' })
    expect(extra.statusCode).toBe(400)
    const ghost = await post('/apiops/users/ghost/tokens/revoke-before/')
    expect(ghost.statusCode).toBe(404)
    const alice = await tokenFor(ctx, aliceId)
    const denied = await post('/apiops/tokens/revoke-before/', {}, alice.token)
    expect(denied.statusCode).toBe(403)
    expect(await status(alice.token)).toBe(200)
  })
})

describe.each(dialects())('the X-Apiops-Token-Expires header (%s)', (dialect) => {
  let ctx: TestContext
  let userId: string

  beforeAll(async () => {
    ctx = await buildTestApp(dialect)
    userId = (await makeUser(ctx, 'alice', [])).id
  })
  afterAll(() => ctx.close())

  it('says never, or the instant, on every answer to a token, refusals after authentication included', async () => {
    const forever = await tokenFor(ctx, userId)
    const dated = await tokenFor(ctx, userId, { expiresAt: new Date('2026-12-15T00:00:00Z') })
    for (let i = 0; i < 2; i++) {
      // The second time from the cache: the same value.
      const a = await ctx.app.inject({ url: '/apiops/me/', headers: bearer(forever.token) })
      expect(a.headers['x-apiops-token-expires']).toBe('never')
      const b = await ctx.app.inject({ url: '/apiops/me/', headers: bearer(dated.token) })
      expect(b.headers['x-apiops-token-expires']).toBe('2026-12-15T00:00:00.000Z')
    }
    const forbidden = await ctx.app.inject({ url: '/apiops/users/', headers: bearer(dated.token) })
    expect(forbidden.statusCode).toBe(403)
    expect(forbidden.headers['x-apiops-token-expires']).toBe('2026-12-15T00:00:00.000Z')
    const missing = await ctx.app.inject({
      url: '/apiops/projects/nope/',
      headers: bearer(dated.token),
    })
    expect(missing.statusCode).toBe(404)
    expect(missing.headers['x-apiops-token-expires']).toBe('2026-12-15T00:00:00.000Z')
  })

  it('is absent for console sessions, refused tokens and open routes', async () => {
    const session = await consoleSession(ctx, 'alice')
    const viaSession = await ctx.app.inject({ url: '/apiops/me/', headers: session.headers })
    expect(viaSession.statusCode).toBe(200)
    expect(viaSession.headers).not.toHaveProperty('x-apiops-token-expires')
    const refused = await ctx.app.inject({ url: '/apiops/me/', headers: bearer('nope') })
    expect(refused.statusCode).toBe(401)
    expect(refused.headers).not.toHaveProperty('x-apiops-token-expires')
    const open = await ctx.app.inject({ url: '/apiops/test/healthcheck' })
    expect(open.headers).not.toHaveProperty('x-apiops-token-expires')
  })
})

describe.each(dialects())('apiops token revoke-before (%s), beside a running server', (dialect) => {
  let config: Config
  let dir: string
  let schema: Awaited<ReturnType<typeof throwawaySchema>> | undefined
  let server: Runtime
  let app: Awaited<ReturnType<typeof buildApp>>

  const cli = async (args: string[]) => {
    let out = ''
    let err = ''
    const io: CliIo = { out: (t) => (out += t), err: (t) => (err += t), readStdin: async () => '' }
    const code = await runCli(args, () => config, io)
    return { code, out, err }
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'apiops-revoke-before-'))
    const env: Record<string, string> = { APIOPS_DATA_DIR: dir }
    if (dialect === 'postgres') {
      schema = await throwawaySchema('rb')
      env.DATABASE_URL = schema.url
    }
    config = testConfig(env)
    server = await openRuntime(config, { warn: () => {}, info: () => {} })
    app = await buildApp(server)
  })
  afterAll(async () => {
    await app.close()
    await server.close()
    rmSync(dir, { recursive: true, force: true })
    await schema?.drop()
  })

  it("revokes one user's, then everyone's tokens, and the running server refuses them", async () => {
    const ctx = { app, services: app.services } as unknown as TestContext
    const alice = await tokenFor(ctx, (await makeUser(ctx, 'alice', [])).id)
    const bob = await tokenFor(ctx, (await makeUser(ctx, 'bob', [])).id)
    const status = async (token: string) =>
      (await app.inject({ url: '/apiops/me/', headers: bearer(token) })).statusCode
    expect(await status(alice.token)).toBe(200)
    expect(await status(bob.token)).toBe(200)
    await new Promise((r) => setTimeout(r, 5)) // created_at is in ms: "before now" must be later
    const one = await cli(['token', 'revoke-before', '--user', 'alice'])
    expect(one.code, one.err).toBe(0)
    expect(one.out).toMatch(/^revoked 1 token\(s\) of alice issued before \d{4}-.*Z\n$/)
    await until('the server refuses alice', async () => (await status(alice.token)) === 401)
    expect(await status(bob.token)).toBe(200)
    const all = await cli([
      '--json',
      'token',
      'revoke-before',
      '--before',
      new Date().toISOString(),
    ])
    expect(all.code, all.err).toBe(0)
    expect(JSON.parse(all.out)).toMatchObject({ username: null, revokedCount: 1 })
    await until('the server refuses bob', async () => (await status(bob.token)) === 401)
    const bad = await cli(['token', 'revoke-before', '--before', 'soon'])
    expect(bad.code).toBe(1)
    expect(bad.err).toContain('before must be an ISO 8601 date-time')
  })
})
