import type { Kysely } from 'kysely'

// Frozen: never edit a migration that has shipped; add a new one instead.

const ts = 'varchar(24)'

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('proxy_groups')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('project_id', 'varchar(36)', (c) =>
      c.notNull().references('projects.id').onDelete('cascade'),
    )
    .addColumn('name', 'varchar(100)', (c) => c.notNull())
    .addColumn('description', 'varchar(1000)', (c) => c.notNull())
    .addColumn('client_route', 'text', (c) => c.notNull())
    // Bumped by every change, so a group deployment knows whether it is behind.
    .addColumn('revision', 'integer', (c) => c.notNull())
    .addColumn('created_at', ts, (c) => c.notNull())
    .addColumn('updated_at', ts, (c) => c.notNull())
    .addUniqueConstraint('proxy_groups_project_name_uq', ['project_id', 'name'])
    .execute()

  // Both sides cascade: deleting a proxy leaves its groups, deleting a group keeps its proxies.
  await db.schema
    .createTable('proxy_group_members')
    .addColumn('group_id', 'varchar(36)', (c) =>
      c.notNull().references('proxy_groups.id').onDelete('cascade'),
    )
    .addColumn('proxy_id', 'varchar(36)', (c) =>
      c.notNull().references('api_proxies.id').onDelete('cascade'),
    )
    .addColumn('added_at', ts, (c) => c.notNull())
    .addColumn('added_by', 'varchar(64)', (c) => c.notNull())
    .addPrimaryKeyConstraint('proxy_group_members_pk', ['group_id', 'proxy_id'])
    .execute()
  await db.schema
    .createIndex('proxy_group_members_proxy_idx')
    .on('proxy_group_members')
    .column('proxy_id')
    .execute()

  await db.schema
    .createTable('proxy_group_deployments')
    .addColumn('group_id', 'varchar(36)', (c) =>
      c.notNull().references('proxy_groups.id').onDelete('cascade'),
    )
    .addColumn('environment_id', 'varchar(36)', (c) =>
      c.notNull().references('environments.id').onDelete('cascade'),
    )
    .addColumn('revision', 'integer', (c) => c.notNull())
    .addColumn('deployed_at', ts, (c) => c.notNull())
    .addColumn('deployed_by', 'varchar(64)', (c) => c.notNull())
    .addPrimaryKeyConstraint('proxy_group_deployments_pk', ['group_id', 'environment_id'])
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['proxy_group_deployments', 'proxy_group_members', 'proxy_groups']) {
    await db.schema.dropTable(table).execute()
  }
}
