import type { Kysely } from 'kysely'
import { isPostgres } from './is-postgres.ts'

// Frozen: never edit a migration that has shipped; add a new one instead.

/**
 * The spec document a proxy was made from, byte for byte (an export carries it, so an
 * import elsewhere needs no fetch). One row per proxy at most; REVERSE_PROXY has none.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const bytes = (await isPostgres(db)) ? 'bytea' : 'blob'
  await db.schema
    .createTable('proxy_spec_files')
    .addColumn('proxy_id', 'varchar(36)', (c) =>
      c.primaryKey().references('api_proxies.id').onDelete('cascade'),
    )
    .addColumn('file_name', 'varchar(255)', (c) => c.notNull())
    .addColumn('content_type', 'varchar(200)', (c) => c.notNull())
    .addColumn('kind', 'varchar(16)', (c) => c.notNull())
    .addColumn('sha256', 'varchar(64)', (c) => c.notNull())
    .addColumn('size', 'integer', (c) => c.notNull())
    .addColumn('content', bytes, (c) => c.notNull())
    .addColumn('stored_at', 'varchar(40)', (c) => c.notNull())
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('proxy_spec_files').execute()
}
