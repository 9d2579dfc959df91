import { closeSync, mkdirSync, openSync } from 'node:fs'
import { join } from 'node:path'
import SqliteDatabase from 'better-sqlite3'
import { Kysely, type SqliteDatabase as KyselySqliteDatabase, SqliteDialect } from 'kysely'
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
  /** SQLite in a file only: its path, for a second connection on another thread. */
  readonly sqliteFile: string | undefined
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
  const db = new Kysely<Database>({
    dialect: new SqliteDialect({ database: cachingStatements(sqlite) }),
  })
  const dataVersion = sqlite.prepare('PRAGMA data_version').pluck()
  return {
    db,
    dialect: 'sqlite',
    dataVersion: () => dataVersion.get() as number,
    pgPool: undefined,
    sqliteFile: path === ':memory:' ? undefined : path,
    close: () => db.destroy(),
  }
}

/** Statements kept prepared, by SQL text; the oldest is dropped beyond this many. */
const STATEMENT_CACHE_SIZE = 256

/**
 * The database as Kysely sees it, with prepared statements reused: Kysely prepares every
 * query it runs, and preparing costs as much as running for the traffic recorder's
 * multi-row INSERT (3,400 parameters: ~3 ms each time, measured). A statement still
 * being iterated (a streamed query) is busy and cannot be shared: a fresh one is made.
 */
function cachingStatements(sqlite: SqliteDatabase.Database): KyselySqliteDatabase {
  const cache = new Map<string, SqliteDatabase.Statement>()
  const prepare = (sql: string): SqliteDatabase.Statement => {
    const cached = cache.get(sql)
    if (cached !== undefined && !cached.busy) return cached
    const statement = sqlite.prepare(sql)
    if (cached === undefined) {
      if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value as string)
      cache.set(sql, statement)
    }
    return statement
  }
  return { prepare, close: () => sqlite.close() }
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
    sqliteFile: undefined,
    close: () => db.destroy(),
  }
}
