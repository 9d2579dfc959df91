/**
 * The database the authenticated server runs on: a real SQLite file in a temp dir,
 * migrated, with one user and one token made through apiops' own services, and
 * optionally a large api_tokens table of other users' tokens around it.
 */
import { randomBytes, randomUUID } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import SqliteDatabase from 'better-sqlite3'
import { systemClock } from '../src/clock.ts'
import { createLocalBus } from '../src/cluster/events.ts'
import { closeServices, createServices } from '../src/composition.ts'
import { loadConfig } from '../src/config.ts'
import { createDb } from '../src/db/create-db.ts'
import { migrateToLatest } from '../src/db/migrator.ts'
import { hashPassword } from '../src/identity/credentials/passwords.ts'
import { issueToken } from '../src/identity/tokens/tokens.service.ts'
import { createUser } from '../src/identity/users/users.service.ts'
import { buildKeyRing } from '../src/keys.ts'

/** Where createDb puts the SQLite file inside dataDir. */
const SQLITE_FILE = 'apiops.sqlite'

export interface AuthFixture {
  dataDir: string
  /** The master secret; the server child derives the same keys from it. */
  secretBase64: string
  /** `Bearer` credential for the bench user. */
  token: string
}

export function makeTempDir(): string {
  return mkdtempSync(join(tmpdir(), 'apiops-bench-'))
}

/** Migrates the file, then makes the user and token the load will authenticate as. */
export async function prepareAuthDb(dataDir: string): Promise<AuthFixture> {
  const secret = randomBytes(32)
  const secretBase64 = secret.toString('base64')
  const config = loadConfig({
    APIOPS_SECRET_KEY: secretBase64,
    APIOPS_DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
  })
  const store = createDb({ databaseUrl: undefined, dataDir: config.dataDir })
  try {
    await migrateToLatest(store.db)
    const deps = {
      config,
      store,
      clock: systemClock,
      events: createLocalBus(),
      keys: buildKeyRing(secret),
    }
    const services = createServices(deps, (error) => {
      throw error
    })
    const user = await createUser(services, {
      username: 'bench-user',
      password: 'bench password 123',
    })
    // An expiring token, so the hot path also runs its expiry comparison.
    const issued = await issueToken(services, {
      userId: user.id,
      name: 'bench token',
      source: 'cli',
      expiresAt: new Date(Date.now() + 30 * 86_400_000),
    })
    await closeServices(services)
    return { dataDir: config.dataDir, secretBase64, token: issued.token }
  } finally {
    await store.close()
  }
}

// ---------------------------------------------------------------------------
// Bulk fill: N token rows of other users, written straight through better-sqlite3
// because going through the service (one HMAC, one JWT and one INSERT per row) would
// take minutes for a million rows and measures nothing we care about here.
//
// Two tricks keep 1M rows well under a minute, and neither changes what the server
// finds: the random ids are inserted in sorted order (so the primary-key index grows
// at its right edge instead of splitting pages all over), and the two secondary
// indexes are dropped for the fill and rebuilt from their own saved DDL afterwards
// (one sort instead of a million random inserts). Measured: about 2x faster.

const FILL_USERS = 300
/** Large transactions: the commit is the expensive part, not the rows. */
const ROWS_PER_TRANSACTION = 100_000
/** Rows whose random bytes come from one randomBytes call (per-row calls would dominate). */
const RANDOM_CHUNK_ROWS = 1_000
/** Random bytes per row: 32 for the hash, 4 for the dice. */
const RANDOM_BYTES_PER_ROW = 36
const DAY_MS = 86_400_000
const TOKEN_COLUMNS = [
  'id',
  'user_id',
  'name',
  'source',
  'token_hash',
  'kid',
  'created_at',
  'expires_at',
  'last_used_at',
  'last_used_ip',
  'revoked_at',
  'revoked_by',
] as const
const SOURCES = ['cli', 'api', 'console'] as const

type Cell = string | null

interface FillContext {
  userIds: readonly string[]
  kids: { current: string; old: string }
  now: number
}

/** Users the filler tokens belong to; they share one real argon2 hash (300 would take ~12 s). */
async function insertFillUsers(sqlite: SqliteDatabase.Database, nowIso: string): Promise<string[]> {
  const passwordHash = await hashPassword('fill user password')
  const insert = sqlite.prepare(
    'INSERT INTO users (id, username, password_hash, created_at, updated_at, disabled_at) VALUES (?, ?, ?, ?, ?, NULL)',
  )
  const ids = Array.from({ length: FILL_USERS }, () => randomUUID())
  sqlite.transaction(() => {
    ids.forEach((id, i) => {
      insert.run(id, `fill-user-${i}`, passwordHash, nowIso, nowIso)
    })
  })()
  return ids
}

/** `count` distinct random 128-bit ids (jti), hex, sorted: see the note on the fill above. */
function sortedTokenIds(count: number): string[] {
  const random = randomBytes(count * 16)
  const ids = Array.from({ length: count }, (_, i) =>
    random.subarray(i * 16, (i + 1) * 16).toString('hex'),
  )
  return ids.sort()
}

/**
 * One realistic row: the given random id, an HMAC-sized base64url hash, mostly the
 * current kid with some from a rotated-out key, created over the past year, and a mix
 * of never-expiring (30%), expired (20%) and live (50%) tokens, one in 20 revoked.
 */
