import type { Kysely } from 'kysely'

// Frozen: never edit a migration that has shipped; add a new one instead.
// Two facts the audit log could not hold before (see src/audit/audit.fold.ts):
// - folded_count: on a summary event, how many failures of one kind from one address
//   were counted instead of written (null on every other event);
// - username_hash: for a failed login under a username no user has, a keyed hash of
//   what was typed (never the text itself), so repeated attempts can be correlated.
// One column per statement: SQLite's ALTER TABLE adds one at a time.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('audit_events').addColumn('folded_count', 'integer').execute()
  await db.schema.alterTable('audit_events').addColumn('username_hash', 'varchar(16)').execute()
  await db.schema
    .createIndex('audit_events_username_hash_idx')
    .on('audit_events')
    .columns(['username_hash', 'at'])
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('audit_events_username_hash_idx').execute()
  await db.schema.alterTable('audit_events').dropColumn('username_hash').execute()
  await db.schema.alterTable('audit_events').dropColumn('folded_count').execute()
}
