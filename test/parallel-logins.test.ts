import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../src/app.ts'
import { Argon2Threads, VERIFY_NICE } from '../src/identity/credentials/argon2-threads.ts'
import { hashPassword } from '../src/identity/credentials/passwords.ts'
import { WAITING_PER_SLOT } from '../src/identity/throttling/password-check-gate.ts'
import { buildTestApp, makeUser, PASSWORD, type TestContext, testConfig, until } from './helpers.ts'
import {
  consoleLogin,
  expectBadCredentials,
  expectLocked,
  forgetRedisPrefixes,
  type Injector,
  type Res,
  STORES,
  tokenLogin,
  WRONG,
} from './login-helpers.ts'

/**
 * Logins of one username run side by side (no queue per username), yet the failed-login
 * budget stays exact: parallel attempts on two nodes sharing the store never get more
 * 401s than a key allows, and parallel right passwords never meet a spurious 429.
 */

afterAll(forgetRedisPrefixes)

let addressCounter = 0
/** A client address no other test in this file uses. */
const freshAddress = () => {
  const n = addressCounter++
  return `198.19.${Math.floor(n / 250)}.${(n % 250) + 1}`
}

const statusCounts = (answers: Res[]) => {
  const counts: Record<number, number> = {}
  for (const res of answers) counts[res.statusCode] = (counts[res.statusCode] ?? 0) + 1
  return counts
}

/** `count` logins at once, alternating between the nodes. */
function burst(
  nodes: Injector[],
  count: number,
  login: (node: Injector, i: number) => Promise<Res>,
): Promise<Res[]> {
  return Promise.all(
    Array.from({ length: count }, (_, i) => login(nodes[i % nodes.length] as Injector, i)),
  )
}

describe.each(STORES)('parallel logins on two nodes ($name)', (store) => {
  let ctx: TestContext
  let other: Awaited<ReturnType<typeof buildApp>>
  let nodes: Injector[]
  beforeAll(async () => {
    ctx = await buildTestApp(store.dialect, { env: store.env() })
    // A second node: another app over the same database (and the same Redis, if any).
    other = await buildApp({
      config: ctx.config,
      store: ctx.store,
      clock: ctx.clock,
      events: ctx.events,
      keys: ctx.keys,
      consoleDir: '/nonexistent',
    })
    nodes = [ctx.app, other]
    for (const name of ['ci', 'ci2', 'victim', 'owner']) await makeUser(ctx, name)
  })
  afterAll(async () => {
    await other.close()
    await ctx.close()
  })

  it('lets sixteen right-password logins of one username succeed at once, after failures too', async () => {
    // Four failures already: one short of a lock. A budget that counted attempts in
    // flight as failures would refuse most of what follows.
    const attacker = freshAddress()
    for (let i = 0; i < 4; i++)
      expectBadCredentials(await tokenLogin(ctx.app, 'ci', WRONG, attacker))
    const runner = freshAddress()
    const answers = await burst(nodes, 16, (node, i) =>
      i % 4 === 3
        ? consoleLogin(node, 'ci', PASSWORD, runner)
        : tokenLogin(node, 'ci', PASSWORD, runner),
    )
    expect(statusCounts(answers)).toEqual({ 200: 16 })
    // The successes cleared the count: four new failures lock nothing yet.
    const elsewhere = freshAddress()
    for (let i = 0; i < 4; i++)
      expectBadCredentials(await tokenLogin(other, 'ci', WRONG, elsewhere))
    expect((await tokenLogin(ctx.app, 'ci', PASSWORD, freshAddress())).statusCode).toBe(200)
    // And from the address they made known (judged on its own count), again all at once.
    const again = await burst(nodes, 16, (node) => tokenLogin(node, 'ci', PASSWORD, runner))
    expect(statusCounts(again)).toEqual({ 200: 16 })
  })

  it('answers exactly five 401s to sixteen parallel wrong guesses, the rest 429', async () => {
    const attacker = freshAddress()
    const answers = await burst(nodes, 16, (node) => tokenLogin(node, 'victim', WRONG, attacker))
    expect(statusCounts(answers)).toEqual({ 401: 5, 429: 11 })
    for (const res of answers) if (res.statusCode === 429) expectLocked(res)
    // Locked now, for the right password too...
    expectLocked(await tokenLogin(ctx.app, 'victim', PASSWORD, freshAddress()))
    // ...and the eleven refused guesses did not count for the username: five failures
    // locked it for 1 s, and the sixth locks it for 2 s.
    ctx.clock.advance(1000)
    expectBadCredentials(await tokenLogin(other, 'victim', WRONG, freshAddress()))
    expect(expectLocked(await tokenLogin(ctx.app, 'victim', WRONG, freshAddress()))).toBe(2)
    ctx.clock.advance(2000)
    expect((await tokenLogin(ctx.app, 'victim', PASSWORD, freshAddress())).statusCode).toBe(200)
  })

  it('answers exactly twenty 401s to thirty parallel guesses from one address on thirty usernames', async () => {
    const sprayer = freshAddress()
    const answers = await burst(nodes, 30, (node, i) =>
      tokenLogin(node, `sprayed${i}`, 'Summer2026!', sprayer),
    )
    expect(statusCounts(answers)).toEqual({ 401: 20, 429: 10 })
    expectLocked(await tokenLogin(ctx.app, 'ci2', PASSWORD, sprayer))
    // No username got a failure from the ten refused: each still has its whole budget.
    const refused = answers.flatMap((res, i) => (res.statusCode === 429 ? [i] : []))
    const elsewhere = freshAddress()
    for (let i = 0; i < 5; i++)
      expectBadCredentials(await tokenLogin(ctx.app, `sprayed${refused[0]}`, WRONG, elsewhere))
    expectLocked(await tokenLogin(ctx.app, `sprayed${refused[0]}`, WRONG, elsewhere))
  })

  it("keeps a trusted address's own budget exact too", async () => {
    const home = freshAddress()
    expect((await tokenLogin(ctx.app, 'owner', PASSWORD, home)).statusCode).toBe(200)
    const answers = await burst(nodes, 12, (node) => tokenLogin(node, 'owner', WRONG, home))
    expect(statusCounts(answers)).toEqual({ 401: 5, 429: 7 })
    // The username itself was not charged: the owner gets in from anywhere else.
    expect((await tokenLogin(other, 'owner', PASSWORD, freshAddress())).statusCode).toBe(200)
  })
})

