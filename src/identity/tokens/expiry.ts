/**
 * When a token stops working: an instant, or "Never Expires" (the seed's words). The
 * database stores never as a NULL expires_at and the API answers it as `expiresAt: null`;
 * both convert here, so code that decides expiry never reads a bare null.
 */
export const NEVER_EXPIRES = 'never-expires'
export type NeverExpires = typeof NEVER_EXPIRES
export type Expiry = Date | NeverExpires

/** The expires_at column (NULL: never) as an Expiry. */
export function expiryFromColumn(column: string | null): Expiry {
  return column === null ? NEVER_EXPIRES : new Date(column)
}

/** An Expiry as the expires_at column (and the API's `expiresAt`) spell it. */
export function expiryToColumn(expiry: Expiry): string | null {
  return expiry === NEVER_EXPIRES ? null : expiry.toISOString()
}

/** The instant in ms; never is +Infinity, so `expiresAtMs <= now` is the whole test. */
export function expiryMs(column: string | null): number {
  return column === null ? Number.POSITIVE_INFINITY : Date.parse(column)
}
