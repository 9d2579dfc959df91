import { createHash } from 'node:crypto'
import type { Config } from '../../config.ts'
import { USERNAME_PATTERN } from '../users/users.service.ts'

/**
 * The lockout policy in numbers, shared by every store so that the database, Redis (its
 * Lua script mirrors `afterFailure`) and the throttle agree on what a failure does.
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

export const NONE: AttemptState = { failures: 0, lockedUntil: 0 }

/** A key's state as stored: with when it is forgotten (0: nothing stored). */
export interface StoredCount extends AttemptState {
  expiresAt: number
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

/** What is left of a stored count at `now`: an expired one counts for nothing. */
export function current(stored: StoredCount | undefined, now: number): StoredCount {
  if (!stored || stored.expiresAt <= now) return { failures: 0, lockedUntil: 0, expiresAt: 0 }
  return stored
}

export const isLocked = (state: AttemptState, now: number) => state.lockedUntil > now

/**
 * One more failure: the count grows, the failure that reaches the threshold locks (a
 * lock only ever grows), and the count is forgotten a window after the later of now
 * and the lock's end (never sooner than it already was).
 */
export function afterFailure(
  stored: StoredCount | undefined,
  rule: LockRule,
  now: number,
): StoredCount {
  const before = current(stored, now)
  const failures = before.failures + 1
  const lock = lockMs(failures, rule)
  const lockedUntil = lock > 0 ? Math.max(before.lockedUntil, now + lock) : before.lockedUntil
  const expiresAt = Math.max(before.expiresAt, Math.max(lockedUntil, now) + rule.windowMs)
  return { failures, lockedUntil, expiresAt }
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 32)

/**
 * Usernames that could exist are used as they are (case-sensitive, like usernames);
 * anything else (up to 8 KiB of it on the token endpoint) is hashed to a fixed size.
 */
export function usernameKey(username: string): string {
  return USERNAME_PATTERN.test(username) ? `user:${username}` : `user:#${sha256(username)}`
}
