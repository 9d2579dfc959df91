import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, makeUser, PASSWORD, type TestContext } from './helpers.ts'
import {
  consoleLogin,
  expectBadCredentials,
  expectLocked,
  forgetRedisPrefixes,
  type Res,
  STORES,
  tokenLogin,
  WRONG,
} from './login-helpers.ts'

/**
 * Lockout as a weapon: a stranger who fails on purpose locks a username for strangers
 * only. Refused attempts count against the address that made them, so one address
 * cannot keep a username locked; the owner's browser (device cookie) and the addresses
 * the owner logged in from (token endpoint) are judged on their own counts.
 */

afterAll(forgetRedisPrefixes)

/** The longest lockout in these tests, in seconds (short, so five of them run quickly). */
const MAX_LOCK = 60
const DAY_MS = 86_400_000

let addressCounter = 0
/** A client address no other test uses. */
const freshAddress = () => {
  const n = addressCounter++
  return `198.18.${Math.floor(n / 250)}.${(n % 250) + 1}`
}

const deviceCookieOf = (res: Res) => {
  const value = res.cookies.find((c) => c.name === 'apiops_device')?.value
  expect(value, 'a device cookie').toBeDefined()
  return value as string
}
const withDevice = (value: string) => ({ cookie: `apiops_device=${value}` })

/** Five failures from an address of its own: the username is locked for strangers. */
async function lockUsername(ctx: TestContext, username: string): Promise<void> {
  const attacker = freshAddress()
  for (let i = 0; i < 5; i++)
    expectBadCredentials(await tokenLogin(ctx.app, username, WRONG, attacker))
  expectLocked(await tokenLogin(ctx.app, username, PASSWORD, freshAddress()))
}

