import type { Kysely } from 'kysely'

// Frozen: never edit a migration that has shipped; add a new one instead.

const ts = 'varchar(24)'

/**
 * Failed logins, counted per key (`user:<name>`, `ip:<address>`) when no Redis is
 * configured: every node sharing the database shares the counts.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('login_attempts')
    .addColumn('key', 'varchar(200)', (c) => c.primaryKey())
    .addColumn('failures', 'integer', (c) => c.notNull())
    .addColumn('first_failure_at', ts, (c) => c.notNull())
    .addColumn('last_failure_at', ts, (c) => c.notNull())
    .addColumn('locked_until', ts)
    // When the count is forgotten: the window after the last failure or the lockout's end.
    .addColumn('expires_at', ts, (c) => c.notNull())
    .execute()
  await db.schema
    .createIndex('login_attempts_expires_idx')
    .on('login_attempts')
    .column('expires_at')
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('login_attempts').execute()
}
