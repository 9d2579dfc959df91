import type { Kysely } from 'kysely'

// Frozen: never edit a migration that has shipped; add a new one instead.

const ts = 'varchar(24)'

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('ip_groups')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('project_id', 'varchar(36)', (c) =>
      c.notNull().references('projects.id').onDelete('cascade'),
    )
    .addColumn('name', 'varchar(100)', (c) => c.notNull())
    .addColumn('description', 'varchar(1000)', (c) => c.notNull())
    .addColumn('created_at', ts, (c) => c.notNull())
    .addColumn('updated_at', ts, (c) => c.notNull())
    // Also the list's index: a project's groups in name order.
    .addUniqueConstraint('ip_groups_project_name_uq', ['project_id', 'name'])
    .execute()

  // One row per address or range, in its canonical text, so the key refuses a duplicate
  // however it was spelled; position keeps the order they were given in.
  await db.schema
    .createTable('ip_group_entries')
    .addColumn('group_id', 'varchar(36)', (c) =>
      c.notNull().references('ip_groups.id').onDelete('cascade'),
    )
    .addColumn('entry', 'varchar(64)', (c) => c.notNull())
    .addColumn('position', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('ip_group_entries_pk', ['group_id', 'entry'])
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('ip_group_entries').execute()
  await db.schema.dropTable('ip_groups').execute()
}
