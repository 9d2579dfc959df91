import { type Kysely, sql } from 'kysely'
import { isPostgres } from './is-postgres.ts'

// Frozen: never edit a migration that has shipped; add a new one instead.

const ts = 'varchar(24)'

export async function up(db: Kysely<any>): Promise<void> {
  // Keys and keystores hold one entry per environment; the entries (their secrets sealed
  // one by one) live in a JSON column, as they are always read and written whole.
  for (const table of ['crypto_keys', 'keystores']) {
    let create = db.schema
      .createTable(table)
      .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
      .addColumn('project_id', 'varchar(36)', (c) =>
        c.notNull().references('projects.id').onDelete('cascade'),
      )
      .addColumn('name', 'varchar(100)', (c) => c.notNull())
      .addColumn('description', 'varchar(1000)', (c) => c.notNull())
    if (table === 'crypto_keys')
      create = create.addColumn('key_type', 'varchar(16)', (c) => c.notNull())
    await create
      .addColumn('environments', 'text', (c) => c.notNull())
      .addColumn('created_at', ts, (c) => c.notNull())
      .addColumn('updated_at', ts, (c) => c.notNull())
      // Also the list's index: a project's keys (keystores) in name order.
      .addUniqueConstraint(`${table}_project_name_uq`, ['project_id', 'name'])
      .execute()
    // Lists sort by name in code point order on both dialects (as 0009 does for the others).
    if (await isPostgres(db)) {
      await sql
        .raw(`ALTER TABLE ${table} ALTER COLUMN name TYPE varchar(100) COLLATE "C"`)
        .execute(db)
    }
    await db.schema
      .createIndex(`${table}_created_idx`)
      .on(table)
      .columns(['project_id', 'created_at', 'name'])
      .execute()
  }
  // The documented environmentList of a certificate (JSON array of environment ids);
  // null, as for every certificate stored before, means every environment of the project.
  await db.schema.alterTable('certificates').addColumn('environment_ids', 'text').execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('certificates').dropColumn('environment_ids').execute()
  await db.schema.dropTable('keystores').execute()
  await db.schema.dropTable('crypto_keys').execute()
}
