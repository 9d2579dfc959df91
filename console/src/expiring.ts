import type { TokenView } from './api.ts'

/** How far ahead My Profile warns of an expiry (issue 14: 7 days, as the reminders do). */
export const SOON_MS = 7 * 86_400_000

/** An active token that stops within SOON_MS (a rotated one in its grace period included). */
export function expiresSoon(token: TokenView, now: Date): boolean {
  if (token.status !== 'active' || token.expiresAt === null) return false
  return Date.parse(token.expiresAt) - now.getTime() <= SOON_MS
}

/**
 * Tokens expiring soon first, soonest first; every other token after them, in the
 * order it came (the list's own, newest first).
 */
export function soonFirst(tokens: TokenView[], now: Date): TokenView[] {
  const soon = tokens
    .filter((t) => expiresSoon(t, now))
    .sort((a, b) => Date.parse(a.expiresAt ?? '') - Date.parse(b.expiresAt ?? ''))
  return [...soon, ...tokens.filter((t) => !expiresSoon(t, now))]
}
