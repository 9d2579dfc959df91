import type { CertificateRow } from '../../db/schema.ts'
import type { Queryable } from '../../db/types.ts'

/** The certificate list's query, unordered (src/http/lists.ts orders and pages it). */
export function certificatesOfProject(db: Queryable, projectId: string) {
  return db.selectFrom('certificates').selectAll().where('project_id', '=', projectId)
}

export function findCertificate(
  db: Queryable,
  projectId: string,
  name: string,
): Promise<CertificateRow | undefined> {
  return db
    .selectFrom('certificates')
    .selectAll()
    .where('project_id', '=', projectId)
    .where('name', '=', name)
    .executeTakeFirst()
}

/** Another certificate of the project whose alias equals this one, ignoring case. */
export function findAliasHolder(
  db: Queryable,
  projectId: string,
  alias: string,
  exceptId: string | null,
): Promise<Pick<CertificateRow, 'name' | 'alias'> | undefined> {
  let query = db
    .selectFrom('certificates')
    .select(['name', 'alias'])
    .where('project_id', '=', projectId)
    .where((eb) => eb(eb.fn('lower', ['alias']), '=', alias.toLowerCase()))
  if (exceptId !== null) query = query.where('id', '<>', exceptId)
  return query.executeTakeFirst()
}

export async function insertCertificate(db: Queryable, row: CertificateRow): Promise<void> {
  await db.insertInto('certificates').values(row).execute()
}

export async function updateCertificate(
  db: Queryable,
  id: string,
  changes: Partial<Omit<CertificateRow, 'id' | 'project_id' | 'name' | 'created_at'>>,
): Promise<void> {
  await db.updateTable('certificates').set(changes).where('id', '=', id).execute()
}

export async function deleteCertificate(db: Queryable, id: string): Promise<void> {
  await db.deleteFrom('certificates').where('id', '=', id).execute()
}
