import { type Kysely, sql } from 'kysely'
import { isPostgres } from './is-postgres.ts'

// Frozen: never edit a migration that has shipped; add a new one instead.

const ts = 'varchar(24)'

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('jwks')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('project_id', 'varchar(36)', (c) =>
      c.notNull().references('projects.id').onDelete('cascade'),
    )
    .addColumn('name', 'varchar(100)', (c) => c.notNull())
    .addColumn('description', 'varchar(1000)', (c) => c.notNull())
    .addColumn('source_type', 'varchar(16)', (c) => c.notNull())
    .addColumn('source_id', 'varchar(36)')
    .addColumn('source_url', 'varchar(2048)')
    .addColumn('type', 'varchar(8)', (c) => c.notNull())
    .addColumn('kid', 'varchar(200)')
    .addColumn('use_type', 'varchar(16)')
    .addColumn('algorithm', 'varchar(32)')
    // The public members as JSON; the private ones sealed (src/sealed.ts), bound to the row.
    .addColumn('public_jwk', 'text', (c) => c.notNull())
    .addColumn('private_jwk', 'text')
    .addColumn('not_before', ts)
    .addColumn('expires_at', ts)
    .addColumn('created_at', ts, (c) => c.notNull())
    .addColumn('updated_at', ts, (c) => c.notNull())
    // Also the list's index: a project's JWKs in name order.
    .addUniqueConstraint('jwks_project_name_uq', ['project_id', 'name'])
    .execute()
  // Lists sort in code point order on both dialects (as 0009 does for the others).
  if (await isPostgres(db)) {
    await sql`ALTER TABLE jwks ALTER COLUMN name TYPE varchar(100) COLLATE "C"`.execute(db)
    await sql`ALTER TABLE jwks ALTER COLUMN type TYPE varchar(8) COLLATE "C"`.execute(db)
  }
  // The list's other sorts, each with the name breaking ties.
  await db.schema
    .createIndex('jwks_type_idx')
    .on('jwks')
    .columns(['project_id', 'type', 'name'])
    .execute()
  await db.schema
    .createIndex('jwks_created_idx')
    .on('jwks')
    .columns(['project_id', 'created_at', 'name'])
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('jwks').execute()
}
