import type { Kysely } from 'kysely'
import type { AuditSink } from '../audit/audit.recorder.ts'
import type { Clock } from '../clock.ts'
import type { EventBus } from '../cluster/events.ts'
import type { Database } from '../db/schema.ts'
import { revokeInactiveTokens } from '../identity/tokens/inactivity.ts'
import {
  DEFAULT_LIFETIME_POLICY,
  parseLifetimePolicy,
  type TokenLifetimePolicy,
} from '../identity/tokens/lifetime-policy.ts'
import {
  applyNotificationsChange,
  type ChangeContext,
  NO_NOTIFICATIONS,
  type NotificationsChange,
  type NotificationsView,
  notificationsView,
  parseStoredNotifications,
  type StoredNotifications,
} from '../notifications/notification-settings.ts'
import * as repo from './settings.repository.ts'

/** What an administrator can change at runtime, with its range. */
export const TOKEN_RATE_LIMIT = { key: 'tokenRateLimit', min: 0, max: 1_000_000 } as const
/** Whether gateways locate clients by address (see geolocation/); off until enabled. */
export const GEOLOCATION_ENABLED = 'geolocationEnabled'
export const TOKEN_LIFETIME_POLICY = 'tokenLifetimePolicy'
export const NOTIFICATIONS = 'notifications'

export interface SettingView {
  /** In force now. */
  value: number
  /** Where it comes from: an administrator's change, or the environment (the default). */
  source: 'administrator' | 'environment'
  /** The environment's value, which a reset returns to. */
  default: number
  updatedAt: string | null
  updatedBy: string | null
}

/** A setting with no environment variable behind it: where it comes from, and who set it. */
interface SetBy {
  source: 'administrator' | 'default'
  updatedAt: string | null
  updatedBy: string | null
}

export interface SettingsView {
  tokenRateLimit: SettingView
  tokenLifetimePolicy: SetBy & { value: TokenLifetimePolicy }
  notifications: SetBy & { value: NotificationsView }
}

/**
 * This node's runtime settings: read at start, and read again whenever any node says
 * they changed (or events may have been missed). Hot paths read plain fields, never
 * the database.
 */
export class RuntimeSettings {
  private stored = new Map<string, repo.SettingRow>()
  /** Requests per minute per API token; 0 means no limit. */
  tokenRateLimit: number
  geolocationEnabled = false
  tokenLifetime: TokenLifetimePolicy = DEFAULT_LIFETIME_POLICY
  /** Where reminders and alerts go; secrets still sealed. */
  notifications: StoredNotifications = NO_NOTIFICATIONS

  constructor(
    private readonly db: Kysely<Database>,
    private readonly defaults: { tokenRateLimit: number },
  ) {
    this.tokenRateLimit = defaults.tokenRateLimit
  }

  async reload(): Promise<void> {
    const rows = await repo.findSettings(this.db)
    this.stored = new Map(rows.map((row) => [row.key, row]))
    this.tokenRateLimit = this.number(TOKEN_RATE_LIMIT, this.defaults.tokenRateLimit)
    const geolocation = this.stored.get(GEOLOCATION_ENABLED)
    this.geolocationEnabled = geolocation !== undefined && JSON.parse(geolocation.value) === true
    const lifetime = this.stored.get(TOKEN_LIFETIME_POLICY)
    this.tokenLifetime = lifetime ? parseLifetimePolicy(lifetime.value) : DEFAULT_LIFETIME_POLICY
    const notifications = this.stored.get(NOTIFICATIONS)
    this.notifications = notifications
      ? parseStoredNotifications(notifications.value)
      : NO_NOTIFICATIONS
  }

  /** Reloads on every node's change; errors go to `onError` (the old values stay). */
  watch(events: EventBus, onError: (error: unknown) => void): () => void {
    return events.subscribe((event) => {
      if (event.type === 'settings.changed' || event.type === 'cache.flush') {
        this.reload().catch(onError)
      }
    })
  }

  view(): SettingsView {
    const row = this.stored.get(TOKEN_RATE_LIMIT.key)
    return {
      tokenRateLimit: {
        value: this.tokenRateLimit,
        source: row ? 'administrator' : 'environment',
        default: this.defaults.tokenRateLimit,
        updatedAt: row?.updated_at ?? null,
        updatedBy: row?.updated_by ?? null,
      },
      tokenLifetimePolicy: { value: this.tokenLifetime, ...this.setBy(TOKEN_LIFETIME_POLICY) },
      notifications: {
        value: notificationsView(this.notifications),
        ...this.setBy(NOTIFICATIONS),
      },
    }
  }

  private setBy(key: string): SetBy {
    const row = this.stored.get(key)
    return {
      source: row ? 'administrator' : 'default',
      updatedAt: row?.updated_at ?? null,
      updatedBy: row?.updated_by ?? null,
    }
  }

  /** A stored value that is not a whole number in range (hand-edited?) counts as unset. */
  private number(setting: { key: string; min: number; max: number }, fallback: number): number {
    const row = this.stored.get(setting.key)
    if (!row) return fallback
    const value: unknown = JSON.parse(row.value)
    return Number.isInteger(value) &&
      (value as number) >= setting.min &&
      (value as number) <= setting.max
      ? (value as number)
      : fallback
  }
}

export interface SettingsDeps {
  db: Kysely<Database>
  clock: Clock
  events: EventBus
  settings: RuntimeSettings
  audit: AuditSink
  /** How notification secrets are sealed, and which private hosts they may go to. */
  notify: ChangeContext
}

/** `null` returns a setting to its environment default. */
export interface SettingsChange {
  tokenRateLimit?: number | null
  /** The parts given replace the ones in force; null returns all of it to the default. */
  tokenLifetimePolicy?: Partial<TokenLifetimePolicy> | null
  /** The channels given replace the ones in force; null removes every channel. */
  notifications?: NotificationsChange | null
}

export async function updateSettings(
  deps: SettingsDeps,
  change: SettingsChange,
  actor: { username: string; tokenId: string | undefined },
): Promise<SettingsView> {
  const at = deps.clock.now().toISOString()
  const save = (key: string, value: unknown) =>
    value === null
      ? repo.deleteSetting(deps.db, key)
      : repo.saveSetting(deps.db, {
          key,
          value: JSON.stringify(value),
          updated_at: at,
          updated_by: actor.username,
        })
  if (change.tokenRateLimit !== undefined) await save(TOKEN_RATE_LIMIT.key, change.tokenRateLimit)
  const lifetime = change.tokenLifetimePolicy
  const notifications = change.notifications
  // A partial change merges into what is stored now, not into this node's last reload.
  if (lifetime !== undefined || notifications !== undefined) await deps.settings.reload()
  if (lifetime !== undefined) {
    await save(TOKEN_LIFETIME_POLICY, lifetime && { ...deps.settings.tokenLifetime, ...lifetime })
  }
  if (notifications !== undefined) {
    await save(
      NOTIFICATIONS,
      notifications &&
        applyNotificationsChange(deps.settings.notifications, notifications, deps.notify),
    )
  }
  // This node at once (the answer shows the result), then every other node.
  await deps.settings.reload()
  await deps.events.publish({ type: 'settings.changed' })
  deps.audit.record('settings.updated', { keys: Object.keys(change) })
  // A new inactivity limit applies now, not at the next housekeeping round.
  if (lifetime?.inactivityDays) {
    await revokeInactiveTokens(deps, deps.settings.tokenLifetime, actor.tokenId)
  }
  return deps.settings.view()
}
