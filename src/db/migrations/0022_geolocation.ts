import type { Kysely } from 'kysely'
import { isPostgres } from './is-postgres.ts'

// Frozen: never edit a migration that has shipped; add a new one instead.

const ts = 'varchar(24)'

export async function up(db: Kysely<any>): Promise<void> {
  // The one MaxMind database every gateway node locates clients with: in the database,
  // so a node that starts later (or elsewhere) reads the same file.
  await db.schema
    .createTable('geolocation_database')
    .addColumn('id', 'varchar(16)', (c) => c.primaryKey())
    .addColumn('file_name', 'varchar(255)', (c) => c.notNull())
    .addColumn('content', (await isPostgres(db)) ? 'bytea' : 'blob', (c) => c.notNull())
    .addColumn('size', 'integer', (c) => c.notNull())
    .addColumn('sha256', 'varchar(64)', (c) => c.notNull())
    .addColumn('database_type', 'varchar(200)', (c) => c.notNull())
    .addColumn('ip_version', 'integer', (c) => c.notNull())
    .addColumn('build_epoch', ts, (c) => c.notNull())
    .addColumn('uploaded_at', ts, (c) => c.notNull())
    .addColumn('uploaded_by', 'varchar(64)', (c) => c.notNull())
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('geolocation_database').execute()
}
