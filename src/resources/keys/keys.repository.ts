import type { CryptoKeyRow, KeystoreRow } from '../../db/schema.ts'
import type { Queryable } from '../../db/types.ts'

/*
 * Keys and keystores have the same columns but for key_type, so one set of queries
 * serves both tables.
 */

export type KeyTable = 'crypto_keys' | 'keystores'
export type RowOf<T extends KeyTable> = T extends 'crypto_keys' ? CryptoKeyRow : KeystoreRow

/** A project's keys (keystores), unordered (src/http/lists.ts orders and pages it). */
export function ofProject(db: Queryable, table: KeyTable, projectId: string) {
  return db.selectFrom(table).selectAll().where('project_id', '=', projectId)
}

export function findByName<T extends KeyTable>(
  db: Queryable,
  table: T,
  projectId: string,
  name: string,
): Promise<RowOf<T> | undefined> {
  return db
    .selectFrom(table as KeyTable)
    .selectAll()
    .where('project_id', '=', projectId)
    .where('name', '=', name)
    .executeTakeFirst() as Promise<RowOf<T> | undefined>
}

export async function insert<T extends KeyTable>(
  db: Queryable,
  table: T,
  row: RowOf<T>,
): Promise<void> {
  await db
    .insertInto(table as 'keystores')
    .values(row as KeystoreRow)
    .execute()
}

export async function update<T extends KeyTable>(
  db: Queryable,
  table: T,
  id: string,
  changes: Partial<Omit<RowOf<T>, 'id' | 'project_id' | 'created_at'>>,
): Promise<void> {
  await db
    .updateTable(table as 'keystores')
    .set(changes as Partial<KeystoreRow>)
    .where('id', '=', id)
    .execute()
}

export async function remove(db: Queryable, table: KeyTable, id: string): Promise<void> {
  await db.deleteFrom(table).where('id', '=', id).execute()
}
