import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { errors } from '../src/errors.ts'
import { resetPassword } from '../src/identity/credentials/password-change.service.ts'
import { setEnabled } from '../src/identity/users/users.service.ts'
import {
  bearer,
  buildTestApp,
  dialects,
  makeUser,
  PASSWORD,
  type TestContext,
  tokenFor,
} from './helpers.ts'

interface Session {
  cookie: string
  csrf: string
}

describe.each(dialects())('console sessions and CSRF (%s)', (dialect) => {
  let ctx: TestContext
  let consoleDir: string

  beforeAll(async () => {
    consoleDir = mkdtempSync(join(tmpdir(), 'apiops-console-'))
    writeFileSync(
      join(consoleDir, 'index.html'),
      '<!doctype html><title>apiops</title><div id="root"></div>',
    )
    ctx = await buildTestApp(dialect, { consoleDir, env: { APIOPS_TRUST_PROXY: '127.0.0.1' } })
    await makeUser(ctx, 'alice', ['ROLE_MANAGE_PROXIES'])
  })
  afterAll(async () => {
    await ctx.close()
    rmSync(consoleDir, { recursive: true, force: true })
  })

  async function login(
    username = 'alice',
    password = PASSWORD,
    headers: Record<string, string> = {},
  ) {
    return ctx.app.inject({
      method: 'POST',
      url: '/apiops/session/',
      payload: { username, password },
      headers,
    })
  }
  async function session(username = 'alice', password = PASSWORD): Promise<Session> {
    const res = await login(username, password)
    expect(res.statusCode).toBe(200)
    const cookie = res.cookies.find((c) => c.name === 'apiops_session')
    return { cookie: `apiops_session=${cookie?.value}`, csrf: res.json().csrfToken }
  }
  const asSession = (
    s: Session,
    method: string,
    url: string,
    payload?: unknown,
    extra: Record<string, string> = {},
  ) =>
    ctx.app.inject({
      method: method as 'GET',
      url,
      headers: { cookie: s.cookie, ...extra },
      ...(payload ? { payload } : {}),
    })
  const countTokens = async () =>
    Number(
      (
        await ctx.store.db
          .selectFrom('api_tokens')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    )

  it('logs in with a new random session id in an HttpOnly, SameSite=Strict cookie', async () => {
    const res = await login()
    expect(res.statusCode).toBe(200)
    expect(res.headers['cache-control']).toBe('no-store')
    const body = res.json()
    expect(body).toMatchObject({ username: 'alice', roles: ['ROLE_MANAGE_PROXIES'] })
    expect(body.csrfToken).toMatch(/^[\w-]{43}$/)
    expect(JSON.stringify(body)).not.toContain(PASSWORD)
    const cookie = res.cookies.find((c) => c.name === 'apiops_session')
    expect(cookie).toMatchObject({
      httpOnly: true,
      sameSite: 'Strict',
      path: '/',
      maxAge: 12 * 3600,
    })
    expect(cookie?.secure).toBeFalsy()
    expect(cookie?.value).toMatch(/^[\w-]{43}$/) // 256 random bits
    const again = await login()
    expect(again.cookies[0]?.value).not.toBe(cookie?.value)
    // Only a hash of the cookie is stored.
    const ids = await ctx.store.db.selectFrom('sessions').select('id').execute()
    expect(ids.map((r) => r.id)).not.toContain(cookie?.value)
  })

  it('marks the cookie Secure behind TLS (a trusted proxy saying https)', async () => {
    const res = await login('alice', PASSWORD, { 'x-forwarded-proto': 'https' })
    expect(res.cookies[0]?.secure).toBe(true)
    expect(res.cookies.find((c) => c.name === 'apiops_device')?.secure).toBe(true)
  })

  it('answers a wrong password with the one generic message and no cookie', async () => {
    for (const [u, p] of [
      ['alice', 'wrong password'],
      ['nobody', PASSWORD],
    ]) {
      const res = await login(u, p)
      expect(res.statusCode).toBe(401)
      expect(res.json()).toEqual({
        error: 'unauthorized_client',
        error_description: 'Bad credentials',
      })
      expect(res.headers['set-cookie']).toBeUndefined()
    }
  })

  it('replaces the session the browser had before at login (no fixation)', async () => {
    const first = await session()
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/apiops/session/',
      payload: { username: 'alice', password: PASSWORD },
      headers: { cookie: first.cookie },
    })
    expect(res.statusCode).toBe(200)
    expect((await asSession(first, 'GET', '/apiops/me/')).statusCode).toBe(401)
  })

  it('authenticates API calls with the cookie and gives the CSRF token back after a reload', async () => {
    const s = await session()
    const me = await asSession(s, 'GET', '/apiops/me/')
    expect(me.json()).toMatchObject({
      username: 'alice',
      authenticatedWith: 'session',
      token: null,
    })
    const again = await asSession(s, 'GET', '/apiops/session/')
    expect(again.json().csrfToken).toBe(s.csrf)
  })

  it('creates a token from a session with the CSRF token: shown once, no-store, source console', async () => {
    const s = await session()
    const res = await asSession(
      s,
      'POST',
      '/apiops/me/tokens/',
      { name: 'My laptop', expiresAt: null },
      { 'x-csrf-token': s.csrf },
    )
    expect(res.statusCode).toBe(201)
    expect(res.headers['cache-control']).toBe('no-store')
    const created = res.json()
    expect(created).toMatchObject({
      name: 'My laptop',
      source: 'console',
      expiresAt: null,
      status: 'active',
    })
    expect(
      (await ctx.app.inject({ url: '/apiops/test/hello/x', headers: bearer(created.token) })).body,
    ).toBe('Hello x')
    const list = await asSession(s, 'GET', '/apiops/me/tokens/')
    expect(list.body).not.toContain(created.token)
  })

  it('takes a calendar date as valid through that day (UTC), and refuses past or malformed dates', async () => {
    const s = await session()
    const post = (expiresAt: unknown) =>
      asSession(
        s,
        'POST',
        '/apiops/me/tokens/',
        { name: 'dated', expiresAt },
        { 'x-csrf-token': s.csrf },
      )
    const ok = await post('2026-03-31')
    expect(ok.json().expiresAt).toBe('2026-04-01T00:00:00.000Z')
    for (const [value, message] of [
      ['2026-01-14', /in the future/],
      ['2026-02-30', /date/],
      ['tomorrow', /date/],
      ['2026-03-31T10:00:00', /time zone/],
      [12345, /string|null/],
    ] as const) {
      const res = await post(value)
      expect(res.statusCode, String(value)).toBe(400)
      expect(res.json().error).toBe('validation_failed')
      expect(res.json().validation_errors[0].field).toBe('expiresAt')
      expect(JSON.stringify(res.json().validation_errors)).toMatch(message)
    }
  })

  it('refuses a change without the CSRF token, or with a wrong one, and changes nothing', async () => {
    const s = await session()
    const other = await session()
    const before = await countTokens()
    for (const headers of [
      {},
      { 'x-csrf-token': 'x'.repeat(43) },
      { 'x-csrf-token': other.csrf },
    ] as Record<string, string>[]) {
      const res = await asSession(
        s,
        'POST',
        '/apiops/me/tokens/',
        { name: 'csrf', expiresAt: null },
        headers,
      )
      expect(res.statusCode).toBe(403)
      expect(res.json()).toEqual({
        error: 'forbidden',
        error_description: (headers['x-csrf-token'] ? errors.csrfWrong() : errors.csrfMissing())
          .description,
      })
    }
    expect(await countTokens()).toBe(before)
  })

  it('refuses a change from a foreign origin even with the right CSRF token, and changes nothing', async () => {
    const s = await session()
    const before = await countTokens()
    for (const headers of [
      { origin: 'https://evil.example', 'x-csrf-token': s.csrf },
      { origin: 'null', 'x-csrf-token': s.csrf },
      { 'sec-fetch-site': 'cross-site', 'x-csrf-token': s.csrf },
      { 'sec-fetch-site': 'same-site', 'x-csrf-token': s.csrf },
    ] as Record<string, string>[]) {
      const res = await asSession(
        s,
        'POST',
        '/apiops/me/tokens/',
        { name: 'evil', expiresAt: null },
        headers,
      )
      expect(res.statusCode).toBe(403)
      expect(res.json().error_description).toBe(errors.crossOrigin().description)
    }
    expect(await countTokens()).toBe(before)
    const same = await asSession(
      s,
      'POST',
      '/apiops/me/tokens/',
      { name: 'ok', expiresAt: null },
      {
        origin: 'http://localhost:80',
        host: 'localhost:80',
        'sec-fetch-site': 'same-origin',
        'x-csrf-token': s.csrf,
      },
    )
    expect(same.statusCode).toBe(201)
  })

  it('logs out: the old cookie no longer works, and logging out needs the CSRF token too', async () => {
    const s = await session()
    expect((await asSession(s, 'DELETE', '/apiops/session/')).statusCode).toBe(403)
    const res = await asSession(s, 'DELETE', '/apiops/session/', undefined, {
      'x-csrf-token': s.csrf,
    })
    expect(res.statusCode).toBe(200)
    expect(res.headers['set-cookie']).toMatch(/apiops_session=;.*Expires=Thu, 01 Jan 1970/)
    const after = await asSession(s, 'GET', '/apiops/me/')
    expect(after.statusCode).toBe(401)
    expect(after.json().error_description).toBe(errors.sessionInvalid().description)
  })

  it('ends a session after 30 idle minutes', async () => {
    const s = await session()
    ctx.clock.advance(29 * 60_000)
    expect((await asSession(s, 'GET', '/apiops/me/')).statusCode).toBe(200)
    ctx.clock.advance(29 * 60_000)
    expect((await asSession(s, 'GET', '/apiops/me/')).statusCode).toBe(200)
    ctx.clock.advance(30 * 60_000)
    expect((await asSession(s, 'GET', '/apiops/me/')).statusCode).toBe(401)
  })

  it('ends a session after 12 hours however active it is', async () => {
    const s = await session()
    for (let minutes = 20; minutes < 12 * 60; minutes += 20) {
      ctx.clock.advance(20 * 60_000)
      expect((await asSession(s, 'GET', '/apiops/me/')).statusCode, `${minutes} min`).toBe(200)
    }
    ctx.clock.advance(20 * 60_000)
    expect((await asSession(s, 'GET', '/apiops/me/')).statusCode).toBe(401)
  })

  it('ends sessions when the user is disabled or their password is reset', async () => {
    await makeUser(ctx, 'carol')
    const s = await session('carol')
    await setEnabled(ctx.services, 'carol', false)
    expect((await asSession(s, 'GET', '/apiops/me/')).statusCode).toBe(401)
    await setEnabled(ctx.services, 'carol', true)
    const t = await session('carol')
    await resetPassword(ctx.services, 'carol', 'brand new password', { revokeTokens: true })
    expect((await asSession(t, 'GET', '/apiops/me/')).statusCode).toBe(401)
  })

  it('keeps the session endpoint to sessions: a token gets 403', async () => {
    const user = await makeUser(ctx, 'dave')
    const { token } = await tokenFor(ctx, user.id)
    const res = await ctx.app.inject({ url: '/apiops/session/', headers: bearer(token) })
    expect(res.statusCode).toBe(403)
    expect(res.json().error_description).toBe(errors.notASession().description)
    expect((await ctx.app.inject({ url: '/apiops/session/' })).statusCode).toBe(401)
  })

  it('prefers an Authorization header over the cookie, and never mixes them', async () => {
    const s = await session()
    const res = await ctx.app.inject({
      url: '/apiops/me/',
      headers: { cookie: s.cookie, authorization: 'Bearer nope' },
    })
    expect(res.statusCode).toBe(401)
    expect(res.headers['www-authenticate']).toMatch(/^Bearer/)
  })

  describe('the console page', () => {
    it('is served at / and at client-side routes, with a strict CSP and no framing', async () => {
      for (const url of ['/', '/profile', '/admin/users']) {
        const res = await ctx.app.inject({ url, headers: { accept: 'text/html' } })
        expect(res.statusCode, url).toBe(200)
        expect(res.headers['cache-control'], url).toBe('no-cache')
        expect(res.body).toContain('<div id="root">')
        const csp = res.headers['content-security-policy'] as string
        expect(csp).toContain("default-src 'self'")
        expect(csp).toContain("script-src 'self'")
        expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/)
        expect(csp).toContain("frame-ancestors 'none'")
        expect(res.headers['x-frame-options']).toBe('DENY')
        expect(res.headers['x-content-type-options']).toBe('nosniff')
        expect(res.headers['referrer-policy']).toBe('no-referrer')
      }
    })

    it('does not turn unknown API paths or non-HTML requests into the page', async () => {
      expect(
        (await ctx.app.inject({ url: '/nope.js', headers: { accept: '*/*' } })).statusCode,
      ).toBe(404)
      const api = await ctx.app.inject({ url: '/apiops/nope', headers: { accept: 'text/html' } })
      expect(api.statusCode).toBe(401)
    })
  })
})

describe('a server without a built console', () => {
  it('says how to build it instead of serving nothing', async () => {
    const ctx = await buildTestApp('sqlite', { consoleDir: '/nonexistent' })
    try {
      const res = await ctx.app.inject({ url: '/', headers: { accept: 'text/html' } })
      expect(res.statusCode).toBe(503)
      expect(res.body).toMatch(/npm run build`/)
    } finally {
      await ctx.close()
    }
  })
})
