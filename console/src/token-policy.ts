import type { Role, SettingSource, TokenView } from './api.ts'
import type { NotificationsChange } from './notifications.ts'

/*
 * The token lifetime policy as the console reads and changes it, and the token lists
 * with or without the token endpoint's short-lived tokens.
 */

/** What administrators decide about token lifetimes (src/settings). */
export interface TokenLifetimePolicy {
  neverExpiresAllowed: boolean
  /** The most days a token may live, per role; a role not named has no maximum. */
  maxDaysByRole: Partial<Record<Role, number>>
  /** Tokens unused this many days are revoked; 0: off. */
  inactivityDays: number
}

export interface PolicySettingView {
  value: TokenLifetimePolicy
  source: SettingSource
  updatedAt: string | null
  updatedBy: string | null
}

/** The policy as it applies to me (GET /apiops/me/token-policy/). */
export interface TokenPolicy extends TokenLifetimePolicy {
  /** The smallest maximum among my own roles; null: no maximum. */
  maxLifetimeDays: number | null
}

/** A PATCH of the settings: the fields given change, null returns one to its default. */
export interface SettingsChange {
  tokenRateLimit?: number | null
  tokenLifetimePolicy?: Partial<TokenLifetimePolicy> | null
  notifications?: NotificationsChange
}

/**
 * A token list of every source but the token endpoint's; with `shortLived`, those too
 * (`?source=api`, fetched beside it), newest first.
 */
export async function tokenLists(
  list: <T>(path: string) => Promise<T[]>,
  path: string,
  shortLived: boolean,
): Promise<TokenView[]> {
  const [kept, short] = await Promise.all([
    list<TokenView>(`${path}?size=1000`),
    shortLived ? list<TokenView>(`${path}?source=api&size=1000`) : [],
  ])
  return [...kept, ...short].sort((a, b) => b.createdAt.localeCompare(a.createdAt))
}