describe('password checks beyond the thread pool', () => {
  let ctx: TestContext
  beforeAll(async () => {
    // One slot: the gate lets one check run and WAITING_PER_SLOT wait.
    ctx = await buildTestApp('sqlite', { env: { UV_THREADPOOL_SIZE: '1' } })
    await makeUser(ctx, 'ci')
  })
  afterAll(() => ctx.close())

  it('wait their turn up to a bound, then answer 503 with Retry-After', async () => {
    const count = WAITING_PER_SLOT + 20
    const address = freshAddress()
    const answers = await Promise.all(
      Array.from({ length: count }, () => tokenLogin(ctx.app, 'ci', PASSWORD, address)),
    )
    const { 200: ok = 0, 503: busy = 0, ...others } = statusCounts(answers)
    expect(others).toEqual({})
    // One running and the bound waiting at least; more if some finished meanwhile.
    expect(ok).toBeGreaterThanOrEqual(WAITING_PER_SLOT + 1)
    expect(busy).toBeGreaterThan(0)
    for (const res of answers.filter((r) => r.statusCode === 503)) {
      expect(res.json()).toEqual({
        error: 'service_unavailable',
        error_description: 'Too many logins are being checked at once; retry in a second.',
      })
      expect(res.headers['retry-after']).toBe('1')
    }
  })
})

interface ThreadSched {
  nice: number
  /** 0 SCHED_OTHER, 5 SCHED_IDLE. */
  policy: number
}

/** This process's threads (Linux: fields 19 and 41 of /proc/self/task/<tid>/stat). */
function threadScheduling(): ThreadSched[] {
  return readdirSync('/proc/self/task').flatMap((tid) => {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8')
      // The command name (field 2) may hold spaces: count from the closing parenthesis.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      return [{ nice: Number(fields[16]), policy: Number(fields[38]) }]
    } catch {
      return [] // the thread ended meanwhile
    }
  })
}

const SCHED_IDLE = 5
const hasChrt = spawnSync('chrt', ['--version']).status === 0

