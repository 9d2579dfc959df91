import { type AddressInfo, connect } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../src/app.ts'
import { ConfigError } from '../src/config.ts'
import { MAX_HEADER_BYTES } from '../src/identity/throttling/limits.ts'
import {
  addressKey,
  type LockRule,
  lockMs,
  usernameKey,
} from '../src/identity/throttling/throttle.ts'
import { estimate, waitMs } from '../src/identity/throttling/token-rate-limit.ts'
import {
  bearer,
  buildTestApp,
  dialects,
  FrozenClock,
  form,
  makeUser,
  PASSWORD,
  redisUrl,
  type TestContext,
  testConfig,
  tokenFor,
} from './helpers.ts'
import {
  consoleLogin,
  expectBadCredentials,
  expectLocked,
  forgetRedisPrefixes,
  type Injector,
  type Res,
  redisEnv,
  STORES,
  TOKEN_URL,
  tokenLogin,
  WRONG,
} from './login-helpers.ts'
import { Relay } from './relay.ts'

/**
 * Brute force and abuse: failed-login lockouts shared by the token endpoint and the
 * console login (in the database, or in Redis), client addresses and proxies, the
 * per-token request rate limit, the request-head limit, and a Redis outage.
 */

afterAll(forgetRedisPrefixes)

/** A second node: another app over the same database (and the same Redis, if any). */
async function secondNode(ctx: TestContext, clock = ctx.clock) {
  return buildApp({
    config: ctx.config,
    store: ctx.store,
    clock,
    events: ctx.events,
    keys: ctx.keys,
    consoleDir: '/nonexistent',
  })
}

let addressCounter = 0
/** A client address no other test uses, so tests do not share address counts. */
const freshAddress = () => `203.0.113.${++addressCounter}`

