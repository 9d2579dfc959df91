import { createHash } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { Clock } from '../../clock.ts'
import type { Redis } from '../../cluster/redis.ts'
import type { Config } from '../../config.ts'
import type { Database } from '../../db/schema.ts'
import { ApiError, errors } from '../../errors.ts'
import { addressKey } from '../../http/client-address.ts'
import { USERNAME_PATTERN } from '../users/users.service.ts'
import * as repo from './throttle.repository.ts'

// The throttle's tests (and callers) know it from here.
export { addressKey }

/**
 * Brute-force protection for the two places a password is checked: the token endpoint
 * and the console login. Both count failures under the same keys, `user:<username>`
 * and `ip:<client address>`, in one store shared by every node (Redis when configured,
 * else the database), so attempts spread over nodes or over the two endpoints add up.
 *
 * Policy, per key: the first `maxFailures - 1` failures are free; the failure that
 * reaches `maxFailures` locks the key for 1 s, and each further one doubles the lock
 * (2 s, 4 s, ...) up to `maxLockMs`. A failure is forgotten `windowMs` after the last
 * one, counted from the end of its lockout, so a count ends even if nobody succeeds.
 *
 * While the username or the address is locked, an attempt answers 429
 * rate_limit_exceeded with retry_after, before the password is looked at: no argon2
 * work for the attacker to spend, and no oracle, since the right password gets exactly
 * what a wrong one gets. Such a refused attempt still counts, as a failure of the
 * address that made it and of nothing else: knocking never renews the username's lock,
 * and an address that keeps knocking (on one username or on many) soon waits the
 * maximum itself, for every username, for as long as it keeps knocking (each refused
 * attempt moves its window on). So an address that keeps trying cannot keep a username
 * locked: its own lock soon outlasts the username's, which then runs out unrenewed.
 *
 * A success clears the username's count, not the address's: otherwise a sprayer trying
 * one password on many usernames from one address could reset the address's count by
 * logging into an account of their own now and then. An office behind one NAT address
 * is why the address's threshold is higher (20 by default).
 *
 * The trade-off of a username key: anyone can lock a user out by failing on purpose
 * (many addresses, or one that waits out its own lock each time and spends its one
 * guess). So the owner is not judged as a stranger (see trusted-clients.ts): a login
 * presenting a valid device cookie for that username (console), or coming from an
 * address that username logged in from lately (token endpoint), is checked against
 * that client's own key (`device:<nonce>`, `known:<username>:<address>`) under the
 * username's rule, and neither the username's lock nor the address's applies to it,
 * nor do its failures count there. A trusted success clears only its own key: the
 * username's lock is evidence about strangers, which the owner's login does not
 * refute. A locked-out user can also still use existing API tokens.
 */

export interface LockRule {
  /** The failure that reaches this count starts the lockouts. */
  maxFailures: number
  /** The first lockout; each further failure doubles it. */
  baseMs: number
  maxLockMs: number
  /** A count is forgotten this long after its last failure or the end of its lockout. */
  windowMs: number
}

export interface ThrottlePolicy {
  user: LockRule
  ip: LockRule
}

/** A key's state; times are milliseconds since the epoch, 0 meaning "not locked". */
export interface AttemptState {
  failures: number
  lockedUntil: number
}

const NONE: AttemptState = { failures: 0, lockedUntil: 0 }

/** Where the counts live. Every node must see the same store for the counts to add up. */
export interface AttemptStore {
  /** Counts one failure under each key; answers each key's state after it. */
  hit(entries: readonly { key: string; rule: LockRule }[], now: number): Promise<AttemptState[]>
  /** Each key's state now (expired counts read as none). */
  get(keys: readonly string[], now: number): Promise<AttemptState[]>
  reset(keys: readonly string[]): Promise<void>
}

/** The store could not be reached: the caller must refuse (503), never skip the limit. */
export class StoreUnavailableError extends Error {
  constructor(cause: unknown) {
    super('the rate-limit store is unavailable', { cause })
    this.name = 'StoreUnavailableError'
  }
}

export const FIRST_LOCK_MS = 1000

export function throttlePolicy(config: Config): ThrottlePolicy {
  const common = {
    baseMs: FIRST_LOCK_MS,
    maxLockMs: config.loginMaxLockoutSeconds * 1000,
    windowMs: config.loginFailureWindowSeconds * 1000,
  }
  return {
    user: { ...common, maxFailures: config.loginMaxFailures },
    ip: { ...common, maxFailures: config.loginIpMaxFailures },
  }
}

