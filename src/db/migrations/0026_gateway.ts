import type { Kysely } from 'kysely'

// Frozen: never edit a migration that has shipped; add a new one instead.

const ts = 'varchar(24)'

/**
 * The data plane's view of a deployment. Each deployment row carries the snapshot of the
 * proxy as deployed (gateways serve it, never the live proxy rows), and each environment
 * a version that every deploy, redeploy and undeploy there moves on, in the same
 * transaction: a gateway node compares one number to know whether to reload.
 * Deployments made before this migration have no snapshot: served after a redeploy.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('proxy_deployments').addColumn('snapshot', 'text').execute()

  await db.schema
    .createTable('gateway_config_versions')
    .addColumn('environment_id', 'varchar(36)', (c) =>
      c.primaryKey().references('environments.id').onDelete('cascade'),
    )
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('changed_at', ts, (c) => c.notNull())
    .execute()

  // Gateway nodes that announced themselves, refreshed by a heartbeat.
  await db.schema
    .createTable('gateway_nodes')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('environment_id', 'varchar(36)', (c) =>
      c.notNull().references('environments.id').onDelete('cascade'),
    )
    .addColumn('address', 'varchar(300)', (c) => c.notNull())
    .addColumn('started_at', ts, (c) => c.notNull())
    .addColumn('last_seen_at', ts, (c) => c.notNull())
    // The configuration version the node serves.
    .addColumn('config_version', 'integer', (c) => c.notNull())
    .execute()
  await db.schema
    .createIndex('gateway_nodes_environment_idx')
    .on('gateway_nodes')
    .columns(['environment_id', 'last_seen_at'])
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('gateway_nodes').execute()
  await db.schema.dropTable('gateway_config_versions').execute()
  await db.schema.alterTable('proxy_deployments').dropColumn('snapshot').execute()
}
