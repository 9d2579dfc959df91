import type { Kysely } from 'kysely'

// Frozen: never edit a migration that has shipped; add a new one instead.
// JSON documents are stored as text on both engines (portable, and never queried inside).

const ts = 'varchar(24)'

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('environments')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('name', 'varchar(100)', (c) => c.notNull().unique())
    .addColumn('description', 'varchar(1000)', (c) => c.notNull())
    .addColumn('type', 'varchar(16)', (c) => c.notNull())
    .addColumn('access_url', 'varchar(2048)', (c) => c.notNull())
    .addColumn('created_at', ts, (c) => c.notNull())
    .addColumn('updated_at', ts, (c) => c.notNull())
    .execute()

  await db.schema
    .createTable('environment_projects')
    .addColumn('environment_id', 'varchar(36)', (c) =>
      c.notNull().references('environments.id').onDelete('cascade'),
    )
    .addColumn('project_id', 'varchar(36)', (c) =>
      c.notNull().references('projects.id').onDelete('cascade'),
    )
    .addPrimaryKeyConstraint('environment_projects_pk', ['environment_id', 'project_id'])
    .execute()
  await db.schema
    .createIndex('environment_projects_project_idx')
    .on('environment_projects')
    .column('project_id')
    .execute()

  await db.schema
    .createTable('api_proxies')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('project_id', 'varchar(36)', (c) =>
      c.notNull().references('projects.id').onDelete('cascade'),
    )
    .addColumn('name', 'varchar(100)', (c) => c.notNull())
    .addColumn('description', 'varchar(1000)', (c) => c.notNull())
    .addColumn('creation_type', 'varchar(16)', (c) => c.notNull())
    .addColumn('spec_url', 'varchar(2048)')
    .addColumn('client_route', 'text', (c) => c.notNull())
    .addColumn('routing', 'text', (c) => c.notNull())
    .addColumn('endpoints', 'text', (c) => c.notNull())
    // Bumped by every change, so a deployment knows whether it is behind.
    .addColumn('revision', 'integer', (c) => c.notNull())
    .addColumn('created_at', ts, (c) => c.notNull())
    .addColumn('updated_at', ts, (c) => c.notNull())
    .addUniqueConstraint('api_proxies_project_name_uq', ['project_id', 'name'])
    .execute()

  await db.schema
    .createTable('proxy_deployments')
    .addColumn('proxy_id', 'varchar(36)', (c) =>
      c.notNull().references('api_proxies.id').onDelete('cascade'),
    )
    .addColumn('environment_id', 'varchar(36)', (c) =>
      c.notNull().references('environments.id').onDelete('cascade'),
    )
    .addColumn('revision', 'integer', (c) => c.notNull())
    .addColumn('deployed_at', ts, (c) => c.notNull())
    .addColumn('deployed_by', 'varchar(64)', (c) => c.notNull())
    .addPrimaryKeyConstraint('proxy_deployments_pk', ['proxy_id', 'environment_id'])
    .execute()

  // History outlives the proxy and the environment: names are copied, not referenced.
  await db.schema
    .createTable('deployment_history')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('project_id', 'varchar(36)', (c) =>
      c.notNull().references('projects.id').onDelete('cascade'),
    )
    .addColumn('proxy_name', 'varchar(100)', (c) => c.notNull())
    .addColumn('environment_name', 'varchar(100)', (c) => c.notNull())
    .addColumn('action', 'varchar(16)', (c) => c.notNull())
    .addColumn('revision', 'integer', (c) => c.notNull())
    .addColumn('actor', 'varchar(64)', (c) => c.notNull())
    .addColumn('at', ts, (c) => c.notNull())
    .addColumn('success', 'integer', (c) => c.notNull())
    .addColumn('message', 'varchar(1000)', (c) => c.notNull())
    .execute()
  await db.schema
    .createIndex('deployment_history_proxy_idx')
    .on('deployment_history')
    .columns(['project_id', 'proxy_name', 'at'])
    .execute()

  await db.schema
    .createTable('connections')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('project_id', 'varchar(36)', (c) =>
      c.notNull().references('projects.id').onDelete('cascade'),
    )
    .addColumn('name', 'varchar(100)', (c) => c.notNull())
    .addColumn('type', 'varchar(32)', (c) => c.notNull())
    .addColumn('description', 'varchar(1000)', (c) => c.notNull())
    .addColumn('enabled', 'integer', (c) => c.notNull())
    .addColumn('settings', 'text', (c) => c.notNull())
    // AES-256-GCM; null when the connection has no secret.
    .addColumn('secret', 'text')
    .addColumn('created_at', ts, (c) => c.notNull())
    .addColumn('updated_at', ts, (c) => c.notNull())
    .addUniqueConstraint('connections_project_name_uq', ['project_id', 'name'])
    .execute()

  await db.schema
    .createTable('credentials')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('project_id', 'varchar(36)', (c) =>
      c.notNull().references('projects.id').onDelete('cascade'),
    )
    .addColumn('username', 'varchar(100)', (c) => c.notNull())
    .addColumn('email', 'varchar(320)', (c) => c.notNull())
    .addColumn('full_name', 'varchar(200)', (c) => c.notNull())
    .addColumn('description', 'varchar(1000)', (c) => c.notNull())
    .addColumn('enabled', 'integer', (c) => c.notNull())
    .addColumn('ip_list', 'text', (c) => c.notNull())
    .addColumn('expire_date', ts)
    .addColumn('password', 'text', (c) => c.notNull())
    .addColumn('created_at', ts, (c) => c.notNull())
    .addColumn('updated_at', ts, (c) => c.notNull())
    .addUniqueConstraint('credentials_project_username_uq', ['project_id', 'username'])
    .execute()

  await db.schema
    .createTable('certificates')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('project_id', 'varchar(36)', (c) =>
      c.notNull().references('projects.id').onDelete('cascade'),
    )
    .addColumn('name', 'varchar(100)', (c) => c.notNull())
    .addColumn('description', 'varchar(1000)', (c) => c.notNull())
    .addColumn('alias', 'varchar(100)', (c) => c.notNull())
    .addColumn('pem', 'text', (c) => c.notNull())
    .addColumn('private_key', 'text')
    .addColumn('subject', 'varchar(2000)', (c) => c.notNull())
    .addColumn('issuer', 'varchar(2000)', (c) => c.notNull())
    .addColumn('serial_number', 'varchar(128)', (c) => c.notNull())
    .addColumn('not_before', ts, (c) => c.notNull())
    .addColumn('not_after', ts, (c) => c.notNull())
    .addColumn('fingerprint_sha256', 'varchar(128)', (c) => c.notNull())
    .addColumn('created_at', ts, (c) => c.notNull())
    .addColumn('updated_at', ts, (c) => c.notNull())
    .addUniqueConstraint('certificates_project_name_uq', ['project_id', 'name'])
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of [
    'certificates',
    'credentials',
    'connections',
    'deployment_history',
    'proxy_deployments',
    'api_proxies',
    'environment_projects',
    'environments',
  ]) {
    await db.schema.dropTable(table).execute()
  }
}
