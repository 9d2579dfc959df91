import { type Kysely, sql } from 'kysely'
import { isPostgres } from './is-postgres.ts'

// Frozen: never edit a migration that has shipped; add a new one instead.

const ts = 'varchar(24)'

/**
 * Environment variables of a project: one value for every environment (global) or one
 * per environment. A value is stored in clear only when it is visible; a secret one is
 * sealed (AES-256-GCM, bound to its row and environment) and its clear column is null.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('environment_variables')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('project_id', 'varchar(36)', (c) =>
      c.notNull().references('projects.id').onDelete('cascade'),
    )
    .addColumn('name', 'varchar(100)', (c) => c.notNull())
    .addColumn('description', 'varchar(1000)', (c) => c.notNull())
    // 1: one value for every environment (global_*); 0: values per environment.
    .addColumn('global', 'integer', (c) => c.notNull())
    .addColumn('global_visible', 'integer', (c) => c.notNull())
    .addColumn('global_value', 'text')
    .addColumn('global_secret', 'text')
    .addColumn('created_at', ts, (c) => c.notNull())
    .addColumn('updated_at', ts, (c) => c.notNull())
    .addUniqueConstraint('environment_variables_project_name_uq', ['project_id', 'name'])
    .execute()
  // Lists sort by name in code point order on both dialects (as 0009 does for the others).
  if (await isPostgres(db)) {
    await sql`ALTER TABLE environment_variables ALTER COLUMN name TYPE varchar(100) COLLATE "C"`.execute(
      db,
    )
  }

  await db.schema
    .createTable('environment_variable_values')
    .addColumn('variable_id', 'varchar(36)', (c) =>
      c.notNull().references('environment_variables.id').onDelete('cascade'),
    )
    .addColumn('environment_id', 'varchar(36)', (c) =>
      c.notNull().references('environments.id').onDelete('cascade'),
    )
    .addColumn('visible', 'integer', (c) => c.notNull())
    .addColumn('value', 'text')
    .addColumn('secret', 'text')
    .addPrimaryKeyConstraint('environment_variable_values_pk', ['variable_id', 'environment_id'])
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('environment_variable_values').execute()
  await db.schema.dropTable('environment_variables').execute()
}
