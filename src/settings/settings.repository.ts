import type { Kysely, Selectable } from 'kysely'
import type { Database, SettingsTable } from '../db/schema.ts'

export type SettingRow = Selectable<SettingsTable>

export function findSettings(db: Kysely<Database>): Promise<SettingRow[]> {
  return db.selectFrom('settings').selectAll().execute()
}

export async function saveSetting(db: Kysely<Database>, row: SettingRow): Promise<void> {
  await db
    .insertInto('settings')
    .values(row)
    .onConflict((c) =>
      c.column('key').doUpdateSet({
        value: row.value,
        updated_at: row.updated_at,
        updated_by: row.updated_by,
      }),
    )
    .execute()
}

export async function deleteSetting(db: Kysely<Database>, key: string): Promise<void> {
  await db.deleteFrom('settings').where('key', '=', key).execute()
}
