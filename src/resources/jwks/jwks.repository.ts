import type { JwkRow } from '../../db/schema.ts'
import type { Queryable } from '../../db/types.ts'

const SUMMARY = [
  'id',
  'name',
  'description',
  'project_id',
  'source_type',
  'source_id',
  'source_url',
  'type',
  'kid',
  'use_type',
  'algorithm',
  'not_before',
  'expires_at',
  'created_at',
  'updated_at',
] as const

export type JwkSummaryRow = Pick<JwkRow, (typeof SUMMARY)[number]>

/** The list's query, unordered, without the key material (src/http/lists.ts pages it). */
export function jwksOfProject(db: Queryable, projectId: string) {
  return db.selectFrom('jwks').select(SUMMARY).where('project_id', '=', projectId)
}

export function findJwk(
  db: Queryable,
  projectId: string,
  name: string,
): Promise<JwkRow | undefined> {
  return db
    .selectFrom('jwks')
    .selectAll()
    .where('project_id', '=', projectId)
    .where('name', '=', name)
    .executeTakeFirst()
}

export async function insertJwk(db: Queryable, row: JwkRow): Promise<void> {
  await db.insertInto('jwks').values(row).execute()
}

export async function updateJwk(
  db: Queryable,
  id: string,
  changes: Partial<
    Pick<JwkRow, 'name' | 'description' | 'source_id' | 'source_url' | 'updated_at'>
  >,
): Promise<void> {
  await db.updateTable('jwks').set(changes).where('id', '=', id).execute()
}

export async function deleteJwk(db: Queryable, id: string): Promise<void> {
  await db.deleteFrom('jwks').where('id', '=', id).execute()
}
