import type { Kysely } from 'kysely'

// Frozen: never edit a migration that has shipped; add a new one instead.

export async function up(db: Kysely<any>): Promise<void> {
  // A token's narrowing (roles, projects, read-only, client addresses), as one JSON
  // document: read with the row on the Bearer path, never queried by its parts. Null (every
  // token made before, and any made without limits) means everything the owner has.
  await db.schema.alterTable('api_tokens').addColumn('limits', 'text').execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('api_tokens').dropColumn('limits').execute()
}
