import { type Kysely, sql } from 'kysely'

// Frozen: never edit a migration that has shipped; add a new one instead.

/**
 * Expiry reminders: users get an email address to be told at; each reminder is claimed
 * once per token and threshold (the primary key makes a second claim fail on any node);
 * and leases let one node of a cluster run a periodic job while the others wait.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('users').addColumn('email', 'varchar(254)').execute()
  await db.schema
    .createTable('token_reminders')
    .addColumn('token_id', 'varchar(64)', (c) =>
      c.notNull().references('api_tokens.id').onDelete('cascade'),
    )
    .addColumn('threshold', 'varchar(80)', (c) => c.notNull())
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
    .addPrimaryKeyConstraint('token_reminders_pk', ['token_id', 'threshold'])
    .execute()
  await db.schema
    .createTable('leases')
    .addColumn('name', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('holder', 'varchar(128)', (c) => c.notNull())
    .addColumn('expires_at', 'varchar(32)', (c) => c.notNull())
    .execute()
  // The reminder round's search: live tokens by expiry, whoever owns them.
  await sql
    .raw(
      'CREATE INDEX api_tokens_live_expiry_idx ON api_tokens (expires_at) WHERE revoked_at IS NULL AND kind IS NULL',
    )
    .execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql.raw('DROP INDEX IF EXISTS api_tokens_live_expiry_idx').execute(db)
  await db.schema.dropTable('leases').execute()
  await db.schema.dropTable('token_reminders').execute()
  await db.schema.alterTable('users').dropColumn('email').execute()
}
