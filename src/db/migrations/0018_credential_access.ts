import { type Kysely, sql } from 'kysely'

// Frozen: never edit a migration that has shipped; add a new one instead.

const ts = 'varchar(24)'

export async function up(db: Kysely<any>): Promise<void> {
  // The gateway-side roles a credential carries (JSON string array), for the policies
  // that authorize by role; not apiops roles.
  await db.schema
    .alterTable('credentials')
    .addColumn('role_names', 'text', (c) => c.notNull().defaultTo('[]'))
    .execute()

  // Which proxies and groups a credential may call. One column per kind, each a foreign
  // key, so deleting a proxy or a group takes its grants with it.
  await db.schema
    .createTable('credential_access')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('credential_id', 'varchar(36)', (c) =>
      c.notNull().references('credentials.id').onDelete('cascade'),
    )
    .addColumn('proxy_id', 'varchar(36)', (c) => c.references('api_proxies.id').onDelete('cascade'))
    .addColumn('group_id', 'varchar(36)', (c) =>
      c.references('proxy_groups.id').onDelete('cascade'),
    )
    .addColumn('granted_at', ts, (c) => c.notNull())
    .addColumn('granted_by', 'varchar(64)', (c) => c.notNull())
    .addCheckConstraint(
      'credential_access_one_target',
      // Exactly one of the two targets.
      sql`(proxy_id is null) <> (group_id is null)`,
    )
    .execute()
  await db.schema
    .createIndex('credential_access_proxy_uq')
    .unique()
    .on('credential_access')
    .columns(['credential_id', 'proxy_id'])
    .execute()
  await db.schema
    .createIndex('credential_access_group_uq')
    .unique()
    .on('credential_access')
    .columns(['credential_id', 'group_id'])
    .execute()
  // Deleting a proxy or group finds its grants by these.
  await db.schema
    .createIndex('credential_access_proxy_idx')
    .on('credential_access')
    .column('proxy_id')
    .execute()
  await db.schema
    .createIndex('credential_access_group_idx')
    .on('credential_access')
    .column('group_id')
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('credential_access').execute()
  await db.schema.alterTable('credentials').dropColumn('role_names').execute()
}
