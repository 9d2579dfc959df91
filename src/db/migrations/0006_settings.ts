import type { Kysely } from 'kysely'

// Frozen: never edit a migration that has shipped; add a new one instead.

/**
 * Settings an administrator changes at runtime (through the API), shared by every node.
 * A missing row means "the value from the environment".
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('settings')
    .addColumn('key', 'varchar(100)', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(24)', (c) => c.notNull())
    .addColumn('updated_by', 'varchar(64)')
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('settings').execute()
}
