import type { Kysely } from 'kysely'

// Frozen: never edit a migration that has shipped; add a new one instead.

export async function up(db: Kysely<any>): Promise<void> {
  // What a JWK made from a certificate, key or keystore was derived with (environment id,
  // use, algorithm, the half or alias asked for), as JSON: a source updated with
  // updateReferencedJwks=true derives it again. Rows made before this column stay null
  // and cannot be refreshed: nothing recorded which environment they came from.
  await db.schema.alterTable('jwks').addColumn('source_inputs', 'text').execute()
  // The JWKs made from one source, found when that source is updated.
  await db.schema.createIndex('jwks_source_idx').on('jwks').column('source_id').execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('jwks_source_idx').execute()
  await db.schema.alterTable('jwks').dropColumn('source_inputs').execute()
}
