import { systemClock } from './clock.ts'
import { createLocalBus, type EventBus } from './cluster/events.ts'
import { createPgBus, type PgBusLogger } from './cluster/pg-bus.ts'
import type { Config } from './config.ts'
import { createDb, type DbHandle } from './db/create-db.ts'
import { migrateToLatest } from './db/migrator.ts'
import { buildKeyRing, type KeyRing, loadMasterSecret } from './keys.ts'

export interface Runtime {
  config: Config
  store: DbHandle
  keys: KeyRing
  events: EventBus
  clock: typeof systemClock
  createdKeyFile: string | null
  appliedMigrations: string[]
  close(): Promise<void>
}

/**
 * What the server and the CLI both stand on: the store (migrated), the keys, and the
 * event bus, so a revocation from the CLI reaches running servers on PostgreSQL too.
 */
export async function openRuntime(config: Config, log: PgBusLogger): Promise<Runtime> {
  const { secret, createdKeyFile } = loadMasterSecret(config)
  const keys = buildKeyRing(secret, config.previousSecretKeys)
  const store = createDb({ databaseUrl: config.databaseUrl, dataDir: config.dataDir })
  let appliedMigrations: string[]
  try {
    appliedMigrations = await migrateToLatest(store.db)
  } catch (error) {
    await store.close()
    throw error
  }
  const events = store.pgPool ? createPgBus(store.pgPool, log) : createLocalBus()
  return {
    config,
    store,
    keys,
    events,
    clock: systemClock,
    createdKeyFile,
    appliedMigrations,
    async close() {
      await events.close()
      await store.close()
    },
  }
}