describe.each(STORES)('failed-login throttle ($name)', (store) => {
  let ctx: TestContext
  beforeAll(async () => {
    ctx = await buildTestApp(store.dialect, { env: store.env() })
    for (const name of ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi']) {
      await makeUser(ctx, name)
    }
  })
  afterAll(() => ctx.close())

  it('answers 401 to five failures, then 429 with retry_after and Retry-After', async () => {
    const ip = freshAddress()
    for (let i = 0; i < 5; i++) expectBadCredentials(await tokenLogin(ctx.app, 'alice', WRONG, ip))
    const locked = await tokenLogin(ctx.app, 'alice', WRONG, ip)
    expect(expectLocked(locked)).toBe(1)
    expect(locked.json().error_description).toBe(
      'Too many failed login attempts. Retry after 1 second.',
    )
    // From anywhere: the username itself is locked.
    expectLocked(await tokenLogin(ctx.app, 'alice', WRONG, freshAddress()))
    // Other users are not.
    expect((await tokenLogin(ctx.app, 'bob', PASSWORD, ip)).statusCode).toBe(200)
  })

  it('doubles the lockout with each further failure, up to 15 minutes', async () => {
    const ip = freshAddress()
    for (let i = 0; i < 5; i++) await tokenLogin(ctx.app, 'carol', WRONG, ip)
    const seen: number[] = []
    for (let round = 0; round < 13; round++) {
      // Knocking during the lock counts against the knocking address (here one of its
      // own each round, kept under its threshold), never for the username: its lock
      // does not grow.
      const knocker = freshAddress()
      const wait = expectLocked(await tokenLogin(ctx.app, 'carol', WRONG, knocker))
      seen.push(wait)
      ctx.clock.advance(wait * 1000 - 1)
      expect(expectLocked(await tokenLogin(ctx.app, 'carol', WRONG, knocker))).toBe(1)
      ctx.clock.advance(1)
      expectBadCredentials(await tokenLogin(ctx.app, 'carol', WRONG, ip))
    }
    expect(seen).toEqual([1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900, 900])
  })

  it('answers a correct password during the lockout exactly as a wrong one (no oracle)', async () => {
    const ip = freshAddress()
    for (let i = 0; i < 5; i++) await tokenLogin(ctx.app, 'dave', WRONG, ip)
    const wrong = await tokenLogin(ctx.app, 'dave', WRONG, ip)
    const right = await tokenLogin(ctx.app, 'dave', PASSWORD, ip)
    expectLocked(right)
    expect(right.body).toBe(wrong.body)
    expect(right.headers['retry-after']).toBe(wrong.headers['retry-after'])
    const viaConsole = await consoleLogin(ctx.app, 'dave', PASSWORD, ip)
    expectLocked(viaConsole)
    expect(viaConsole.headers['set-cookie']).toBeUndefined()

    // After the lock, the right password works, and the success clears the count:
    // five more failures are needed for the next lockout, which starts at 1 s again
    // (counted from another address: dave's success made this one known for dave).
    ctx.clock.advance(1000)
    expect((await tokenLogin(ctx.app, 'dave', PASSWORD, ip)).statusCode).toBe(200)
    const elsewhere = freshAddress()
    for (let i = 0; i < 5; i++)
      expectBadCredentials(await tokenLogin(ctx.app, 'dave', WRONG, elsewhere))
    expect(expectLocked(await tokenLogin(ctx.app, 'dave', PASSWORD, elsewhere))).toBe(1)
    ctx.clock.advance(1000)
    expect((await tokenLogin(ctx.app, 'dave', PASSWORD, elsewhere)).statusCode).toBe(200)
  })

  it('shares the count between the token endpoint and the console login', async () => {
    const ip = freshAddress()
    for (let i = 0; i < 3; i++) expectBadCredentials(await tokenLogin(ctx.app, 'erin', WRONG, ip))
    for (let i = 0; i < 2; i++) expectBadCredentials(await consoleLogin(ctx.app, 'erin', WRONG, ip))
    expectLocked(await consoleLogin(ctx.app, 'erin', PASSWORD, ip))
    expectLocked(await tokenLogin(ctx.app, 'erin', PASSWORD, ip))
    ctx.clock.advance(1000)
    // A console login success clears it for the token endpoint too (tried from another
    // address: this one is now known for erin, and judged on its own).
    expect((await consoleLogin(ctx.app, 'erin', PASSWORD, ip)).statusCode).toBe(200)
    const elsewhere = freshAddress()
    for (let i = 0; i < 4; i++)
      expectBadCredentials(await tokenLogin(ctx.app, 'erin', WRONG, elsewhere))
    expect((await tokenLogin(ctx.app, 'erin', PASSWORD, elsewhere)).statusCode).toBe(200)
  })

  it('forgets failures 15 minutes after the last one (or after its lockout)', async () => {
    const ip = freshAddress()
    for (let i = 0; i < 4; i++) await tokenLogin(ctx.app, 'frank', WRONG, ip)
    ctx.clock.advance(15 * 60_000 - 1)
    // Still counted: this is the fifth failure, which locks.
    expectBadCredentials(await tokenLogin(ctx.app, 'frank', WRONG, ip))
    expect(expectLocked(await tokenLogin(ctx.app, 'frank', WRONG, ip))).toBe(1)
    // The window runs from the end of the 1 s lockout.
    ctx.clock.advance(1000 + 15 * 60_000 - 1)
    expectBadCredentials(await tokenLogin(ctx.app, 'frank', WRONG, ip))
    expectLocked(await tokenLogin(ctx.app, 'frank', WRONG, ip))
    ctx.clock.advance(2000 + 15 * 60_000)
    for (let i = 0; i < 4; i++) expectBadCredentials(await tokenLogin(ctx.app, 'frank', WRONG, ip))
    expect((await tokenLogin(ctx.app, 'frank', PASSWORD, ip)).statusCode).toBe(200)
  })

  it('stops a password sprayer by address after 20 failures across usernames', async () => {
    const ip = freshAddress()
    for (let i = 0; i < 20; i++) {
      expectBadCredentials(await tokenLogin(ctx.app, `sprayed${i}`, 'Summer2026!', ip))
    }
    // Refused attempts count against the address too: each one doubles its lock.
    expect(expectLocked(await tokenLogin(ctx.app, 'sprayed99', 'Summer2026!', ip))).toBe(2)
    // Everyone at that address waits, even with the right password (it is not checked)...
    expect(expectLocked(await tokenLogin(ctx.app, 'grace', PASSWORD, ip))).toBe(4)
    expect(expectLocked(await consoleLogin(ctx.app, 'grace', PASSWORD, ip))).toBe(8)
    // ...but not the same users elsewhere: no username got five failures.
    expect((await tokenLogin(ctx.app, 'sprayed0', 'x', freshAddress())).statusCode).toBe(401)
    expect((await tokenLogin(ctx.app, 'grace', PASSWORD, freshAddress())).statusCode).toBe(200)
    // A success elsewhere does not clear the address.
    expect(expectLocked(await tokenLogin(ctx.app, 'grace', PASSWORD, ip))).toBe(16)
    ctx.clock.advance(16_000)
    expect((await tokenLogin(ctx.app, 'grace', PASSWORD, ip)).statusCode).toBe(200)
    // A success does not clear the address either (or a sprayer could log into an
    // account of their own to start over): the next failure locks it for 32 s, and
    // knocking doubles that again.
    expectBadCredentials(await tokenLogin(ctx.app, 'sprayed100', 'x', ip))
    expect(expectLocked(await tokenLogin(ctx.app, 'sprayed101', 'x', ip))).toBe(64)
    // Grace's success made the address known for her: she is judged on her own there.
    expect((await tokenLogin(ctx.app, 'grace', PASSWORD, ip)).statusCode).toBe(200)
  })

  it('counts an IPv6 client per /64, and IPv4-mapped addresses as IPv4', async () => {
    // Twenty addresses of one /64, as one subscriber could use.
    for (let i = 0; i < 20; i++) {
      await tokenLogin(ctx.app, `v6user${i}`, WRONG, `2001:db8:77:0:${(i + 1).toString(16)}::1`)
    }
    expectLocked(await tokenLogin(ctx.app, 'v6other', WRONG, '2001:db8:77::abcd'))
    expectBadCredentials(await tokenLogin(ctx.app, 'v6other', WRONG, '2001:db8:78::1'))

    const v4 = freshAddress()
    for (let i = 0; i < 20; i++) await tokenLogin(ctx.app, `mapped${i}`, WRONG, `::ffff:${v4}`)
    expectLocked(await tokenLogin(ctx.app, 'mapped99', WRONG, v4))
  })

  it('judges a burst of parallel guesses one by one', async () => {
    const ip = freshAddress()
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => tokenLogin(ctx.app, 'heidi', WRONG, ip)),
    )
    const statuses = answers.map((r) => r.statusCode).sort()
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429, 429, 429, 429])
  })

  it('ignores a forged X-Forwarded-For when no proxy is trusted', async () => {
    const ip = freshAddress()
    for (let i = 0; i < 20; i++) {
      const res = await tokenLogin(ctx.app, `forger${i}`, WRONG, ip, {
        'x-forwarded-for': `192.0.2.${i + 1}`,
      })
      expectBadCredentials(res)
    }
    // A new forged address every time changed nothing: the socket's address is locked.
    expectLocked(
      await tokenLogin(ctx.app, 'forger99', WRONG, ip, { 'x-forwarded-for': '192.0.2.200' }),
    )
    expectLocked(await tokenLogin(ctx.app, 'forger99', WRONG, ip))
    // And the addresses it named were not charged.
    expectBadCredentials(await tokenLogin(ctx.app, 'forger98', WRONG, '192.0.2.1'))
  })

  it('shares counts between two nodes over the same store', async () => {
    const other = await secondNode(ctx)
    try {
      const ip = freshAddress()
      for (let i = 0; i < 3; i++) expectBadCredentials(await tokenLogin(ctx.app, 'bob', WRONG, ip))
      for (let i = 0; i < 2; i++) expectBadCredentials(await tokenLogin(other, 'bob', WRONG, ip))
      expectLocked(await tokenLogin(ctx.app, 'bob', PASSWORD, ip))
      expectLocked(await consoleLogin(other, 'bob', PASSWORD, ip))
      ctx.clock.advance(1000)
      // A success on one node clears the count for both (tried from another address:
      // this one is now known for bob, and judged on its own).
      expect((await tokenLogin(other, 'bob', PASSWORD, ip)).statusCode).toBe(200)
      const elsewhere = freshAddress()
      for (let i = 0; i < 4; i++)
        expectBadCredentials(await tokenLogin(ctx.app, 'bob', WRONG, elsewhere))
      expect((await tokenLogin(ctx.app, 'bob', PASSWORD, elsewhere)).statusCode).toBe(200)
      // With Redis configured, Redis holds the counts, not the database.
      const rows = await ctx.store.db.selectFrom('login_attempts').select('key').execute()
      if (store.name === 'redis') expect(rows).toEqual([])
      else expect(rows.length).toBeGreaterThan(0)
    } finally {
      await other.close()
    }
  })

  it('does not count malformed requests, which never reach a password check', async () => {
    const ip = freshAddress()
    for (let i = 0; i < 10; i++) {
      const res = await ctx.app.inject({
        method: 'POST',
        url: TOKEN_URL,
        ...form({ grant_type: 'password', client_id: 'alice', client_secret: WRONG }),
        remoteAddress: ip,
      })
      expect(res.statusCode).toBe(400)
    }
    ctx.clock.advance(60_000) // alice's lockout from the first test is over
    expect((await tokenLogin(ctx.app, 'alice', PASSWORD, ip)).statusCode).toBe(200)
  })
})

