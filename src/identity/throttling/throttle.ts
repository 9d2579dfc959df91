import type { Kysely } from 'kysely'
import type { Clock } from '../../clock.ts'
import type { Redis } from '../../cluster/redis.ts'
import type { Config } from '../../config.ts'
import type { Database } from '../../db/schema.ts'
import { ApiError, errors } from '../../errors.ts'
import { addressKey } from '../../http/client-address.ts'
import { type AttemptStore, type Entry, StoreUnavailableError } from './attempt-store.ts'
import { DbAttemptStore } from './db-attempt-store.ts'
import {
  type AttemptState,
  isLocked,
  type ThrottlePolicy,
  throttlePolicy,
  usernameKey,
} from './lock-rule.ts'
import { PasswordCheckGate } from './password-check-gate.ts'
import { RedisAttemptStore } from './redis-attempt-store.ts'

// The throttle's tests (and callers) know these from here.
export type { AttemptStore } from './attempt-store.ts'
export { StoreUnavailableError } from './attempt-store.ts'
export {
  type AttemptState,
  FIRST_LOCK_MS,
  type LockRule,
  lockMs,
  type ThrottlePolicy,
  throttlePolicy,
  usernameKey,
} from './lock-rule.ts'
export { addressKey }

/**
 * Brute-force protection for the places a password is checked: the token endpoint, the
 * console login and the password change. They count failures under the same keys,
 * `user:<username>` and `ip:<client address>`, in one store shared by every node (Redis
 * when configured, else the database), so attempts spread over nodes or endpoints add up.
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
 * maximum itself, for every username, for as long as it keeps knocking. So an address
 * that keeps trying cannot keep a username locked: its own lock soon outlasts the
 * username's, which then runs out unrenewed.
 *
 * A success clears the username's count, not the address's: otherwise a sprayer trying
 * one password on many usernames from one address could reset the address's count by
 * logging into an account of their own now and then. An office behind one NAT address
 * is why the address's threshold is higher (20 by default).
 *
 * The trade-off of a username key: anyone can lock a user out by failing on purpose. So
 * the owner is not judged as a stranger (see trusted-clients.ts): a login presenting a
 * valid device cookie for that username (console), coming from an address that username
 * logged in from lately (token endpoint), or made from a console session (password
 * change), is judged by that client's own key under the username's rule, and neither
 * the username's lock nor the address's applies to it, nor do its failures count there.
 * A trusted success clears only its own key. A locked-out user can still use API tokens.
 *
 * Exact in parallel, without making anyone wait (see README, "Failed logins"): an
 * attempt is judged twice, when it arrives (locked: refused, no hashing) and when its
 * password check ends, in one atomic step per key of the shared store: a wrong password
 * counts under the username only if the username is not locked at that moment (else the
 * attempt is refused after all), and a right one clears the count only if it is not
 * locked (else refused, exactly as a wrong one would be). So however many attempts hash
 * at once, on however many nodes, the failures that answer 401 never exceed a key's
 * budget, and the attempts in flight when the lock lands answer 429, right password or
 * not. Right passwords never count against anything: sixteen parallel logins of one CI
 * user all succeed. Checks run side by side, up to the thread pool's size at once
 * (password-check-gate.ts).
 */

export interface ThrottleLogger {
  warn(obj: object, msg: string): void
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
  /**
   * The client's own key (its address, or its trusted key): checked, and charged for
   * every attempt that does not succeed, refused or wrong. Never cleared for a stranger.
   */
  own: Entry
  /** The username, for a stranger: checked, and charged only for a wrong password judged. */
  guarded?: Entry | undefined
  /** A success clears this. */
  cleared: string
}

export class LoginThrottle {
  constructor(
    private readonly store: AttemptStore,
    private readonly clock: Clock,
    readonly policy: ThrottlePolicy,
    private readonly gate: PasswordCheckGate,
    private readonly log?: ThrottleLogger,
  ) {}

