import type { Kysely } from 'kysely'

// Frozen: never edit a migration that has shipped; add a new one instead.

/**
 * Canary tokens: rows like any token's (so the token string looks like any other), told
 * apart by kind; NULL is an ordinary personal token.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('api_tokens').addColumn('kind', 'varchar(16)').execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('api_tokens').dropColumn('kind').execute()
}