describe.each(STORES)('behind a trusted proxy ($name)', (store) => {
  let ctx: TestContext
  beforeAll(async () => {
    ctx = await buildTestApp(store.dialect, {
      env: { ...store.env(), APIOPS_TRUST_PROXY: '127.0.0.1', APIOPS_LOGIN_IP_MAX_FAILURES: '3' },
    })
    await makeUser(ctx, 'alice')
  })
  afterAll(() => ctx.close())

  it("counts the client X-Forwarded-For names, not the proxy's address", async () => {
    const viaProxy = (username: string, client: string, password = WRONG) =>
      tokenLogin(ctx.app, username, password, '127.0.0.1', { 'x-forwarded-for': client })
    for (let i = 0; i < 3; i++) expectBadCredentials(await viaProxy(`p${i}`, '192.0.2.10'))
    expectLocked(await viaProxy('p9', '192.0.2.10'))
    expectLocked(await viaProxy('alice', '192.0.2.10', PASSWORD))
    // Another client behind the same proxy is not locked out.
    expect((await viaProxy('alice', '192.0.2.11', PASSWORD)).statusCode).toBe(200)
    // A client that is not the trusted proxy cannot borrow the header.
    expectBadCredentials(
      await tokenLogin(ctx.app, 'p9', WRONG, '198.51.100.200', { 'x-forwarded-for': '192.0.2.99' }),
    )
    expectBadCredentials(await viaProxy('p9', '192.0.2.99'))
  })
})

