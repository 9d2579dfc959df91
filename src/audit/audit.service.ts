import { randomBytes } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { Clock } from '../clock.ts'
import type { AuditEventRow, Database } from '../db/schema.ts'
import type { NewAddressUse } from '../identity/tokens.service.ts'
import * as repo from './audit.repository.ts'

/**
 * The audit log: who did what, to what, from where, and how it ended. Events come from
 * the HTTP hook (audit.hook.ts) and from callers without a request (the CLI, token use
 * from a new address) through AuditRecorder.record(). Never a password, a token or any
 * other secret: nothing here ever reads a request body beyond an allowlist of names.
 */

export type AuditOutcome = 'success' | 'failure' | 'denied'
export const OUTCOMES: readonly AuditOutcome[] = ['success', 'failure', 'denied']

export interface AuditEvent {
  /** Defaults to the recorder's clock, now. */
  at?: Date
  actorUserId?: string | null
  actorUsername?: string | null
  /**
   * Only a username is known (a login attempt): the writer looks the user up, so a
   * person's own Activity also shows the failed logins made in their name.
   */
  resolveActor?: boolean
  tokenId?: string | null
  clientIp: string
  userAgent?: string
  action: string
  target?: string
  outcome: AuditOutcome
  status: number
}

/** Column bounds (the migration's varchar sizes). */
export const LIMITS = {
  username: 64,
  ip: 64,
  userAgent: 512,
  action: 100,
  target: 500,
} as const

/**
 * A JWT, or any piece of one (base64url of '{"' begins every apiops token): never
 * stored, even where one does not belong, such as a URL.
 */
const JWT_LIKE = /eyJ[A-Za-z0-9_-]{8,}(\.[A-Za-z0-9_-]*){0,2}/g

export function redactTokens(text: string): string {
  return text.replace(JWT_LIKE, '[redacted]')
}
// biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point
const CONTROL = /[\u0000-\u001f\u007f]/g

/**
 * Text as it may be stored: no control characters (PostgreSQL text cannot hold NUL, and
 * a log viewer should not be steered by escapes), no token, within the column's size.
 */
export function clean(text: string, max: number): string {
  const safe = redactTokens(text.replace(CONTROL, ' '))
  return safe.length > max ? `${safe.slice(0, max - 1)}…` : safe
}

const cleanOrNull = (text: string | null | undefined, max: number) =>
  text === null || text === undefined || text === '' ? null : clean(text, max)

let counter = 0
const processBits = randomBytes(2).toString('hex')

/**
 * 32 hex characters: the event's millisecond, a per-process counter and random bits.
 * Sorting by id therefore follows recording order within a millisecond on one node,
 * which keeps "newest first" stable even under a frozen clock; across nodes it is
 * still unique.
 */
export function newEventId(at: Date): string {
  counter = (counter + 1) % 0x10000
  return (
    Math.max(0, at.getTime()).toString(16).padStart(12, '0').slice(-12) +
    counter.toString(16).padStart(4, '0') +
    processBits +
    randomBytes(6).toString('hex')
  )
}

export function toRow(event: AuditEvent, now: Date): AuditEventRow {
  const at = event.at ?? now
  return {
    id: newEventId(at),
    at: at.toISOString(),
    actor_user_id: cleanOrNull(event.actorUserId, 36),
    actor_username: cleanOrNull(event.actorUsername, LIMITS.username),
    token_id: cleanOrNull(event.tokenId, 32),
    client_ip: clean(event.clientIp, LIMITS.ip),
    user_agent: clean(event.userAgent ?? '', LIMITS.userAgent),
    action: clean(event.action, LIMITS.action),
    target: clean(event.target ?? '', LIMITS.target),
    outcome: event.outcome,
    status: Number.isInteger(event.status) ? event.status : 0,
  }
}

export type AuditWarn = (detail: Record<string, unknown>, message: string) => void

interface Pending {
  row: AuditEventRow
  resolveActor: boolean
}

/**
 * Records events off the request path: record() only queues (synchronously, no I/O);
 * a writer drains the queue in batches after the current turn of the event loop, so a
 * burst of requests costs a few multi-row inserts, not one write each.
 *
 * Nothing is lost silently: a batch the database refuses is written to the log instead
 * (the events hold no secrets), and if the database falls so far behind that the queue
 * fills, the overflow is counted and reported. flush() waits for everything queued
 * (shutdown, the CLI, and tests).
 */
