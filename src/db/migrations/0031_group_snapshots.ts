import type { Kysely } from 'kysely'

// Frozen: never edit a migration that has shipped; add a new one instead.

/**
 * A group deployment carries the snapshot of the group as deployed (its client route and
 * its members' snapshots), which the gateways serve under the group's relative path.
 * Group deployments made before this migration are served after their next redeploy.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('proxy_group_deployments').addColumn('snapshot', 'text').execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('proxy_group_deployments').dropColumn('snapshot').execute()
}