describe.each(STORES)('lockout as a weapon ($name)', (store) => {
  let ctx: TestContext
  beforeAll(async () => {
    ctx = await buildTestApp(store.dialect, {
      env: {
        ...store.env(),
        APIOPS_LOGIN_MAX_LOCKOUT_SECONDS: String(MAX_LOCK),
        APIOPS_LOGIN_FAILURE_WINDOW_SECONDS: String(MAX_LOCK),
      },
    })
    for (const name of ['admin', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi']) {
      await makeUser(ctx, name)
    }
  })
  afterAll(() => ctx.close())

  it('keeps the owner in while one address attacks admin every second for five lockout periods', async () => {
    const attacker = freshAddress()
    const home = freshAddress()
    // Before the attack: the owner logs in once in the console and once from a script.
    let device = deviceCookieOf(await consoleLogin(ctx.app, 'admin', PASSWORD, freshAddress()))
    expect((await tokenLogin(ctx.app, 'admin', PASSWORD, home)).statusCode).toBe(200)

    const attackerStatuses: number[][] = []
    for (let period = 0; period < 5; period++) {
      const statuses: number[] = []
      for (let second = 0; second < MAX_LOCK; second++) {
        statuses.push((await tokenLogin(ctx.app, 'admin', WRONG, attacker)).statusCode)
        if (second === MAX_LOCK / 2) {
          // The owner, meanwhile: the console from yet another address (the browser's
          // cookie is what counts), and a script from the known address.
          const inConsole = await consoleLogin(
            ctx.app,
            'admin',
            PASSWORD,
            freshAddress(),
            withDevice(device),
          )
          expect(inConsole.statusCode).toBe(200)
          device = deviceCookieOf(inConsole)
          expect((await tokenLogin(ctx.app, 'admin', PASSWORD, home)).statusCode).toBe(200)
        }
        ctx.clock.advance(1000)
      }
      attackerStatuses.push(statuses)
      // The attacker is still at it, but its own lock outlasts the one it put on admin,
      // which ran out and was never renewed: a stranger with the password gets in.
      expect((await tokenLogin(ctx.app, 'admin', PASSWORD, freshAddress())).statusCode).toBe(200)
    }

    // The attacker's guesses reached a password check only at the start (while its
    // address was under its threshold); after that, every attempt was refused.
    const [first = [], ...later] = attackerStatuses
    expect(first.slice(0, 5)).toEqual([401, 401, 401, 401, 401])
    expect(first.filter((s) => s === 401).length).toBeLessThan(12)
    expect(first.slice(30)).toEqual(Array(MAX_LOCK - 30).fill(429))
    for (const statuses of later) expect(statuses).toEqual(Array(MAX_LOCK).fill(429))
    // Its address waits the maximum, for every username and on both logins...
    expect(expectLocked(await tokenLogin(ctx.app, 'admin', WRONG, attacker))).toBe(MAX_LOCK)
    expect(expectLocked(await tokenLogin(ctx.app, 'bob', PASSWORD, attacker))).toBe(MAX_LOCK)
    expect(expectLocked(await consoleLogin(ctx.app, 'bob', PASSWORD, attacker))).toBe(MAX_LOCK)
    // ...except for a browser that proves itself: the device cookie passes the address too.
    const sameAddress = await consoleLogin(ctx.app, 'admin', PASSWORD, attacker, withDevice(device))
    expect(sameAddress.statusCode).toBe(200)
  })

  it('charges every attempt refused for a locked username to the address that made it', async () => {
    await lockUsername(ctx, 'bob')
    const knocker = freshAddress()
    // Twenty knocks, none of which checked a password: the address is now locked itself,
    // for every username, even with the right password.
    for (let i = 0; i < 20; i++) expectLocked(await tokenLogin(ctx.app, 'bob', WRONG, knocker))
    expectLocked(await tokenLogin(ctx.app, 'carol', PASSWORD, knocker))
    expect((await tokenLogin(ctx.app, 'carol', PASSWORD, freshAddress())).statusCode).toBe(200)
  })

  it('gives no bypass for a forged, altered, expired or other-username device cookie', async () => {
    const first = await consoleLogin(ctx.app, 'carol', PASSWORD, freshAddress())
    const expired = deviceCookieOf(first)
    const header = [first.headers['set-cookie']].flat().find((c) => c?.startsWith('apiops_device='))
    expect(header).toMatch(
      /^apiops_device=[\w-]{22}\.\d+\.[\w-]{43}; Max-Age=31536000; Path=\/apiops\/session; HttpOnly; SameSite=Strict$/,
    )
    const daves = deviceCookieOf(await consoleLogin(ctx.app, 'dave', PASSWORD, freshAddress()))
    ctx.clock.advance(366 * DAY_MS)
    const genuine = deviceCookieOf(await consoleLogin(ctx.app, 'carol', PASSWORD, freshAddress()))
    const [nonce = '', expires = '', mac = ''] = genuine.split('.')
    await lockUsername(ctx, 'carol')

    const stranger = await consoleLogin(ctx.app, 'carol', WRONG, freshAddress())
    expectLocked(stranger)
    for (const cookie of [
      expired,
      daves,
      `${randomBytes(16).toString('base64url')}.${expires}.${mac}`,
      `${nonce}.${Number(expires) + 3600}.${mac}`,
      `${nonce}.${expires}.${randomBytes(32).toString('base64url')}`,
      `${nonce}.${expires}`,
      'garbage',
    ]) {
      // Judged as a stranger: the right password gets exactly what a wrong one got.
      const res = await consoleLogin(ctx.app, 'carol', PASSWORD, freshAddress(), withDevice(cookie))
      expectLocked(res)
      expect(res.body).toBe(stranger.body)
      expect(res.headers['set-cookie']).toBeUndefined()
    }
    // The genuine cookie, from anywhere, still gets carol in.
    const res = await consoleLogin(ctx.app, 'carol', PASSWORD, freshAddress(), withDevice(genuine))
    expect(res.statusCode).toBe(200)
  })

  it('locks a device cookie that fails five times, on its own count', async () => {
    const device = deviceCookieOf(await consoleLogin(ctx.app, 'erin', PASSWORD, freshAddress()))
    // A thief with the cookie, from a new address each time, as an address count would not see.
    for (let i = 0; i < 5; i++) {
      expectBadCredentials(
        await consoleLogin(ctx.app, 'erin', WRONG, freshAddress(), withDevice(device)),
      )
    }
    const right = await consoleLogin(ctx.app, 'erin', PASSWORD, freshAddress(), withDevice(device))
    const wait = expectLocked(right)
    expect(right.headers['set-cookie']).toBeUndefined()
    // The username was not charged: erin gets in without the cookie, from anywhere.
    expect((await consoleLogin(ctx.app, 'erin', PASSWORD, freshAddress())).statusCode).toBe(200)
    expect((await tokenLogin(ctx.app, 'erin', PASSWORD, freshAddress())).statusCode).toBe(200)
    ctx.clock.advance(wait * 1000)
    const later = await consoleLogin(ctx.app, 'erin', PASSWORD, freshAddress(), withDevice(device))
    expect(later.statusCode).toBe(200)
  })

  it('lets the token endpoint trust an address only for the username that logged in from it', async () => {
    const home = freshAddress()
    expect((await tokenLogin(ctx.app, 'frank', PASSWORD, home)).statusCode).toBe(200)
    await lockUsername(ctx, 'frank')
    await lockUsername(ctx, 'grace')
    expect((await tokenLogin(ctx.app, 'frank', PASSWORD, home)).statusCode).toBe(200)
    // Home is a stranger for grace: locked, and her right password answers as a wrong one.
    const wrong = await tokenLogin(ctx.app, 'grace', WRONG, home)
    const right = await tokenLogin(ctx.app, 'grace', PASSWORD, home)
    expectLocked(right)
    expect(right.body).toBe(wrong.body)
    // Frank's failures at home count for home alone: five lock it...
    for (let i = 0; i < 5; i++)
      expectBadCredentials(await tokenLogin(ctx.app, 'frank', WRONG, home))
    expectLocked(await tokenLogin(ctx.app, 'frank', PASSWORD, home))
    // ...and the username's own lock (five failures: 1 s) did not grow from them.
    ctx.clock.advance(1000)
    expect((await tokenLogin(ctx.app, 'frank', PASSWORD, freshAddress())).statusCode).toBe(200)
  })

  it('keeps the ten latest addresses per user, each for 30 days after its last success', async () => {
    const homes = Array.from({ length: 11 }, () => freshAddress())
    const at: number[] = []
    for (const home of homes) {
      at.push(ctx.clock.nowMs())
      expect((await tokenLogin(ctx.app, 'heidi', PASSWORD, home)).statusCode).toBe(200)
      ctx.clock.advance(60_000)
    }
    const stored = async () =>
      (
        await ctx.store.db
          .selectFrom('known_addresses')
          .innerJoin('users', 'users.id', 'known_addresses.user_id')
          .select('known_addresses.address')
          .where('users.username', '=', 'heidi')
          .execute()
      )
        .map((r) => r.address)
        .sort()
    expect(await stored()).toEqual(homes.slice(1).sort())
    await lockUsername(ctx, 'heidi')
    expectLocked(await tokenLogin(ctx.app, 'heidi', PASSWORD, homes[0]))
    expect((await tokenLogin(ctx.app, 'heidi', PASSWORD, homes[1])).statusCode).toBe(200)

    // Thirty days after homes[3]'s success it is a stranger again; homes[4] is not yet.
    ctx.clock.set(new Date((at[3] ?? 0) + 30 * DAY_MS).toISOString())
    await lockUsername(ctx, 'heidi')
    expectLocked(await tokenLogin(ctx.app, 'heidi', PASSWORD, homes[3]))
    expect((await tokenLogin(ctx.app, 'heidi', PASSWORD, homes[4])).statusCode).toBe(200)
    // That success forgot the expired ones.
    expect(await stored()).toEqual([homes[1], ...homes.slice(4)].sort())
  })
})