/** How long the `failures`-th failure locks its key: 0, then 1 s, 2 s, 4 s... capped. */
export function lockMs(failures: number, rule: LockRule): number {
  if (failures < rule.maxFailures) return 0
  const doublings = failures - rule.maxFailures
  if (doublings >= 40) return rule.maxLockMs
  return Math.min(rule.maxLockMs, rule.baseMs * 2 ** doublings)
}

// --- Keys

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 32)

/**
 * Usernames that could exist are used as they are (case-sensitive, like usernames);
 * anything else (up to 8 KiB of it on the token endpoint) is hashed to a fixed size.
 */
export function usernameKey(username: string): string {
  return USERNAME_PATTERN.test(username) ? `user:${username}` : `user:#${sha256(username)}`
}

// --- The throttle

export interface ThrottleLogger {
  warn(obj: object, msg: string): void
}

/** Runs one task at a time per key on this node; the others wait their turn. */
class KeyedQueue {
  private readonly tails = new Map<string, Promise<void>>()

  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve()
    const current = previous.then(task)
    const tail = current.then(
      () => {},
      () => {},
    )
    this.tails.set(key, tail)
    try {
      return await current
    } finally {
      if (this.tails.get(key) === tail) this.tails.delete(key)
    }
  }
}

const isBadCredentials = (error: unknown) =>
  error instanceof ApiError && error.code === 'unauthorized_client'

/** Who is trying: `trustedKey` when the client proved itself before (trusted-clients.ts). */
export interface LoginClient {
  username: string
  ip: string | undefined
  trustedKey?: string | undefined
}

/** The keys one attempt is judged, charged and cleared by. */
interface Plan {
  /** Attempts with the same queue key wait for each other on this node. */
  queueKey: string
  /** Any of these locked refuses the attempt. */
  checked: string[]
  /** A wrong password counts under each of these. */
  failure: { key: string; rule: LockRule }[]
  /** A refused attempt counts under this one: the client's own key. */
  refusal: { key: string; rule: LockRule }
  /** A success clears these. */
  cleared: string[]
}

type Outcome<T> = { ok: true; value: T } | { ok: false; lockedUntil: number }

export class LoginThrottle {
  /**
   * Attempts for one username (or one trusted client) wait for each other on this
   * node, so a burst of parallel guesses is judged one by one (each sees the count the
   * one before left) instead of all slipping past the check before any failure is
   * counted. Across nodes a burst can still overshoot by at most one attempt per node
   * at a time.
   */
  private readonly queue = new KeyedQueue()

  constructor(
    private readonly store: AttemptStore,
    private readonly clock: Clock,
    readonly policy: ThrottlePolicy,
    private readonly log?: ThrottleLogger,
  ) {}

  /**
   * Runs `check` (which verifies a password) unless the client's keys are locked out.
   * `check` signals wrong credentials by throwing errors.badCredentials(); that failure
   * is counted and rethrown unchanged. Anything else it throws passes through
   * uncounted; whatever it returns is a success and clears the client's count.
   */
  async attempt<T>(who: LoginClient, check: () => Promise<T>): Promise<T> {
    const plan = who.trustedKey ? this.trustedPlan(who.trustedKey) : this.strangerPlan(who)
    const outcome = await this.queue.run(plan.queueKey, () => this.judge(plan, check))
    if (outcome.ok) return outcome.value
    // Charged after leaving the queue: the charge needs no ordering with the username's
    // other attempts, so the queue's turn stays as short as it always was.
    const now = this.clock.now().getTime()
    const [own] = await this.recordFailure([plan.refusal], { quiet: true })
    const until = Math.max(outcome.lockedUntil, own?.lockedUntil ?? 0)
    throw errors.rateLimited((until - now) / 1000, 'Too many failed login attempts')
  }

  private strangerPlan(who: LoginClient): Plan {
    const user = usernameKey(who.username)
    const ip = addressKey(who.ip)
    return {
      queueKey: user,
      checked: [user, ip],
      failure: [
        { key: user, rule: this.policy.user },
        { key: ip, rule: this.policy.ip },
      ],
      refusal: { key: ip, rule: this.policy.ip },
      cleared: [user],
    }
  }

