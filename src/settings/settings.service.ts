import type { Kysely } from 'kysely'
import type { AuditSink } from '../audit/audit.recorder.ts'
import type { Clock } from '../clock.ts'
import type { EventBus } from '../cluster/events.ts'
import type { Database } from '../db/schema.ts'
import * as repo from './settings.repository.ts'

/** What an administrator can change at runtime, with its range. */
export const TOKEN_RATE_LIMIT = { key: 'tokenRateLimit', min: 0, max: 1_000_000 } as const
/** Whether gateways locate clients by address (see geolocation/); off until enabled. */
export const GEOLOCATION_ENABLED = 'geolocationEnabled'

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

export interface SettingsView {
  tokenRateLimit: SettingView
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
}

/** `null` returns a setting to its environment default. */
export interface SettingsChange {
  tokenRateLimit?: number | null
}

export async function updateSettings(
  deps: SettingsDeps,
  change: SettingsChange,
  actorUsername: string,
): Promise<SettingsView> {
  if (change.tokenRateLimit === null) {
    await repo.deleteSetting(deps.db, TOKEN_RATE_LIMIT.key)
  } else if (change.tokenRateLimit !== undefined) {
    await repo.saveSetting(deps.db, {
      key: TOKEN_RATE_LIMIT.key,
      value: JSON.stringify(change.tokenRateLimit),
      updated_at: deps.clock.now().toISOString(),
      updated_by: actorUsername,
    })
  }
  // This node at once (the answer shows the result), then every other node.
  await deps.settings.reload()
  await deps.events.publish({ type: 'settings.changed' })
  deps.audit.record('settings.updated', { keys: Object.keys(change) })
  return deps.settings.view()
}
