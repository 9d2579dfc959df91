import type { Kysely, Transaction } from 'kysely'
import type { Database } from './schema.ts'

/** Repositories accept either, so a service can run several of them in one transaction. */
export type Queryable = Kysely<Database> | Transaction<Database>

/** Unique-constraint violations, recognised on both engines. */
export function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: string; message?: string }
  return (
    e?.code === '23505' ||
    e?.code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
  )
}
