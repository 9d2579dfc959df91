import { type Kysely, sql } from 'kysely'
import { LIST_INDEXES } from './0009_list_indexes.ts'

// Frozen: never edit a migration that has shipped; add a new one instead.

/**
 * The token list leaves canaries out (kind IS NULL, 0034), so its four indexes hold only
 * the rows it lists: each page still reads only its own rows, with no filter over them.
 */
const TOKEN_LIST_INDEXES = [
  'api_tokens_user_created_idx',
  'api_tokens_user_name_idx',
  'api_tokens_user_expires_idx',
  'api_tokens_user_last_used_idx',
]

async function recreate(db: Kysely<any>, where: string): Promise<void> {
  for (const name of TOKEN_LIST_INDEXES) {
    await sql.raw(`DROP INDEX IF EXISTS ${name}`).execute(db)
    await sql.raw(`CREATE INDEX ${name} ON ${LIST_INDEXES[name]}${where}`).execute(db)
  }
}

export async function up(db: Kysely<any>): Promise<void> {
  await recreate(db, ' WHERE kind IS NULL')
}

export async function down(db: Kysely<any>): Promise<void> {
  await recreate(db, '')
}