describe('the rate-limit store unavailable', () => {
  it('answers 503 on both logins rather than skip the limit, and serves token requests', async () => {
    const ctx = await buildTestApp('sqlite', {
      env: { REDIS_URL: 'redis://127.0.0.1:1', APIOPS_TOKEN_RATE_LIMIT: '100' },
    })
    try {
      const user = await makeUser(ctx, 'alice')
      for (const res of [
        await tokenLogin(ctx.app, 'alice', PASSWORD),
        await tokenLogin(ctx.app, 'alice', WRONG),
        await consoleLogin(ctx.app, 'alice', PASSWORD),
      ]) {
        expect(res.statusCode).toBe(503)
        expect(res.json()).toEqual({
          error: 'service_unavailable',
          error_description: 'The rate-limit store is unavailable right now; please retry shortly.',
        })
        expect(res.headers['retry-after']).toBeDefined()
        expect(res.headers['set-cookie']).toBeUndefined()
      }
      // The per-token limit protects capacity, not secrets: it counts on this node instead.
      const { token } = await tokenFor(ctx, user.id)
      const hello = await ctx.app.inject({ url: '/apiops/test/hello/x', headers: bearer(token) })
      expect(hello.statusCode).toBe(200)
      expect(hello.headers['x-ratelimit-limit']).toBe('100')
    } finally {
      await ctx.close()
    }
  })
})