  private trustedPlan(key: string): Plan {
    const own = { key, rule: this.policy.user }
    return { queueKey: key, checked: [key], failure: [own], refusal: own, cleared: [key] }
  }

  private async judge<T>(plan: Plan, check: () => Promise<T>): Promise<Outcome<T>> {
    const now = this.clock.now().getTime()
    const states = await this.guard(() => this.store.get(plan.checked, now))
    const lockedUntil = Math.max(...states.map((s) => s.lockedUntil))
    if (lockedUntil > now) return { ok: false, lockedUntil }
    let value: T
    try {
      value = await check()
    } catch (error) {
      if (isBadCredentials(error)) await this.recordFailure(plan.failure)
      throw error
    }
    try {
      await this.store.reset(plan.cleared)
    } catch (error) {
      // The login itself is sound; a stale count only makes the next failure stricter.
      this.log?.warn({ err: error }, 'could not reset the failed-login count')
    }
    return { ok: true, value }
  }

  /** `quiet`: log only the failure that starts a lockout (knocking can be fast). */
  private async recordFailure(
    entries: readonly { key: string; rule: LockRule }[],
    { quiet = false } = {},
  ): Promise<AttemptState[]> {
    const now = this.clock.now().getTime()
    const states = await this.guard(() => this.store.hit(entries, now))
    states.forEach((state, i) => {
      if (state.lockedUntil <= now) return
      const { key = '', rule } = entries[i] ?? {}
      if (quiet && state.failures !== rule?.maxFailures) return
      this.log?.warn(
        {
          key,
          failures: state.failures,
          lockedForSeconds: Math.ceil((state.lockedUntil - now) / 1000),
        },
        'failed logins: locked out',
      )
    })
    return states
  }

  /** A store that cannot answer means 503: the limit is never skipped. */
  private async guard<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation()
    } catch (error) {
      if (error instanceof StoreUnavailableError) {
        this.log?.warn({ err: error.cause }, 'the rate-limit store is unavailable')
        throw errors.serviceUnavailable('The rate-limit store')
      }
      throw error
    }
  }
}

// --- Stores

const iso = (ms: number) => new Date(ms).toISOString()
const PURGE_EVERY_MS = 10 * 60_000

/**
 * Counts in the login_attempts table. Each failure is one atomic upsert (plus one
 * update once a lockout starts), so nodes sharing the database share the counts.
 * Expired rows are deleted now and then, as a side effect of counting failures.
 */
export class DbAttemptStore implements AttemptStore {
  private nextPurge = 0

  constructor(private readonly db: Kysely<Database>) {}

  async hit(
    entries: readonly { key: string; rule: LockRule }[],
    now: number,
  ): Promise<AttemptState[]> {
    const states = await Promise.all(
      entries.map(async ({ key, rule }) => {
        const failures = await repo.countFailure(this.db, key, iso(now), iso(now + rule.windowMs))
        const lock = lockMs(failures, rule)
        if (lock === 0) return { failures, lockedUntil: 0 }
        await repo.extendLock(this.db, key, iso(now + lock), iso(now + lock + rule.windowMs))
        return { failures, lockedUntil: now + lock }
      }),
    )
    if (now >= this.nextPurge) {
      this.nextPurge = now + PURGE_EVERY_MS
      await repo.deleteExpiredAttempts(this.db, iso(now))
    }
    return states
  }

  async get(keys: readonly string[], now: number): Promise<AttemptState[]> {
    const rows = await repo.findAttempts(this.db, keys)
    const nowIso = iso(now)
    return keys.map((key) => {
      const row = rows.find((r) => r.key === key)
      if (!row || row.expires_at <= nowIso) return NONE
      return {
        failures: Number(row.failures),
        lockedUntil: row.locked_until ? new Date(row.locked_until).getTime() : 0,
      }
    })
  }

  async reset(keys: readonly string[]): Promise<void> {
    await repo.deleteAttempts(this.db, keys)
  }
}

/**
 * One failure, atomically, in a Redis hash: the same arithmetic as lockMs and the
 * database store. Times come from the caller's clock (ARGV), never Redis's, so every
 * node and store judges by the same time; the key's TTL only collects garbage.
 */
