import type { Kysely } from 'kysely'

// Frozen: never edit a migration that has shipped; add a new one instead.
// The audit log outlives what it mentions: user ids, usernames and token ids are copied,
// never foreign keys, so deleting a user or purging a token keeps its history readable.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('audit_events')
    // Time-ordered (milliseconds, a per-process counter, then random bits): see audit.service.ts.
    .addColumn('id', 'varchar(32)', (c) => c.primaryKey())
    .addColumn('at', 'varchar(24)', (c) => c.notNull())
    .addColumn('actor_user_id', 'varchar(36)')
    .addColumn('actor_username', 'varchar(64)')
    .addColumn('token_id', 'varchar(32)')
    .addColumn('client_ip', 'varchar(64)', (c) => c.notNull())
    .addColumn('user_agent', 'varchar(512)', (c) => c.notNull())
    .addColumn('action', 'varchar(100)', (c) => c.notNull())
    .addColumn('target', 'varchar(500)', (c) => c.notNull())
    .addColumn('outcome', 'varchar(16)', (c) => c.notNull())
    .addColumn('status', 'integer', (c) => c.notNull())
    .execute()
  // Newest first over everything (the admin page, the retention purge)...
  await db.schema.createIndex('audit_events_at_idx').on('audit_events').column('at').execute()
  // ...and per person (My Profile's Activity, the admin's user filter).
  await db.schema
    .createIndex('audit_events_actor_idx')
    .on('audit_events')
    .columns(['actor_user_id', 'at'])
    .execute()
  await db.schema
    .createIndex('audit_events_username_idx')
    .on('audit_events')
    .columns(['actor_username', 'at'])
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('audit_events').execute()
}