function fillRow(i: number, id: string, ctx: FillContext, random: Buffer): Cell[] {
  const tokenHash = random.subarray(0, 32).toString('base64url')
  const pick = random.readUInt32BE(32) / 0x1_0000_0000
  const userId = ctx.userIds[i % ctx.userIds.length] as string
  const created = ctx.now - Math.floor(pick * 365 * DAY_MS)
  const expiresAt =
    pick < 0.3
      ? null
      : pick < 0.5
        ? new Date(Math.min(created + 30 * DAY_MS, ctx.now - DAY_MS)).toISOString()
        : new Date(ctx.now + (1 + (i % 365)) * DAY_MS).toISOString()
  const revoked = i % 20 === 0
  const used = i % 3 !== 0
  return [
    id,
    userId,
    `token ${i}`,
    SOURCES[i % SOURCES.length] as string,
    tokenHash,
    i % 10 === 0 ? ctx.kids.old : ctx.kids.current,
    new Date(created).toISOString(),
    expiresAt,
    used ? new Date(created + DAY_MS).toISOString() : null,
    used ? `10.0.${(i >> 8) & 255}.${i & 255}` : null,
    revoked ? new Date(created + 2 * DAY_MS).toISOString() : null,
    revoked ? userId : null,
  ]
}

function insertTokens(
  sqlite: SqliteDatabase.Database,
  ids: readonly string[],
  ctx: FillContext,
): void {
  const insert = sqlite.prepare(
    `INSERT INTO api_tokens (${TOKEN_COLUMNS.join(', ')}) VALUES (${TOKEN_COLUMNS.map(() => '?').join(', ')})`,
  )
  const insertRange = sqlite.transaction((from: number, to: number) => {
    for (let start = from; start < to; start += RANDOM_CHUNK_ROWS) {
      const rows = Math.min(RANDOM_CHUNK_ROWS, to - start)
      const random = randomBytes(rows * RANDOM_BYTES_PER_ROW)
      for (let r = 0; r < rows; r++) {
        const slice = random.subarray(r * RANDOM_BYTES_PER_ROW, (r + 1) * RANDOM_BYTES_PER_ROW)
        insert.run(fillRow(start + r, ids[start + r] as string, ctx, slice))
      }
    }
  })
  for (let from = 0; from < ids.length; from += ROWS_PER_TRANSACTION) {
    insertRange(from, Math.min(ids.length, from + ROWS_PER_TRANSACTION))
  }
}

/** Runs `fill` with api_tokens' secondary indexes dropped, then recreates them exactly as they were. */
function withoutSecondaryIndexes(sqlite: SqliteDatabase.Database, fill: () => void): void {
  // sql is NULL for the automatic primary-key index, which stays.
  const indexes = sqlite
    .prepare(
      "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'api_tokens' AND sql IS NOT NULL",
    )
    .all() as { name: string; sql: string }[]
  for (const { name } of indexes) sqlite.exec(`DROP INDEX "${name.replaceAll('"', '""')}"`)
  fill()
  for (const { sql } of indexes) sqlite.exec(sql)
}

/**
 * Adds `count` token rows for FILL_USERS other users to the bench database. Run before
 * the server opens the file, so the server starts on a big table the way a long-lived
 * installation would.
 */
export async function fillTokens(
  fixture: AuthFixture,
  count: number,
): Promise<{ seconds: number }> {
  const started = process.hrtime.bigint()
  const sqlite = new SqliteDatabase(join(fixture.dataDir, SQLITE_FILE))
  try {
    sqlite.pragma('foreign_keys = ON')
    // Bench-only durability trades, undone below: the fill runs alone on a scratch file,
    // and a crash mid-fill just means rerunning the bench. Out of WAL mode each page is
    // written once, instead of to the WAL and then again to the file. (OFF would be
    // faster still, but better-sqlite3's defensive mode refuses it; WAL cannot go
    // straight to MEMORY.)
    sqlite.pragma('journal_mode = DELETE')
    sqlite.pragma('journal_mode = MEMORY')
    sqlite.pragma('synchronous = OFF')
    sqlite.pragma('cache_size = -1048576') // 1 GiB: the whole table and its indexes
    const now = Date.now()
    const userIds = await insertFillUsers(sqlite, new Date(now).toISOString())
    const keys = buildKeyRing(Buffer.from(fixture.secretBase64, 'base64'))
    const kids = { current: keys.current.kid, old: buildKeyRing(randomBytes(32)).current.kid }
    const ids = sortedTokenIds(count)
    withoutSecondaryIndexes(sqlite, () => insertTokens(sqlite, ids, { userIds, kids, now }))
    // Back to the mode createDb uses. No ANALYZE: apiops never runs it, so the server
    // must cope with the planner's defaults.
    sqlite.pragma('journal_mode = WAL')
  } finally {
    sqlite.close()
  }
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9 }
}

export function countTokenRows(dataDir: string): number {
  const sqlite = new SqliteDatabase(join(dataDir, SQLITE_FILE), { readonly: true })
  try {
    return sqlite.prepare('SELECT count(*) FROM api_tokens').pluck().get() as number
  } finally {
    sqlite.close()
  }
}
