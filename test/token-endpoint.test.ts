import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { setEnabled } from '../src/identity/users/users.service.ts'
import {
  bearer,
  buildTestApp,
  dialects,
  form,
  makeUser,
  PASSWORD,
  type TestContext,
} from './helpers.ts'

const TOKEN_URL = '/apiops/auth/token'
const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`

describe.each(dialects())('POST /apiops/auth/token (%s)', (dialect) => {
  let ctx: TestContext
  beforeAll(async () => {
    // The endpoint itself, with its brute-force limits out of the way (the timing test
    // below fails many times in a row); throttle.test.ts tests the limits.
    ctx = await buildTestApp(dialect, {
      env: { APIOPS_LOGIN_MAX_FAILURES: '1000', APIOPS_LOGIN_IP_MAX_FAILURES: '1000' },
    })
    await makeUser(ctx, 'alice', ['ROLE_MANAGE_PROXIES'])
    await makeUser(ctx, 'carol')
    await setEnabled(ctx.services, 'carol', false)
  })
  afterAll(() => ctx.close())

  const post = (fields: Record<string, string>, headers: Record<string, string> = {}) => {
    const f = form(fields)
    return ctx.app.inject({
      method: 'POST',
      url: TOKEN_URL,
      headers: { ...f.headers, ...headers },
      payload: f.payload,
    })
  }

  it("answers the seed's success shape with no-store headers, and the token works", async () => {
    const res = await post({
      grant_type: 'client_credentials',
      client_id: 'alice',
      client_secret: PASSWORD,
    })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toMatch(/^application\/json/)
    expect(res.headers['cache-control']).toBe('no-store')
    expect(res.headers.pragma).toBe('no-cache')
    const body = res.json()
    expect(Object.keys(body).sort()).toEqual(['access_token', 'expires_in', 'token_type'])
    expect(body.token_type).toBe('Bearer')
    expect(body.expires_in).toBe(3600)
    // The seed's example token begins like this: HS256, typ JWT (ours adds a kid).
    expect(body.access_token).toMatch(
      /^eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6I[\w-]+\.[\w-]+\.[\w-]{43}$/,
    )
    const header = JSON.parse(Buffer.from(body.access_token.split('.')[0], 'base64url').toString())
    expect(header).toEqual({ alg: 'HS256', typ: 'JWT', kid: ctx.keys.current.kid })

    const hello = await ctx.app.inject({
      url: '/apiops/test/hello/John',
      headers: bearer(body.access_token),
    })
    expect(hello.statusCode).toBe(200)
    expect(hello.body).toBe('Hello John')
  })

  it('mints a token that expires after the configured lifetime', async () => {
    const res = await post({
      grant_type: 'client_credentials',
      client_id: 'alice',
      client_secret: PASSWORD,
    })
    const token = res.json().access_token
    ctx.clock.advance(3599_000)
    expect(
      (await ctx.app.inject({ url: '/apiops/test/hello/x', headers: bearer(token) })).statusCode,
    ).toBe(200)
    ctx.clock.advance(1_000)
    const expired = await ctx.app.inject({ url: '/apiops/test/hello/x', headers: bearer(token) })
    expect(expired.statusCode).toBe(401)
    expect(expired.json().error).toBe('token_expired')
  })

  it("lists the minted token in the owner's short-lived tokens, named after how it was made, and it can be revoked", async () => {
    const token = (
      await post({ grant_type: 'client_credentials', client_id: 'alice', client_secret: PASSWORD })
    ).json().access_token
    const list = await ctx.app.inject({
      url: '/apiops/me/tokens/?source=api',
      headers: bearer(token),
    })
    const mine = list
      .json()
      .resultList.find((t: { lastUsedAt: string | null; source: string }) => t.source === 'api')
    expect(mine.name).toBe(
      `Token endpoint ${ctx.clock.now().toISOString().slice(0, 19).replace('T', ' ')} UTC ${mine.id.slice(0, 8)}`,
    )
    expect(JSON.stringify(list.json())).not.toContain(token)
    const me = (await ctx.app.inject({ url: '/apiops/me/', headers: bearer(token) })).json()
    const revoked = await ctx.app.inject({
      method: 'DELETE',
      url: `/apiops/me/tokens/${me.token.id}/`,
      headers: bearer(token),
    })
    expect(revoked.statusCode).toBe(200)
    expect(revoked.json().status).toBe('revoked')
    const after = await ctx.app.inject({ url: '/apiops/test/hello/x', headers: bearer(token) })
    expect(after.statusCode).toBe(401)
    expect(after.json().error_description).toMatch(/revoked/)
  })

  it('accepts the credentials as HTTP Basic (RFC 6749 §2.3.1 form-encoding)', async () => {
    await makeUser(ctx, 'dan.o@x', [], 'p@ss word:+&=')
    const res = await post(
      { grant_type: 'client_credentials' },
      { authorization: basic('dan.o@x', 'p@ss word:+&=') },
    )
    expect(res.statusCode).toBe(200)
    expect(res.json().token_type).toBe('Bearer')
  })

  it("rejects any other grant type with the seed's description", async () => {
    for (const grant of [
      'password',
      'authorization_code',
      'CLIENT_CREDENTIALS',
      'client_credentials ',
    ]) {
      const res = await post({ grant_type: grant, client_id: 'alice', client_secret: PASSWORD })
      expect(res.statusCode).toBe(400)
      expect(res.json()).toEqual({
        error: 'unsupported_grant_type',
        error_description: 'GrantType value must be client_credentials!',
      })
    }
  })

  it.each([
    ['grant_type missing', { client_id: 'alice', client_secret: PASSWORD }, /grant_type/],
    [
      'client_id missing',
      { grant_type: 'client_credentials', client_secret: PASSWORD },
      /client_id/,
    ],
    [
      'client_secret missing',
      { grant_type: 'client_credentials', client_id: 'alice' },
      /client_secret/,
    ],
    ['everything missing', {}, /grant_type/],
  ])('answers 400 invalid_request when %s', async (_name, fields, description) => {
    const res = await post(fields)
    expect(res.statusCode).toBe(400)
    expect(res.json().error).toBe('invalid_request')
    expect(res.json().error_description).toMatch(description)
  })

  it('answers 400 invalid_request for a repeated parameter', async () => {
    for (const payload of [
      `grant_type=client_credentials&client_id=alice&client_id=alice&client_secret=${encodeURIComponent(PASSWORD)}`,
      `grant_type=client_credentials&grant_type=client_credentials&client_id=alice&client_secret=x`,
    ]) {
      const res = await ctx.app.inject({
        method: 'POST',
        url: TOKEN_URL,
        headers: form({}).headers,
        payload,
      })
      expect(res.statusCode).toBe(400)
      expect(res.json().error).toBe('invalid_request')
      expect(res.json().error_description).toMatch(/repeated/)
    }
  })

  it('answers 400 invalid_request when credentials come both as Basic and in the body', async () => {
    const res = await post(
      { grant_type: 'client_credentials', client_id: 'alice', client_secret: PASSWORD },
      { authorization: basic('alice', PASSWORD) },
    )
    expect(res.statusCode).toBe(400)
    expect(res.json().error).toBe('invalid_request')
    expect(res.json().error_description).toMatch(/both/)
  })

  it('answers 400 invalid_request for a JSON body, saying the endpoint takes form fields', async () => {
    for (const payload of [
      JSON.stringify({
        grant_type: 'client_credentials',
        client_id: 'alice',
        client_secret: PASSWORD,
      }),
      '{not json',
    ]) {
      const res = await ctx.app.inject({
        method: 'POST',
        url: TOKEN_URL,
        headers: { 'content-type': 'application/json' },
        payload,
      })
      expect(res.statusCode).toBe(400)
      expect(res.json().error).toBe('invalid_request')
      expect(res.json().error_description).toMatch(/form fields, not JSON/)
    }
  })

  it('answers 415 for other media types and 413 for a body over 8 KiB', async () => {
    const text = await ctx.app.inject({
      method: 'POST',
      url: TOKEN_URL,
      headers: { 'content-type': 'text/plain' },
      payload: 'grant_type=client_credentials',
    })
    expect(text.statusCode).toBe(415)
    expect(text.json().error).toBe('unsupported_media_type')
    const big = await post({
      grant_type: 'client_credentials',
      client_id: 'alice',
      client_secret: 'x'.repeat(9000),
    })
    expect(big.statusCode).toBe(413)
    expect(big.json().error).toBe('payload_too_large')
  })

  it('answers the identical 401 for an unknown user, a wrong password and a disabled user', async () => {
    const cases = [
      { client_id: 'nobody', client_secret: PASSWORD },
      { client_id: 'alice', client_secret: 'wrong password' },
      { client_id: 'carol', client_secret: PASSWORD },
      { client_id: 'ALICE', client_secret: PASSWORD }, // usernames are case-sensitive
      { client_id: 'has space', client_secret: PASSWORD },
    ]
    const answers = []
    for (const c of cases) {
      const res = await post({ grant_type: 'client_credentials', ...c })
      answers.push({ status: res.statusCode, body: res.body, type: res.headers['content-type'] })
    }
    for (const a of answers) {
      expect(a).toEqual({
        status: 401,
        body: JSON.stringify({
          error: 'unauthorized_client',
          error_description: 'Bad credentials',
        }),
        type: answers[0]?.type,
      })
    }
  })

  it('spends the same argon2 work on an unknown user as on a wrong password', async () => {
    const once = async (client_id: string) => {
      const start = performance.now()
      const res = await post({
        grant_type: 'client_credentials',
        client_id,
        client_secret: 'wrong password',
      })
      expect(res.statusCode).toBe(401)
      return performance.now() - start
    }
    await once('nobody') // warms the dummy hash
    // Interleaved, so a noisy neighbour slows both series alike; medians of nine.
    const unknown: number[] = []
    const known: number[] = []
    for (let i = 0; i < 9; i++) {
      unknown.push(await once('nobody'))
      known.push(await once('alice'))
    }
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[4] as number
    // Both pay a full argon2id verify (tens of ms); without the dummy verify an unknown
    // user would answer in well under a millisecond.
    expect(median(unknown)).toBeGreaterThan(median(known) * 0.5)
    expect(median(unknown)).toBeLessThan(median(known) * 3)
  })

  it('needs no Bearer token itself, and ignores none sent to it as a credential', async () => {
    const res = await post(
      { grant_type: 'client_credentials', client_id: 'alice', client_secret: PASSWORD },
      { authorization: 'Bearer abc' },
    )
    expect(res.statusCode).toBe(400)
    expect(res.json().error).toBe('invalid_request')
  })
})