export class AuditRecorder {
  private queue: Pending[] = []
  private running: Promise<void> | null = null
  private dropped = 0

  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
    private readonly warn: AuditWarn,
    private readonly limits = { maxQueued: 10_000, batchSize: 200 },
  ) {}

  record(event: AuditEvent): void {
    if (this.queue.length >= this.limits.maxQueued) {
      if (this.dropped === 0) {
        this.warn(
          { maxQueued: this.limits.maxQueued },
          'audit log writes are falling behind; events beyond the queue limit are being counted and dropped',
        )
      }
      this.dropped += 1
      return
    }
    this.queue.push({
      row: toRow(event, this.clock.now()),
      resolveActor: event.resolveActor === true && !event.actorUserId,
    })
    this.schedule()
  }

  /** Waits until every event recorded so far is written (or reported as lost). */
  async flush(): Promise<void> {
    while (this.running) await this.running
  }

  private schedule(): void {
    if (this.running) return
    this.running = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.drain())
      .finally(() => {
        this.running = null
        if (this.queue.length > 0) this.schedule()
      })
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.limits.batchSize)
      const rows = await this.withActors(batch)
      try {
        await repo.insertEvents(this.db, rows)
      } catch (error) {
        this.warn(
          { err: error, lostAuditEvents: rows },
          `could not write ${rows.length} audit event(s); they are in this log entry instead`,
        )
      }
    }
    if (this.dropped > 0) {
      this.warn(
        { droppedAuditEvents: this.dropped },
        `audit log caught up; ${this.dropped} event(s) were dropped while its queue was full`,
      )
      this.dropped = 0
    }
  }

  private async withActors(batch: Pending[]): Promise<AuditEventRow[]> {
    const names = batch.flatMap((p) =>
      p.resolveActor && p.row.actor_username ? [p.row.actor_username] : [],
    )
    if (names.length === 0) return batch.map((p) => p.row)
    let ids = new Map<string, string>()
    try {
      ids = await repo.userIdsByName(this.db, names)
    } catch {
      // The event still counts without the id: write it by name alone.
    }
    return batch.map((p) =>
      p.resolveActor && p.row.actor_username
        ? { ...p.row, actor_user_id: ids.get(p.row.actor_username) ?? null }
        : p.row,
    )
  }
}

// ---------------------------------------------------------------------------
// Events without a request.

/** A token was presented from an address it was not last used from (or for the first time). */
export function newAddressEvent(use: NewAddressUse): AuditEvent {
  return {
    at: use.at,
    actorUserId: use.userId,
    actorUsername: use.username,
    tokenId: use.tokenId,
    clientIp: use.ip,
    action: 'token.usedFromNewAddress',
    target: `token=${use.tokenId} previous=${use.previousIp ?? '(first use)'}`,
    outcome: 'success',
    status: 200,
  }
}

/** A command-line action: the OS account stands in for the user agent. */
export function cliEvent(input: {
  command: string
  args: readonly string[]
  osUser: string | undefined
  outcome: AuditOutcome
  status: number
}): AuditEvent {
  return {
    actorUsername: 'cli',
    clientIp: 'local',
    userAgent: input.osUser ? `apiops-cli (os user ${input.osUser})` : 'apiops-cli',
    action: `cli:${input.command}`,
    target: input.args.join(' '),
    outcome: input.outcome,
    status: input.status,
  }
}

// ---------------------------------------------------------------------------
// Reading and retention.

export interface AuditView {
  id: string
  at: string
  actor: string | null
  tokenId: string | null
  clientAddress: string
  userAgent: string
  action: string
  target: string
  outcome: AuditOutcome
  status: number
}

export function auditView(row: AuditEventRow): AuditView {
  return {
    id: row.id,
    at: row.at,
    actor: row.actor_username,
    tokenId: row.token_id,
    clientAddress: row.client_ip,
    userAgent: row.user_agent,
    action: row.action,
    target: row.target,
    outcome: row.outcome as AuditOutcome,
    status: row.status,
  }
}

export interface AuditDeps {
  db: Kysely<Database>
  clock: Clock
  audit: AuditRecorder
}

export async function listEvents(
  deps: AuditDeps,
  filter: repo.EventFilter,
  page: { page: number; size: number; direction: 'asc' | 'desc' },
) {
  // Read your own writes: what this node has queued is in the answer.
  await deps.audit.flush()
  const { rows, total } = await repo.findEvents(deps.db, filter, {
    offset: page.page * page.size,
    limit: page.size,
    direction: page.direction,
  })
  const resultList = rows.map(auditView)
  return {
    status: 'SUCCESS' as const,
    success: true as const,
    resultList,
    resultCount: resultList.length,
    totalCount: total,
    page: page.page,
    size: page.size,
  }
}

/** Deletes events older than the retention period; returns how many. */
export async function purgeAuditEvents(
  deps: Pick<AuditDeps, 'db' | 'clock'>,
  retentionDays: number,
): Promise<number> {
  const cutoff = new Date(deps.clock.now().getTime() - retentionDays * 86_400_000)
  return repo.deleteEventsBefore(deps.db, cutoff.toISOString())
}
