import { type Kysely, Migrator } from 'kysely'
import { createDb, type DbHandle, type Dialect } from '../src/db/create-db.ts'
import { migrations } from '../src/db/migrator.ts'
import { PG_URL } from './helpers.ts'
import { createThrowawaySchema } from './pg-schema.ts'

/**
 * A fresh database (SQLite in memory, or a PostgreSQL schema of its own) migrated up to
 * and including `last`, so a migration test can store rows the way they were before the
 * migration it checks.
 */
export async function storeMigratedTo(
  dialect: Dialect,
  last: string,
): Promise<{ store: DbHandle; drop(): Promise<void> }> {
  const schema =
    dialect === 'postgres' ? await createThrowawaySchema(PG_URL as string, 'mig') : null
  const store = createDb({ databaseUrl: schema?.url, sqlitePath: ':memory:', dataDir: '' })
  const migrator = new Migrator({
    db: store.db as Kysely<unknown>,
    provider: { getMigrations: async () => migrations },
    ...(schema ? { migrationTableSchema: schema.name } : {}),
  })
  const { error } = await migrator.migrateTo(last)
  if (error) throw error
  return {
    store,
    async drop() {
      await store.close()
      await schema?.drop()
    },
  }
}
