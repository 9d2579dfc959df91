import type { Kysely } from 'kysely'

// Frozen: never edit a migration that has shipped; add a new one instead.

const ts = 'varchar(24)'

export async function up(db: Kysely<any>): Promise<void> {
  // Rate limit control lists: a project's named rate limits for chosen credentials.
  await db.schema
    .createTable('rlcls')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('project_id', 'varchar(36)', (c) =>
      c.notNull().references('projects.id').onDelete('cascade'),
    )
    .addColumn('name', 'varchar(100)', (c) => c.notNull())
    .addColumn('description', 'varchar(1000)', (c) => c.notNull())
    // The documented settings (enabled, executionOrder, cache and window, targetVariable).
    .addColumn('settings', 'text', (c) => c.notNull())
    // The documented condition ({conditionRuleList}); null: none (the list always applies).
    .addColumn('condition', 'text')
    .addColumn('created_at', ts, (c) => c.notNull())
    .addColumn('updated_at', ts, (c) => c.notNull())
    // Also the list's index: a project's RLCLs in name order.
    .addUniqueConstraint('rlcls_project_name_uq', ['project_id', 'name'])
    .execute()

  // Its credentials: deleting a credential takes it out of every list.
  await db.schema
    .createTable('rlcl_credentials')
    .addColumn('rlcl_id', 'varchar(36)', (c) =>
      c.notNull().references('rlcls.id').onDelete('cascade'),
    )
    .addColumn('credential_id', 'varchar(36)', (c) =>
      c.notNull().references('credentials.id').onDelete('cascade'),
    )
    .addColumn('position', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('rlcl_credentials_pk', ['rlcl_id', 'credential_id'])
    .execute()
  await db.schema
    .createIndex('rlcl_credentials_credential_idx')
    .on('rlcl_credentials')
    .column('credential_id')
    .execute()

  // Its rate limits: one per proxy and endpoint, or per whole proxy (endpoint_key 'ALL').
  await db.schema
    .createTable('rlcl_endpoints')
    .addColumn('rlcl_id', 'varchar(36)', (c) =>
      c.notNull().references('rlcls.id').onDelete('cascade'),
    )
    .addColumn('proxy_id', 'varchar(36)', (c) =>
      c.notNull().references('api_proxies.id').onDelete('cascade'),
    )
    .addColumn('endpoint_id', 'varchar(36)', (c) =>
      c.references('proxy_endpoints.id').onDelete('cascade'),
    )
    // endpoint_id, or 'ALL': a key that is never null, so the primary key holds.
    .addColumn('endpoint_key', 'varchar(36)', (c) => c.notNull())
    .addColumn('limits', 'text', (c) => c.notNull())
    .addColumn('position', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('rlcl_endpoints_pk', ['rlcl_id', 'proxy_id', 'endpoint_key'])
    .execute()
  await db.schema
    .createIndex('rlcl_endpoints_proxy_idx')
    .on('rlcl_endpoints')
    .column('proxy_id')
    .execute()
  await db.schema
    .createIndex('rlcl_endpoints_endpoint_idx')
    .on('rlcl_endpoints')
    .column('endpoint_id')
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['rlcl_endpoints', 'rlcl_credentials', 'rlcls']) {
    await db.schema.dropTable(table).execute()
  }
}
