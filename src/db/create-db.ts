import { closeSync, mkdirSync, openSync } from 'node:fs'
import { join } from 'node:path'
import SqliteDatabase from 'better-sqlite3'
import { Kysely, SqliteDialect } from 'kysely'
import pg from 'pg'
import { CurrentSchemaPostgresDialect } from './current-schema-dialect.ts'
import type { Database } from './schema.ts'

export type Dialect = 'sqlite' | 'postgres'

export interface DbHandle {
  readonly db: Kysely<Database>
  readonly dialect: Dialect
  /**
   * SQLite only: a number that changes whenever another connection (another process,
   * such as the CLI) commits to the file. Lets the server notice writes it did not make
   * without a message bus. Undefined on PostgreSQL, which has LISTEN/NOTIFY instead.
   */
  readonly dataVersion: (() => number) | undefined
  /** PostgreSQL only: the pool, for LISTEN/NOTIFY. */
  readonly pgPool: pg.Pool | undefined
  close(): Promise<void>
}

export interface DbOptions {
  databaseUrl: string | undefined
  /** Where the SQLite file lives; ':memory:' for tests that need no file. */
  sqlitePath?: string
  dataDir: string
}

export function createDb(options: DbOptions): DbHandle {
  if (options.databaseUrl) return createPostgres(options.databaseUrl)
  let path = options.sqlitePath
  if (!path) {
    mkdirSync(options.dataDir, { recursive: true, mode: 0o700 })
    path = join(options.dataDir, 'apiops.sqlite')
    // Created owner-only before SQLite opens it: it holds password and token hashes.
    closeSync(openSync(path, 'a', 0o600))
  }
  return createSqlite(path)
}

function createSqlite(path: string): DbHandle {
  const sqlite = new SqliteDatabase(path)
  sqlite.pragma('journal_mode = WAL')
  sqlite.pragma('foreign_keys = ON')
  // The CLI and the server may write the same file at once; wait rather than fail.
  sqlite.pragma('busy_timeout = 5000')
  sqlite.pragma('synchronous = NORMAL')
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) })
  const dataVersion = sqlite.prepare('PRAGMA data_version').pluck()
  return {
    db,
    dialect: 'sqlite',
    dataVersion: () => dataVersion.get() as number,
    pgPool: undefined,
    close: () => db.destroy(),
  }
}

function createPostgres(url: string): DbHandle {
  const pool = new pg.Pool({ connectionString: url, max: 10, connectionTimeoutMillis: 5000 })
  // A dropped connection must never crash the process: idle ones are reported on the
  // pool, checked-out ones on the client (the query in flight still gets its error and
  // answers 503), and the pool replaces them.
  pool.on('error', () => {})
  pool.on('connect', (client) => client.on('error', () => {}))
  const db = new Kysely<Database>({ dialect: new CurrentSchemaPostgresDialect({ pool }) })
  return {
    db,
    dialect: 'postgres',
    dataVersion: undefined,
    pgPool: pool,
    close: () => db.destroy(),
  }
}
