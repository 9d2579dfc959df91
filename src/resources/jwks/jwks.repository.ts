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
    Pick<
      JwkRow,
      'name' | 'description' | 'source_id' | 'source_url' | 'source_inputs' | 'updated_at'
    >
  >,
): Promise<void> {
  await db.updateTable('jwks').set(changes).where('id', '=', id).execute()
}

export async function deleteJwk(db: Queryable, id: string): Promise<void> {
  await db.deleteFrom('jwks').where('id', '=', id).execute()
}

/** The JWKs made from one stored source, with their project's name; `projectId` narrows. */
export function jwksFromSource(
  db: Queryable,
  sourceId: string,
  sourceTypes: readonly string[],
  projectId: string | null,
) {
  let query = db
    .selectFrom('jwks')
    .innerJoin('projects', 'projects.id', 'jwks.project_id')
    .selectAll('jwks')
    .select('projects.name as project_name')
    .where('jwks.source_id', '=', sourceId)
    .where('jwks.source_type', 'in', [...sourceTypes])
  if (projectId !== null) query = query.where('jwks.project_id', '=', projectId)
  return query.orderBy('projects.name').orderBy('jwks.name').execute()
}

/** A JWK's key material derived again from its source. */
export async function updateJwkMaterial(
  db: Queryable,
  id: string,
  changes: Pick<
    JwkRow,
    'source_type' | 'type' | 'kid' | 'algorithm' | 'public_jwk' | 'private_jwk' | 'updated_at'
  >,
): Promise<void> {
  await db.updateTable('jwks').set(changes).where('id', '=', id).execute()
}
