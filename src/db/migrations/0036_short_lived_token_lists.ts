import { type Kysely, sql } from 'kysely'
import { LIST_INDEXES } from './0009_list_indexes.ts'

// Frozen: never edit a migration that has shipped; add a new one instead.

/**
 * The token list leaves out the token endpoint's short-lived tokens (source 'api') unless
 * asked for one source: its four indexes hold only the rows it lists by default, and one
 * more, by source, serves a list of one source in its default order.
 */
const TOKEN_LIST_INDEXES = [
  'api_tokens_user_created_idx',
  'api_tokens_user_name_idx',
  'api_tokens_user_expires_idx',
  'api_tokens_user_last_used_idx',
]

const BY_SOURCE = 'api_tokens_user_source_created_idx'

async function recreate(db: Kysely<any>, where: string): Promise<void> {
  for (const name of TOKEN_LIST_INDEXES) {
    await sql.raw(`DROP INDEX IF EXISTS ${name}`).execute(db)
    await sql.raw(`CREATE INDEX ${name} ON ${LIST_INDEXES[name]} WHERE ${where}`).execute(db)
  }
}

export async function up(db: Kysely<any>): Promise<void> {
  await recreate(db, "kind IS NULL AND source <> 'api'")
  await sql
    .raw(
      `CREATE INDEX ${BY_SOURCE} ON api_tokens (user_id, source, created_at, id) WHERE kind IS NULL`,
    )
    .execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql.raw(`DROP INDEX IF EXISTS ${BY_SOURCE}`).execute(db)
  await recreate(db, 'kind IS NULL')
}
