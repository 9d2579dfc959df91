import type { Kysely } from 'kysely'

// Frozen: never edit a migration that has shipped; add a new one instead.

/**
 * When a variable the deployed proxy refers to (`${NAME}`) changed value in that
 * environment since the deploy; null again at the next deploy there. The proxy's
 * revision cannot say it (the proxy did not change, and a variable changes per
 * environment), so the deployment row carries it.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('proxy_deployments')
    .addColumn('variables_changed_at', 'varchar(24)')
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('proxy_deployments').dropColumn('variables_changed_at').execute()
}
