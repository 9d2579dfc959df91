import { type Kysely, sql } from 'kysely'

/** Migrations that differ by dialect ask this; SQLite has no current_schema(). */
export async function isPostgres(db: Kysely<any>): Promise<boolean> {
  try {
    await sql`select current_schema()`.execute(db)
    return true
  } catch {
    return false
  }
}
