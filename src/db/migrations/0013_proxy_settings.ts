import type { Kysely } from 'kysely'

// Frozen: never edit a migration that has shipped; add a new one instead.

/**
 * The documented settings of an API proxy (cache, CORS, connection, NTLM, ...): one JSON
 * document per proxy, secrets inside it sealed. A proxy without a row has every
 * setting at its default. Its own table, so the api_proxies row stays what it was.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('proxy_settings')
    .addColumn('proxy_id', 'varchar(36)', (c) =>
      c.primaryKey().references('api_proxies.id').onDelete('cascade'),
    )
    .addColumn('settings', 'text', (c) => c.notNull())
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('proxy_settings').execute()
}