  /**
   * Runs `check` (which verifies a password) unless the client's keys are locked out.
   * `check` signals wrong credentials by throwing errors.badCredentials(); that failure
   * is counted and rethrown unchanged. Anything else it throws passes through
   * uncounted; whatever it returns is a success and clears the client's count. `check`
   * should change nothing: a success can still be refused after it, when a lock landed
   * while it ran, and then its result is dropped.
   */
  async attempt<T>(who: LoginClient, check: () => Promise<T>): Promise<T> {
    const plan = who.trustedKey ? this.trustedPlan(who.trustedKey) : this.strangerPlan(who)
    const keys = plan.guarded ? [plan.own.key, plan.guarded.key] : [plan.own.key]
    const now = this.clock.now().getTime()
    const locked = lockedUntil(await this.guard(() => this.store.get(keys, now)), now)
    if (locked) return this.refuse(plan, locked)
    let value: T
    try {
      value = await this.gate.run(check)
    } catch (error) {
      if (isBadCredentials(error)) await this.settleFailure(plan)
      throw error
    }
    await this.settleSuccess(plan)
    return value
  }

  private strangerPlan(who: LoginClient): Plan {
    const user = usernameKey(who.username)
    return {
      own: { key: addressKey(who.ip), rule: this.policy.ip },
      guarded: { key: user, rule: this.policy.user },
      cleared: user,
    }
  }

  private trustedPlan(key: string): Plan {
    return { own: { key, rule: this.policy.user }, cleared: key }
  }

  /**
   * A wrong password: the client's own key counts it whatever happens (a failure, or a
   * refusal). If that key was locked meanwhile, or the username is locked when its count
   * is taken, the attempt was too late: 429, and the username is not charged. Returns
   * when the failure was judged (the caller answers 401).
   */
  private async settleFailure(plan: Plan): Promise<void> {
    const now = this.clock.now().getTime()
    const own = await this.guard(() => this.store.hit(plan.own, now, false))
    if (own.lockedBefore > now) {
      this.logLockout(plan.own, own.state, now, true)
      throw tooMany(Math.max(own.lockedBefore, own.state.lockedUntil), now)
    }
    this.logLockout(plan.own, own.state, now, false)
    const { guarded } = plan
    if (!guarded) return
    const user = await this.guard(() => this.store.hit(guarded, now, true))
    if (!user.counted) throw tooMany(Math.max(user.lockedBefore, own.state.lockedUntil), now)
    this.logLockout(guarded, user.state, now, false)
  }

  /**
   * A right password: the address must still be unlocked, and the count is cleared only
   * if it is not locked at that moment; otherwise the success is refused like any
   * attempt that meets a lock.
   */
  private async settleSuccess(plan: Plan): Promise<void> {
    const now = this.clock.now().getTime()
    if (plan.guarded) {
      const own = await this.guard(() => this.store.get([plan.own.key], now))
      const locked = lockedUntil(own, now)
      if (locked) return this.refuse(plan, locked)
    }
    const locked = await this.guard(() => this.store.clearUnlessLocked(plan.cleared, now))
    if (locked > now) return this.refuse(plan, locked)
  }

  /** 429, charged to the client's own key (which may lengthen the wait it is told). */
  private async refuse(plan: Plan, locked: number): Promise<never> {
    const now = this.clock.now().getTime()
    const own = await this.guard(() => this.store.hit(plan.own, now, false))
    this.logLockout(plan.own, own.state, now, true)
    throw tooMany(Math.max(locked, own.state.lockedUntil), now)
  }

  /** `quiet`: log only the failure that starts a lockout (knocking can be fast). */
  private logLockout(entry: Entry, state: AttemptState, now: number, quiet: boolean): void {
    if (!isLocked(state, now)) return
    if (quiet && state.failures !== entry.rule.maxFailures) return
    this.log?.warn(
      {
        key: entry.key,
        failures: state.failures,
        lockedForSeconds: Math.ceil((state.lockedUntil - now) / 1000),
      },
      'failed logins: locked out',
    )
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

/** The latest lock among `states` still in force at `now`, else 0. */
function lockedUntil(states: readonly AttemptState[], now: number): number {
  const until = Math.max(0, ...states.map((s) => s.lockedUntil))
  return until > now ? until : 0
}

const tooMany = (until: number, now: number) =>
  errors.rateLimited((until - now) / 1000, 'Too many failed login attempts')

export function createLoginThrottle(deps: {
  config: Config
  db: Kysely<Database>
  clock: Clock
  redis: Redis | undefined
  log?: ThrottleLogger | undefined
}): LoginThrottle {
  const store = deps.redis ? new RedisAttemptStore(deps.redis) : new DbAttemptStore(deps.db)
  const gate = new PasswordCheckGate(deps.config.threadPoolSize)
  return new LoginThrottle(store, deps.clock, throttlePolicy(deps.config), gate, deps.log)
}