describe.runIf(redisUrl())('Redis going down and coming back', () => {
  it('answers 503 while Redis is unreachable and recovers by itself, counts intact', async () => {
    const relay = new Relay(redisUrl() as string, 6379)
    await relay.start()
    const ctx = await buildTestApp('sqlite', {
      env: { ...redisEnv(), REDIS_URL: `redis://127.0.0.1:${relay.port}` },
    })
    try {
      await makeUser(ctx, 'alice')
      for (let i = 0; i < 4; i++) expectBadCredentials(await tokenLogin(ctx.app, 'alice', WRONG))
      await relay.cut()
      const down = await tokenLogin(ctx.app, 'alice', PASSWORD)
      expect(down.statusCode).toBe(503)
      expect(down.json().error).toBe('service_unavailable')
      await relay.start()
      let back: Res | undefined
      for (let i = 0; i < 50; i++) {
        back = await tokenLogin(ctx.app, 'alice', WRONG)
        if (back.statusCode !== 503) break
        await new Promise((r) => setTimeout(r, 100))
      }
      // The four failures from before the outage still count: this is the fifth.
      expectBadCredentials(back as Res)
      expectLocked(await tokenLogin(ctx.app, 'alice', PASSWORD))
    } finally {
      await ctx.close()
      await relay.cut()
    }
  })
})

const TOKEN_STORES = [
  { name: 'per node', env: (): Record<string, string> => ({}) },
  ...(redisUrl() ? [{ name: 'redis', env: redisEnv }] : []),
]

describe.each(TOKEN_STORES)('per-token request rate limit ($name)', (store) => {
  let ctx: TestContext
  let env: Record<string, string>
  let userId: string
  beforeAll(async () => {
    env = { ...store.env(), APIOPS_TOKEN_RATE_LIMIT: '5' }
    ctx = await buildTestApp('sqlite', { env })
    userId = (await makeUser(ctx, 'alice')).id
    // Windows are whole minutes: start each test at the top of one.
    ctx.clock.set('2026-01-15T10:00:00.000Z')
  })
  afterAll(() => ctx.close())

  const hello = (app: Injector, token: string) =>
    app.inject({ url: '/apiops/test/hello/x', headers: bearer(token) })

  it('answers 429 with retry_after past the limit, and serves again after the window', async () => {
    ctx.clock.set('2026-01-15T10:00:10.000Z')
    const { token } = await tokenFor(ctx, userId)
    for (let i = 0; i < 5; i++) {
      const res = await hello(ctx.app, token)
      expect(res.statusCode).toBe(200)
      expect(res.headers['x-ratelimit-limit']).toBe('5')
      expect(res.headers['x-ratelimit-remaining']).toBe(String(4 - i))
    }
    const over = await hello(ctx.app, token)
    const wait = expectLocked(over)
    // 50 s to the end of this minute, and a moment into the next one.
    expect(wait).toBe(51)
    expect(over.json().error_description).toBe(
      'This token is limited to 5 requests per minute. Retry after 51 seconds.',
    )
    // Refused requests are not counted, and another token has its own limit.
    const other = await tokenFor(ctx, userId)
    expect((await hello(ctx.app, other.token)).statusCode).toBe(200)
    // Waiting what it says is enough for one more (the window slides)...
    ctx.clock.advance(wait * 1000)
    expect((await hello(ctx.app, token)).statusCode).toBe(200)
    expectLocked(await hello(ctx.app, token))
    // ...and after two full minutes the whole limit is back.
    ctx.clock.advance(120_000)
    for (let i = 0; i < 5; i++) expect((await hello(ctx.app, token)).statusCode).toBe(200)
    expectLocked(await hello(ctx.app, token))
  })

  it('does not let a client send twice the limit across a minute boundary', async () => {
    ctx.clock.set('2026-01-15T11:00:59.000Z')
    const { token } = await tokenFor(ctx, userId)
    for (let i = 0; i < 5; i++) expect((await hello(ctx.app, token)).statusCode).toBe(200)
    // One second into the next minute, last minute's five still weigh 59/60 of five:
    // one more request fits, not five more as with fixed windows.
    ctx.clock.advance(2000)
    expect((await hello(ctx.app, token)).statusCode).toBe(200)
    expectLocked(await hello(ctx.app, token))
  })

  it('limits neither console sessions nor open routes', async () => {
    ctx.clock.set('2026-01-15T12:00:00.000Z')
    const login = await consoleLogin(ctx.app, 'alice', PASSWORD)
    const cookie = `apiops_session=${login.cookies.find((c) => c.name === 'apiops_session')?.value}`
    for (let i = 0; i < 8; i++) {
      const res = await ctx.app.inject({ url: '/apiops/me/', headers: { cookie } })
      expect(res.statusCode).toBe(200)
      expect(res.headers['x-ratelimit-limit']).toBeUndefined()
      expect((await ctx.app.inject({ url: '/apiops/test/healthcheck' })).statusCode).toBe(200)
    }
  })

  const shared = store.name === 'redis'
  it(`${shared ? 'shares' : 'does not share'} one token's count between nodes`, async () => {
    ctx.clock.set('2026-01-15T13:00:00.000Z')
    const other = await secondNode(ctx)
    try {
      const { token } = await tokenFor(ctx, userId)
      for (let i = 0; i < 3; i++) expect((await hello(ctx.app, token)).statusCode).toBe(200)
      for (let i = 0; i < 2; i++) expect((await hello(other, token)).statusCode).toBe(200)
      if (shared) {
        expectLocked(await hello(other, token))
        expectLocked(await hello(ctx.app, token))
      } else {
        // Each node allows the limit on its own: N nodes allow N times it (see docs/security.md).
        for (let i = 0; i < 3; i++) expect((await hello(other, token)).statusCode).toBe(200)
        expectLocked(await hello(other, token))
      }
    } finally {
      await other.close()
    }
  })
})

