import { type Kysely, sql } from 'kysely'
import { isPostgres } from './is-postgres.ts'

// Frozen: never edit a migration that has shipped; add a new one instead.
// Lists page, sort and filter in the database (src/http/lists.ts): each sort a list
// offers, and each filter, has an index whose order is the list's order (the sort field,
// then the field that breaks ties), so a page reads only its own rows.
// - Nullable sort fields are ordered as coalesce(field, ''): null first ascending, last
//   descending, as the lists always answered, on both engines, and indexable.
// - PostgreSQL compares text by the database's locale unless told otherwise; the names
//   lists sort by get the "C" collation (code point order), the order the lists always
//   had and the one SQLite's BINARY gives, whatever locale the server was created with.
// - A proxy's route paths get a table of their own, unique per project, so checking
//   that a route is free is one index lookup instead of reading every proxy.

/** [table, column, type] of the text columns a list sorts by. */
export const SORTED_TEXT: readonly [string, string, string][] = [
  ['projects', 'name', 'varchar(100)'],
  ['users', 'username', 'varchar(64)'],
  ['environments', 'name', 'varchar(100)'],
  ['environments', 'type', 'varchar(16)'],
  ['api_proxies', 'name', 'varchar(100)'],
  ['connections', 'name', 'varchar(100)'],
  ['connections', 'type', 'varchar(32)'],
  ['credentials', 'username', 'varchar(100)'],
  ['credentials', 'email', 'varchar(320)'],
  ['credentials', 'full_name', 'varchar(200)'],
  ['certificates', 'name', 'varchar(100)'],
  ['certificates', 'alias', 'varchar(100)'],
  ['api_tokens', 'name', 'varchar(100)'],
  ['deployment_history', 'environment_name', 'varchar(100)'],
]

/** name -> "table (key, ...)": every index a list's sort or filter uses. */
export const LIST_INDEXES: Record<string, string> = {
  projects_created_idx: 'projects (created_at, name)',
  users_created_idx: 'users (created_at, username)',
  project_members_added_idx: 'project_members (project_id, added_at)',
  api_tokens_user_created_idx: 'api_tokens (user_id, created_at, id)',
  api_tokens_user_name_idx: 'api_tokens (user_id, name)',
  api_tokens_user_expires_idx: "api_tokens (user_id, coalesce(expires_at, ''))",
  api_tokens_user_last_used_idx: "api_tokens (user_id, coalesce(last_used_at, ''))",
  environments_type_idx: 'environments (type, name)',
  environments_created_idx: 'environments (created_at, name)',
  api_proxies_path_idx: 'api_proxies (project_id, relative_path, name)',
  deployment_history_environment_idx:
    'deployment_history (project_id, proxy_name, environment_name, at)',
  connections_type_idx: 'connections (project_id, type, name)',
  connections_created_idx: 'connections (project_id, created_at, name)',
  connections_updated_idx: 'connections (project_id, updated_at, name)',
  credentials_email_idx: 'credentials (project_id, email, username)',
  credentials_full_name_idx: 'credentials (project_id, full_name, username)',
  credentials_expire_idx: "credentials (project_id, coalesce(expire_date, ''), username)",
  credentials_created_idx: 'credentials (project_id, created_at, username)',
  certificates_alias_idx: 'certificates (project_id, alias, name)',
  certificates_not_after_idx: 'certificates (project_id, not_after, name)',
  certificates_created_idx: 'certificates (project_id, created_at, name)',
  // The audit log's order is (at, id): keyset pages seek straight to their first row.
  audit_events_at_id_idx: 'audit_events (at, id)',
  audit_events_action_idx: 'audit_events (action, at, id)',
  audit_events_outcome_idx: 'audit_events (outcome, at, id)',
  audit_events_actor_at_id_idx: 'audit_events (actor_user_id, at, id)',
  audit_events_username_at_id_idx: 'audit_events (actor_username, at, id)',
}

/** Replaced by the (…, at, id) indexes above, which serve every query these did. */
const SUPERSEDED = ['audit_events_at_idx', 'audit_events_actor_idx', 'audit_events_username_idx']

/** Fills relative_path and proxy_routes from the JSON client routes, a slice at a time. */
async function backfillRoutes(db: Kysely<any>): Promise<void> {
  let after = ''
  for (;;) {
    const rows: { id: string; project_id: string; client_route: string }[] = await db
      .selectFrom('api_proxies')
      .select(['id', 'project_id', 'client_route'])
      .where('id', '>', after)
      .orderBy('id')
      .limit(500)
      .execute()
    if (rows.length === 0) return
    for (const row of rows) {
      const paths: string[] = JSON.parse(row.client_route).relativePathList ?? []
      await db
        .updateTable('api_proxies')
        .set({ relative_path: paths[0] ?? '' })
        .where('id', '=', row.id)
        .execute()
      const unique = [...new Set(paths)]
      if (unique.length === 0) continue
      await db
        .insertInto('proxy_routes')
        .values(unique.map((path) => ({ project_id: row.project_id, path, proxy_id: row.id })))
        // Two proxies could share a path before this table existed (two creates racing
        // past the old check): the first keeps it rather than the migration failing.
        .onConflict((oc) => oc.columns(['project_id', 'path']).doNothing())
        .execute()
    }
    after = rows[rows.length - 1]?.id ?? after
  }
}

export async function up(db: Kysely<any>): Promise<void> {
  if (await isPostgres(db)) {
    for (const [table, column, type] of SORTED_TEXT) {
      await sql
        .raw(`ALTER TABLE ${table} ALTER COLUMN ${column} TYPE ${type} COLLATE "C"`)
        .execute(db)
    }
  }
  await db.schema
    .alterTable('api_proxies')
    .addColumn('relative_path', 'text', (c) => c.notNull().defaultTo(''))
    .execute()
  await db.schema
    .createTable('proxy_routes')
    .addColumn('project_id', 'varchar(36)', (c) =>
      c.notNull().references('projects.id').onDelete('cascade'),
    )
    .addColumn('path', 'text', (c) => c.notNull())
    .addColumn('proxy_id', 'varchar(36)', (c) =>
      c.notNull().references('api_proxies.id').onDelete('cascade'),
    )
    .addPrimaryKeyConstraint('proxy_routes_pk', ['project_id', 'path'])
    .execute()
  await db.schema
    .createIndex('proxy_routes_proxy_idx')
    .on('proxy_routes')
    .column('proxy_id')
    .execute()
  await backfillRoutes(db)
  for (const [name, definition] of Object.entries(LIST_INDEXES)) {
    await sql.raw(`CREATE INDEX ${name} ON ${definition}`).execute(db)
  }
  for (const name of SUPERSEDED) await db.schema.dropIndex(name).execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const name of Object.keys(LIST_INDEXES)) await db.schema.dropIndex(name).execute()
  await db.schema.createIndex('audit_events_at_idx').on('audit_events').column('at').execute()
  await db.schema
    .createIndex('audit_events_actor_idx')
    .on('audit_events')
    .columns(['actor_user_id', 'at'])
    .execute()
  await db.schema
    .createIndex('audit_events_username_idx')
    .on('audit_events')
    .columns(['actor_username', 'at'])
    .execute()
  await db.schema.dropTable('proxy_routes').execute()
  await db.schema.alterTable('api_proxies').dropColumn('relative_path').execute()
}
