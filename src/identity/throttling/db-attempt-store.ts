import type { Kysely } from 'kysely'
import type { Database } from '../../db/schema.ts'
import {
  type AttemptStore,
  type Entry,
  type HitResult,
  StoreUnavailableError,
} from './attempt-store.ts'
import {
  type AttemptState,
  afterFailure,
  current,
  isLocked,
  NONE,
  type StoredCount,
} from './lock-rule.ts'
import * as repo from './throttle.repository.ts'

const iso = (ms: number) => new Date(ms).toISOString()
const ms = (text: string | null) => (text ? new Date(text).getTime() : 0)
const PURGE_EVERY_MS = 10 * 60_000

/**
 * A write that lost to another node is judged again on what that node left. Each round
 * one contender wins, so this bounds only the absurd (a row rewritten this many times
 * while one failure is counted): that is answered 503, never counted wrong.
 */
const MAX_ROUNDS = 50

function stored(row: repo.AttemptRow | undefined): StoredCount | undefined {
  if (!row) return undefined
  return {
    failures: Number(row.failures),
    lockedUntil: ms(row.locked_until),
    expiresAt: ms(row.expires_at),
  }
}

/**
 * Counts in the login_attempts table, shared by the nodes sharing the database. A
 * failure reads the row and writes the next state only if the row is still what it
 * read (compare and swap, the same SQL on SQLite and PostgreSQL): judging "locked?" and
 * counting are one atomic step, so parallel attempts on several nodes can never count
 * more failures past an unlocked key than the rule allows. Expired rows are deleted now
 * and then, as a side effect of counting failures.
 */
export class DbAttemptStore implements AttemptStore {
  private nextPurge = 0

  constructor(private readonly db: Kysely<Database>) {}

  async get(keys: readonly string[], now: number): Promise<AttemptState[]> {
    const rows = await repo.findAttempts(this.db, keys)
    return keys.map((key) => {
      const state = current(stored(rows.find((r) => r.key === key)), now)
      return state.expiresAt === 0 ? NONE : state
    })
  }

  async hit({ key, rule }: Entry, now: number, unlessLocked: boolean): Promise<HitResult> {
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const row = await repo.findAttempt(this.db, key)
      const before = current(stored(row), now)
      const lockedBefore = isLocked(before, now) ? before.lockedUntil : 0
      if (unlessLocked && lockedBefore) return { state: before, lockedBefore, counted: false }
      const after = afterFailure(before, rule, now)
      const values: repo.AttemptValues = {
        failures: after.failures,
        // A count that expired starts again now.
        first_failure_at: row && before.failures > 0 ? row.first_failure_at : iso(now),
        last_failure_at: iso(now),
        locked_until: after.lockedUntil ? iso(after.lockedUntil) : null,
        expires_at: iso(after.expiresAt),
      }
      const written = row
        ? await repo.replaceAttempt(this.db, row, values)
        : await repo.insertAttempt(this.db, key, values)
      if (written) {
        await this.purgeNowAndThen(now)
        return { state: after, lockedBefore, counted: true }
      }
    }
    throw new StoreUnavailableError(new Error(`login_attempts: ${key} kept changing`))
  }

  async clearUnlessLocked(key: string, now: number): Promise<number> {
    for (let round = 0; round < MAX_ROUNDS; round++) {
      // Most successful logins have no count to clear: one read answers them.
      const row = await repo.findAttempt(this.db, key)
      if (!row) return 0
      const state = current(stored(row), now)
      if (isLocked(state, now)) return state.lockedUntil
      if (await repo.deleteUnlessLocked(this.db, key, iso(now))) return 0
      // Locked or removed by another node in between: look again.
    }
    throw new StoreUnavailableError(new Error(`login_attempts: ${key} kept changing`))
  }

  private async purgeNowAndThen(now: number): Promise<void> {
    if (now < this.nextPurge) return
    this.nextPurge = now + PURGE_EVERY_MS
    await repo.deleteExpiredAttempts(this.db, iso(now))
  }
}
