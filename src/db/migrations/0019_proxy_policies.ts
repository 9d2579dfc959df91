import type { Kysely } from 'kysely'

// Frozen: never edit a migration that has shipped; add a new one instead.

const ts = 'varchar(24)'

/**
 * A proxy's policies: one row each, in the pipeline (REQUEST, RESPONSE, ERROR) of the
 * whole proxy (endpoint_id null) or of one endpoint, ordered by position inside that
 * list. Names are unique per proxy ignoring case (name_key), as the docs find a policy
 * by its name whatever the case.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('proxy_policies')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('proxy_id', 'varchar(36)', (c) =>
      c.notNull().references('api_proxies.id').onDelete('cascade'),
    )
    .addColumn('endpoint_id', 'varchar(36)', (c) =>
      c.references('proxy_endpoints.id').onDelete('cascade'),
    )
    .addColumn('name', 'varchar(200)', (c) => c.notNull())
    .addColumn('name_key', 'varchar(200)', (c) => c.notNull())
    .addColumn('pipeline', 'varchar(10)', (c) => c.notNull())
    .addColumn('type', 'varchar(100)', (c) => c.notNull())
    .addColumn('position', 'integer', (c) => c.notNull())
    // JSON: the policy object as sent, its secrets sealed (see policies.secrets.ts).
    .addColumn('policy', 'text', (c) => c.notNull())
    .addColumn('created_at', ts, (c) => c.notNull())
    .addColumn('updated_at', ts, (c) => c.notNull())
    .addUniqueConstraint('proxy_policies_name_uq', ['proxy_id', 'name_key'])
    .execute()
  // The list reads a proxy's policies in pipeline order; endpoint deletes cascade by this.
  await db.schema
    .createIndex('proxy_policies_list_idx')
    .on('proxy_policies')
    .columns(['proxy_id', 'endpoint_id', 'pipeline', 'position'])
    .execute()
  await db.schema
    .createIndex('proxy_policies_endpoint_idx')
    .on('proxy_policies')
    .column('endpoint_id')
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('proxy_policies').execute()
}
