import type { AuditOutcome, TokenSource, TokenStatus } from './api.ts'
import { now as clockNow } from './clock.ts'

/** Dates and times in the reader's own locale and time zone. */
const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' })
const dateOnly = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' })
const timeOnly = new Intl.DateTimeFormat(undefined, { timeStyle: 'short' })

export function formatDateTime(iso: string): string {
  return dateTime.format(new Date(iso))
}

export function formatDate(iso: string): string {
  return dateOnly.format(new Date(iso))
}

export function formatTime(iso: string): string {
  return timeOnly.format(new Date(iso))
}

export const SOURCE_LABEL: Record<TokenSource, string> = {
  console: 'Console',
  api: 'API',
  cli: 'CLI',
}

export const STATUS_LABEL: Record<TokenStatus, string> = {
  active: 'Active',
  expired: 'Expired',
  revoked: 'Revoked',
}

/** A local calendar date as YYYY-MM-DD (what <input type="date"> speaks). */
export function isoDay(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`
}

export function tomorrow(now = clockNow()): string {
  return isoDay(new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1))
}

/**
 * The short form of a token id (its first 8 hex characters), the same wherever the
 * console names a token: token lists, the audit log, Activity.
 */
export function shortTokenId(id: string): string {
  return id.slice(0, 8)
}

/** A UTC calendar day in the reader's format ("Dec 15, 2026"), whatever their time zone. */
const utcDay = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeZone: 'UTC' })

/** Whether a token's expiry is a calendar day ("valid through"): midnight UTC after it. */
function isDayExpiry(at: Date): boolean {
  return at.getUTCHours() === 0 && at.getUTCMinutes() === 0 && at.getUTCSeconds() === 0
}

const DAY_MS = 86_400_000

/**
 * A token's expiry in words. A calendar-date expiry (the server stores midnight UTC after
 * the chosen day) reads "valid through Dec 15, 2026 (UTC)", naming the last day it works;
 * any other instant reads as a date and time in the reader's zone.
 */
export function formatExpiry(iso: string | null): string {
  if (iso === null) return 'Never expires'
  const at = new Date(iso)
  if (isDayExpiry(at)) {
    return `valid through ${utcDay.format(new Date(at.getTime() - DAY_MS))} (UTC)`
  }
  return `expires ${formatDateTime(iso)}`
}

/**
 * "Expires today", "Expires tomorrow", "Expires in 3 days": how soon, in whole calendar
 * days. A "valid through" token counts to its last UTC day (as its date reads); any other
 * instant counts in the reader's own days.
 */
export function expiresIn(iso: string, now: Date): string {
  const at = new Date(iso)
  const days = isDayExpiry(at)
    ? utcDayNumber(new Date(at.getTime() - DAY_MS)) - utcDayNumber(now)
    : localDayNumber(at) - localDayNumber(now)
  if (days <= 0) return 'Expires today'
  return days === 1 ? 'Expires tomorrow' : `Expires in ${days} days`
}

/** Calendar days since 1970, by UTC or by the reader's own calendar. */
const utcDayNumber = (d: Date) =>
  Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()) / DAY_MS
const localDayNumber = (d: Date) => Date.UTC(d.getFullYear(), d.getMonth(), d.getDate()) / DAY_MS

/** Today in UTC plus some days, as YYYY-MM-DD: the token works through that whole UTC day. */
export function utcDayFromNow(days: number, now = clockNow()): string {
  return new Date(now.getTime() + days * 86_400_000).toISOString().slice(0, 10)
}

/** A token "valid through YYYY-MM-DD" stops at the next midnight UTC. */
export function endOfUtcDay(day: string): Date {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number]
  return new Date(Date.UTC(y, m - 1, d + 1))
}

/** The kinds of failure the server folds, in plain words (its error codes otherwise). */
const FOLDED_KIND: Record<string, string> = {
  bad_credentials: 'failed logins',
  invalid_token: 'requests with an invalid token',
  token_expired: 'requests with an expired token',
  forbidden: 'denied requests',
  rate_limit_exceeded: 'throttled requests',
  not_found: 'requests for something that does not exist',
  validation_failed: 'invalid requests',
}

const FOLDED = /^(\d+) more (\S+) from (.+) between (\S+) and (\S+)/

/** How long from one instant to another, roughly: "in 40 s", "in 1 min", "in 3 h". */
function span(fromIso: string, toIso: string): string {
  const seconds = Math.max(0, Math.round((Date.parse(toIso) - Date.parse(fromIso)) / 1000))
  if (!Number.isFinite(seconds)) return ''
  if (seconds < 60) return seconds === 0 ? 'at once' : `in ${seconds} s`
  const minutes = Math.round(seconds / 60)
  if (minutes < 120) return `in ${minutes} min`
  return `in ${Math.round(minutes / 60)} h`
}

/**
 * A summary of folded failures in words: "37 more failed logins from 203.0.113.9 in
 * 1 min". The server's target text otherwise (it always says the same, less kindly).
 */
export function foldedSummary(target: string): string | null {
  const match = FOLDED.exec(target)
  if (!match) return null
  const [, count, kind = '', from, first = '', last = ''] = match
  const what = FOLDED_KIND[kind] ?? `failures (${kind})`
  return `${count} more ${what} from ${from} ${span(first, last)}`
}

/**
 * What an audited event means, in plain words: the server's own catalogue, imported
 * (a module without imports, so nothing of the server comes along). Rows recorded
 * before the catalogue keep their old names, put in words.
 */
export { auditLabel as actionLabel } from '../../src/audit/events.ts'

export const OUTCOME_LABEL: Record<AuditOutcome, string> = {
  success: 'Succeeded',
  failure: 'Failed',
  denied: 'Denied',
}

/** The first product of a user agent ("curl/8.5.0", "Chrome 126"), enough to tell them apart. */
export function shortUserAgent(userAgent: string): string {
  if (!userAgent) return ''
  if (userAgent.startsWith('Mozilla/')) {
    for (const [name, pattern] of [
      ['Edge', /Edg\/(\d+)/],
      ['Firefox', /Firefox\/(\d+)/],
      ['Chrome', /Chrome\/(\d+)/],
      ['Safari', /Version\/(\d+).*Safari\//],
    ] as const) {
      const match = pattern.exec(userAgent)
      if (match) return `${name} ${match[1]}`
    }
  }
  return userAgent.split(' ')[0]?.slice(0, 40) ?? ''
}