describe('request-head limit', () => {
  let ctx: TestContext
  let port: number
  beforeAll(async () => {
    ctx = await buildTestApp('sqlite')
    await ctx.app.listen({ port: 0, host: '127.0.0.1' })
    port = (ctx.app.server.address() as AddressInfo).port
  })
  afterAll(() => ctx.close())

  /** A raw HTTP/1.1 request; answers the status line's code (0 if none came back). */
  const get = (headers: Record<string, string>) =>
    new Promise<number>((resolve) => {
      const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`)
      const head = `GET /apiops/test/healthcheck HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n${lines.join('')}\r\n`
      let answer = ''
      const socket = connect(port, '127.0.0.1', () => socket.end(head))
      socket.setEncoding('latin1')
      socket.on('data', (chunk: string) => {
        answer += chunk
      })
      const done = () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0))
      socket.on('close', done)
      socket.on('error', done)
    })

  it(`answers 431 to request headers over ${MAX_HEADER_BYTES / 1024} KiB, and serves smaller`, async () => {
    expect(await get({ 'x-filler': 'a'.repeat(MAX_HEADER_BYTES / 2) })).toBe(200)
    expect(await get({ 'x-filler': 'a'.repeat(MAX_HEADER_BYTES + 1) })).toBe(431)
    // Many small headers add up the same way.
    const many = Object.fromEntries(
      Array.from({ length: 400 }, (_, i) => [`x-h${i}`, 'b'.repeat(40)]),
    )
    expect(await get(many)).toBe(431)
  })
})

describe('the policy in numbers', () => {
  const rule: LockRule = { maxFailures: 5, baseMs: 1000, maxLockMs: 900_000, windowMs: 900_000 }

  it('locks from the fifth failure, doubling, capped', () => {
    expect([1, 2, 3, 4].map((n) => lockMs(n, rule))).toEqual([0, 0, 0, 0])
    expect([5, 6, 7, 14, 15, 16, 1e9].map((n) => lockMs(n, rule))).toEqual([
      1000, 2000, 4000, 512_000, 900_000, 900_000, 900_000,
    ])
  })

  it('keys usernames as they are, and anything else hashed to a fixed size', () => {
    expect(usernameKey('alice')).toBe('user:alice')
    expect(usernameKey('Alice')).toBe('user:Alice')
    expect(usernameKey('x'.repeat(8000))).toMatch(/^user:#[0-9a-f]{32}$/)
    expect(usernameKey('has space')).not.toBe(usernameKey('has  space'))
  })

  it('keys IPv4 by address, IPv6 by /64', () => {
    expect(addressKey('192.0.2.1')).toBe('ip:192.0.2.1')
    expect(addressKey('::ffff:192.0.2.1')).toBe('ip:192.0.2.1')
    expect(addressKey('::ffff:c000:201')).toBe('ip:192.0.2.1')
    expect(addressKey('2001:db8:1:2:3:4:5:6')).toBe('ip:2001:db8:1:2::/64')
    expect(addressKey('2001:0db8:0001:0002::9')).toBe('ip:2001:db8:1:2::/64')
    expect(addressKey('2001:db8::1')).toBe('ip:2001:db8:0:0::/64')
    expect(addressKey('fe80::1%eth0')).toBe('ip:fe80:0:0:0::/64')
    expect(addressKey('::1')).toBe('ip:0:0:0:0::/64')
    expect(addressKey('64:ff9b::192.0.2.1')).toBe('ip:64:ff9b:0:0::/64')
    expect(addressKey(undefined)).toMatch(/^ip:#[0-9a-f]{32}$/)
  })

  it('computes the sliding window and how long to wait', () => {
    expect(estimate(10, 2, 15_000, 60_000)).toBe(9.5)
    // Over the limit in this window: into the next one.
    expect(waitMs({ previous: 0, current: 5 }, 10_000, 60_000, 5)).toBe(50_001)
    // Held back by last minute's count: until its weight has slid off enough.
    expect(waitMs({ previous: 10, current: 2 }, 15_000, 60_000, 5)).toBe(27_001)
    expect(estimate(10, 2, 42_001, 60_000)).toBeLessThan(5)
  })

  it('refuses settings out of range, with the variable named', () => {
    for (const [name, value] of [
      ['APIOPS_LOGIN_MAX_FAILURES', '0'],
      ['APIOPS_LOGIN_IP_MAX_FAILURES', 'many'],
      ['APIOPS_LOGIN_MAX_LOCKOUT_SECONDS', '-1'],
      ['APIOPS_LOGIN_FAILURE_WINDOW_SECONDS', '1.5'],
      ['APIOPS_TOKEN_RATE_LIMIT', '-5'],
      ['APIOPS_REDIS_PREFIX', 'has space'],
    ] as const) {
      expect(() => testConfig({ [name]: value })).toThrow(ConfigError)
      expect(() => testConfig({ [name]: value })).toThrow(name)
    }
    const config = testConfig()
    expect([config.loginMaxFailures, config.loginIpMaxFailures, config.tokenRateLimit]).toEqual([
      5, 20, 0,
    ])
  })
})

describe.each(dialects())('the login_attempts table (%s)', (dialect) => {
  it('holds no password, and purges counts that expired', async () => {
    const clock = new FrozenClock()
    const ctx = await buildTestApp(dialect, { clock })
    try {
      for (let i = 0; i < 3; i++)
        await tokenLogin(ctx.app, `gone${i}`, 'Secret-Guess-1', '192.0.2.50')
      const rows = await ctx.store.db.selectFrom('login_attempts').selectAll().execute()
      expect(rows.map((r) => r.key).sort()).toEqual([
        'ip:192.0.2.50',
        'user:gone0',
        'user:gone1',
        'user:gone2',
      ])
      expect(JSON.stringify(rows)).not.toContain('Secret-Guess-1')
      expect(rows.find((r) => r.key === 'ip:192.0.2.50')?.failures).toBe(3)
      // Counting a failure later purges what expired meanwhile.
      clock.advance(16 * 60_000)
      await tokenLogin(ctx.app, 'late', 'x', '192.0.2.51')
      const left = await ctx.store.db.selectFrom('login_attempts').select('key').execute()
      expect(left.map((r) => r.key).sort()).toEqual(['ip:192.0.2.51', 'user:late'])
    } finally {
      await ctx.close()
    }
  })
})
