import { type Kysely, type Migration, Migrator } from 'kysely'
import * as m0001 from './migrations/0001_identity.ts'

/** Listed statically (not read from disk) so the set of migrations ships with the code. */
export const migrations: Record<string, Migration> = {
  '0001_identity': m0001,
}

export class SchemaTooNewError extends Error {}

export async function migrateToLatest(db: Kysely<any>): Promise<string[]> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } })
  const known = await migrator.getMigrations()
  const { error, results } = await migrator.migrateToLatest()
  if (error) {
    const message = error instanceof Error ? error.message : String(error)
    // Kysely refuses when the database has migrations this code does not know: that
    // means a newer apiops migrated it, and running older code against it is unsafe.
    if (/corrupted migrations/i.test(message) || /missing/i.test(message)) {
      throw new SchemaTooNewError(
        `The database schema is newer than this apiops build (it knows ${known.length} migrations). Upgrade apiops before starting it against this database. (${message})`,
      )
    }
    throw error
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName)
}
