import { errors } from '../../errors.ts'
import { ROLES, type Role } from '../users/roles.ts'
import { type Expiry, NEVER_EXPIRES } from './expiry.ts'

/*
 * How long personal tokens may live, as administrators set it (a runtime setting, so
 * every node applies a change at once). It only takes lifetime away: the defaults are
 * the seed's own rules (Never Expires allowed, no maximum, no inactivity limit).
 */

export interface TokenLifetimePolicy {
  /** Whether a token may be made with "Never Expires". */
  neverExpiresAllowed: boolean
  /** Longest lifetime, in days, of a token carrying the role; a role absent has none. */
  maxDaysByRole: Partial<Record<Role, number>>
  /** Tokens unused for this many days are revoked; 0 turns the rule off. */
  inactivityDays: number
}

export const DEFAULT_LIFETIME_POLICY: TokenLifetimePolicy = Object.freeze({
  neverExpiresAllowed: true,
  maxDaysByRole: Object.freeze({}),
  inactivityDays: 0,
})

export const MAX_LIFETIME_DAYS = 36_500
export const MAX_INACTIVITY_DAYS = 3_650
const DAY_MS = 86_400_000

/**
 * The roles a maximum is judged by, loaded only when some role has a maximum: with none
 * (the default) creating a token or logging in asks the database nothing more.
 */
export async function rolesBoundBy(
  policy: TokenLifetimePolicy,
  load: () => Promise<Role[]>,
): Promise<Role[]> {
  return Object.keys(policy.maxDaysByRole).length > 0 ? load() : []
}

/** The tightest maximum among the roles a token carries, and the role that sets it. */
export function maxLifetimeOf(
  policy: TokenLifetimePolicy,
  roles: readonly Role[],
): { days: number; role: Role } | null {
  let tightest: { days: number; role: Role } | null = null
  for (const role of roles) {
    const days = policy.maxDaysByRole[role]
    if (days !== undefined && (tightest === null || days < tightest.days)) {
      tightest = { days, role }
    }
  }
  return tightest
}

/**
 * The last instant a token made now may expire at: the end of the UTC day `days` days
 * from today, so that "at most 30 days" admits the calendar date 30 days ahead (a date
 * means the token works through that whole day).
 */
export function latestExpiry(now: Date, days: number): Date {
  const startOfToday = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate())
  return new Date(startOfToday + (days + 1) * DAY_MS)
}

/**
 * A new token's expiry against the policy: nothing when allowed, else a 400 on
 * `expiresAt` that names the rule, so the person choosing knows what to pick instead.
 */
export function checkLifetime(
  policy: TokenLifetimePolicy,
  roles: readonly Role[],
  expiry: Expiry,
  now: Date,
): void {
  const max = maxLifetimeOf(policy, roles)
  const problem = lifetimeProblem(policy, max, expiry, now)
  if (problem) throw errors.validationFailed([{ field: 'expiresAt', message: problem }])
}

function lifetimeProblem(
  policy: TokenLifetimePolicy,
  max: { days: number; role: Role } | null,
  expiry: Expiry,
  now: Date,
): string | null {
  const within = max
    ? `a date at most ${max.days} days ahead (the longest an administrator allows for ${max.role} tokens)`
    : null
  if (expiry === NEVER_EXPIRES) {
    if (!policy.neverExpiresAllowed) {
      return `cannot be null: an administrator has turned Never Expires off; choose ${within ?? 'a date'}`
    }
    return max ? `cannot be null: choose ${within}` : null
  }
  if (max && expiry.getTime() > latestExpiry(now, max.days).getTime()) {
    return `is too far ahead: choose ${within}`
  }
  return null
}

/**
 * The expiry a rotated token gets: its predecessor's, brought within the policy as it is
 * now (a rotation never extends a token, and never outlives a tightened maximum).
 */
export function rotatedExpiry(
  policy: TokenLifetimePolicy,
  roles: readonly Role[],
  previous: Expiry,
  now: Date,
): Expiry {
  const max = maxLifetimeOf(policy, roles)
  const latest = max ? latestExpiry(now, max.days) : null
  if (previous === NEVER_EXPIRES) {
    if (latest) return latest
    if (!policy.neverExpiresAllowed) {
      throw errors.conflict(
        'This token never expires, and an administrator has turned Never Expires off: create a new token with an expiry date instead of rotating this one.',
      )
    }
    return previous
  }
  return latest && previous.getTime() > latest.getTime() ? latest : previous
}

/**
 * Seconds a token-endpoint token lives: the configured lifetime, cut to the tightest
 * maximum among its owner's roles (the endpoint answers it as `expires_in`).
 */
export function cappedLifetimeSeconds(
  policy: TokenLifetimePolicy,
  roles: readonly Role[],
  seconds: number,
  now: Date,
): number {
  const max = maxLifetimeOf(policy, roles)
  if (!max) return seconds
  const left = Math.floor((latestExpiry(now, max.days).getTime() - now.getTime()) / 1000)
  return Math.min(seconds, left)
}

/** A stored policy read back; anything malformed (hand-edited?) counts as the default. */
export function parseLifetimePolicy(json: string): TokenLifetimePolicy {
  const value = JSON.parse(json) as Partial<TokenLifetimePolicy>
  const days = (n: unknown, max: number) =>
    Number.isInteger(n) && (n as number) >= 1 && (n as number) <= max
  const maxDaysByRole: Partial<Record<Role, number>> = {}
  for (const role of ROLES) {
    const n = value.maxDaysByRole?.[role]
    if (days(n, MAX_LIFETIME_DAYS)) maxDaysByRole[role] = n as number
  }
  return {
    neverExpiresAllowed: value.neverExpiresAllowed !== false,
    maxDaysByRole,
    inactivityDays: days(value.inactivityDays, MAX_INACTIVITY_DAYS)
      ? (value.inactivityDays as number)
      : 0,
  }
}
