import type { Kysely } from 'kysely'

// Frozen: never edit a migration that has shipped; add a new one instead.

/**
 * Rotation with a grace period: the old token may live on for a while, so the row must
 * say it was rotated (and into which token) apart from being revoked or expired; and a
 * rotation chain shares one id, so reusing an old secret can revoke every token of it.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('api_tokens').addColumn('rotated_to', 'varchar(64)').execute()
  await db.schema.alterTable('api_tokens').addColumn('chain_id', 'varchar(64)').execute()
  await db.schema.createIndex('api_tokens_chain').on('api_tokens').column('chain_id').execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('api_tokens_chain').execute()
  await db.schema.alterTable('api_tokens').dropColumn('chain_id').execute()
  await db.schema.alterTable('api_tokens').dropColumn('rotated_to').execute()
}