describe.runIf(existsSync('/proc/self/task'))('argon2 below the event loop', () => {
  let ctx: TestContext
  beforeAll(async () => {
    ctx = await buildTestApp('sqlite')
    await makeUser(ctx, 'ci')
  })
  afterAll(() => ctx.close())

  // CI has util-linux: there a missing chrt fails rather than skips.
  it.runIf(hasChrt || process.env.CI === 'true')(
    'verifies passwords on SCHED_IDLE threads by default',
    async () => {
      expect((await tokenLogin(ctx.app, 'ci', PASSWORD, freshAddress())).statusCode).toBe(200)
      // Threads of its own, never starved here: the app's may have been moved to nice 5
      // by the parallel logins above, on a busy machine (see the next tests).
      const threads = new Argon2Threads(64, 3_600_000)
      const idle = () => threadScheduling().filter((t) => t.policy === SCHED_IDLE).length
      const before = idle()
      expect(await threads.verify(await hashPassword(PASSWORD), PASSWORD)).toBe(true)
      expect(idle()).toBe(before + 1)
      // The event loop's own thread (the process's first) keeps the normal policy and nice.
      const main = readFileSync('/proc/self/stat', 'utf8')
      const fields = main.slice(main.lastIndexOf(')') + 2).split(' ')
      expect(Number(fields[38])).toBe(0)
      expect(Number(fields[16])).toBeLessThan(VERIFY_NICE)
    },
  )

  it.each([
    ['low', (t: ThreadSched) => t.policy === 0 && t.nice === VERIFY_NICE],
    ['normal', (t: ThreadSched) => t.policy === 0 && t.nice === 0],
  ] as const)('priority %s: threads at the matching nice value', async (priority, matches) => {
    const threads = new Argon2Threads()
    threads.setPriority(priority)
    const before = threadScheduling().filter(matches).length
    const hash = await hashPassword(PASSWORD)
    // Two at once: two threads of this set, both started with the priority asked for.
    expect(await Promise.all([threads.verify(hash, PASSWORD), threads.verify(hash, 'no')])).toEqual(
      [true, false],
    )
    expect(threadScheduling().filter(matches).length).toBeGreaterThanOrEqual(before + 2)
  })

  it.runIf(hasChrt || process.env.CI === 'true')(
    'moves a thread whose verify starves at SCHED_IDLE to nice 5 until it ends, and says so once',
    async () => {
      // Starved after 0 ms: any verify still running when the timer fires counts.
      const threads = new Argon2Threads(64, 0)
      const warnings: string[] = []
      threads.setPriority('idle', (message) => warnings.push(message))
      const idle = () => threadScheduling().filter((t) => t.policy === SCHED_IDLE).length
      const before = idle()
      const hash = await hashPassword(PASSWORD)
      expect(await threads.verify(hash, PASSWORD)).toBe(true)
      await until('the starved thread was moved', async () => warnings.length > 0)
      expect(warnings).toEqual([
        'a password check starved at SCHED_IDLE (every core busy); it ran on at nice 5 (said once)',
      ])
      // The verify over, the thread is back at SCHED_IDLE (its nice 5 kept for next time).
      await until('the thread is idle again', async () => idle() === before + 1)
      // Starved again (0 ms): moved and moved back again, and not said twice.
      expect(await threads.verify(hash, 'wrong')).toBe(false)
      await until('the thread is idle again', async () => idle() === before + 1)
      expect(warnings).toHaveLength(1)
    },
  )

  it('says once, through the warning, when the priority cannot be had', async () => {
    const threads = new Argon2Threads()
    const warnings: string[] = []
    // A PATH without chrt: SCHED_IDLE cannot be set, the threads fall back to nice 5.
    const path = process.env.PATH
    process.env.PATH = '/nonexistent'
    try {
      threads.setPriority('idle', (message) => warnings.push(message))
      const hash = await hashPassword(PASSWORD)
      await Promise.all([threads.verify(hash, PASSWORD), threads.verify(hash, PASSWORD)])
    } finally {
      process.env.PATH = path
    }
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatch(
      /^password checks asked for priority idle, run at low: SCHED_IDLE could not be set \(/,
    )
  })
})

describe('APIOPS_PASSWORD_CHECK_PRIORITY', () => {
  it('defaults to idle and refuses what it does not know', () => {
    expect(testConfig().passwordCheckPriority).toBe('idle')
    expect(testConfig({ APIOPS_PASSWORD_CHECK_PRIORITY: 'LOW' }).passwordCheckPriority).toBe('low')
    expect(() => testConfig({ APIOPS_PASSWORD_CHECK_PRIORITY: 'realtime' })).toThrow(
      'APIOPS_PASSWORD_CHECK_PRIORITY must be one of idle, low, normal (got "realtime")',
    )
  })
})