const HIT_SCRIPT = `
local now = tonumber(ARGV[1])
local maxFailures = tonumber(ARGV[2])
local base = tonumber(ARGV[3])
local maxLock = tonumber(ARGV[4])
local window = tonumber(ARGV[5])
local r = redis.call('HMGET', KEYS[1], 'failures', 'locked_until', 'expires_at')
local failures = tonumber(r[1]) or 0
local lockedUntil = tonumber(r[2]) or 0
local expiresAt = tonumber(r[3]) or 0
if expiresAt <= now then
  failures = 0
  lockedUntil = 0
  expiresAt = 0
end
failures = failures + 1
if failures >= maxFailures then
  local lock = maxLock
  local doublings = failures - maxFailures
  if doublings < 40 then lock = math.min(maxLock, base * 2 ^ doublings) end
  if now + lock > lockedUntil then lockedUntil = now + lock end
end
local newExpiry = math.max(lockedUntil, now) + window
if expiresAt > newExpiry then newExpiry = expiresAt end
redis.call('HSET', KEYS[1], 'failures', string.format('%d', failures),
  'locked_until', string.format('%d', lockedUntil), 'expires_at', string.format('%d', newExpiry))
redis.call('PEXPIRE', KEYS[1], string.format('%d', newExpiry - now + 60000))
return {failures, string.format('%d', lockedUntil)}
`

type HitCommand = (
  key: string,
  now: number,
  maxFailures: number,
  baseMs: number,
  maxLockMs: number,
  windowMs: number,
) => unknown

/** A pipeline's results, or StoreUnavailableError for the first failure. */
async function runPipeline(
  pipeline: { exec(): Promise<[Error | null, unknown][] | null> },
  what = 'pipeline',
): Promise<unknown[]> {
  let results: [Error | null, unknown][] | null
  try {
    results = await pipeline.exec()
  } catch (error) {
    throw new StoreUnavailableError(error)
  }
  if (!results) throw new StoreUnavailableError(new Error(`${what}: no answer`))
  return results.map(([error, value]) => {
    if (error) throw new StoreUnavailableError(error)
    return value
  })
}

/**
 * Counts in Redis, one hash per key (`<prefix>login:user:alice`). One round trip per
 * operation; each key is its own script call, so Redis Cluster may place them anywhere.
 */
export class RedisAttemptStore implements AttemptStore {
  constructor(private readonly redis: Redis) {
    redis.defineCommand('apiopsLoginHit', { numberOfKeys: 1, lua: HIT_SCRIPT })
  }

  private static key(key: string): string {
    return `login:${key}`
  }

  async hit(
    entries: readonly { key: string; rule: LockRule }[],
    now: number,
  ): Promise<AttemptState[]> {
    const pipeline = this.redis.pipeline()
    const hit = (pipeline as unknown as { apiopsLoginHit: HitCommand }).apiopsLoginHit.bind(
      pipeline,
    )
    for (const { key, rule } of entries) {
      hit(
        RedisAttemptStore.key(key),
        now,
        rule.maxFailures,
        rule.baseMs,
        rule.maxLockMs,
        rule.windowMs,
      )
    }
    const results = await runPipeline(pipeline, 'login hit')
    return results.map((value) => {
      const [failures, lockedUntil] = value as [number, string]
      return { failures: Number(failures), lockedUntil: Number(lockedUntil) }
    })
  }

  async get(keys: readonly string[], now: number): Promise<AttemptState[]> {
    const pipeline = this.redis.pipeline()
    for (const key of keys) {
      pipeline.hmget(RedisAttemptStore.key(key), 'failures', 'locked_until', 'expires_at')
    }
    const results = await runPipeline(pipeline, 'login get')
    return results.map((value) => {
      const [failures, lockedUntil, expiresAt] = (value as (string | null)[]).map(Number)
      if (!failures || !expiresAt || expiresAt <= now) return NONE
      return { failures, lockedUntil: lockedUntil ?? 0 }
    })
  }

  async reset(keys: readonly string[]): Promise<void> {
    const pipeline = this.redis.pipeline()
    for (const key of keys) pipeline.del(RedisAttemptStore.key(key))
    await runPipeline(pipeline, 'login reset')
  }
}

export function createLoginThrottle(deps: {
  config: Config
  db: Kysely<Database>
  clock: Clock
  redis: Redis | undefined
  log?: ThrottleLogger | undefined
}): LoginThrottle {
  const store = deps.redis ? new RedisAttemptStore(deps.redis) : new DbAttemptStore(deps.db)
  return new LoginThrottle(store, deps.clock, throttlePolicy(deps.config), deps.log)
}
