import { randomBytes } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { Clock } from '../clock.ts'
import type { AuditEventRow, Database } from '../db/schema.ts'
import { type ListOrder, type ListQueryInput, pageInSql } from '../http/lists.ts'
import * as repo from './audit.repository.ts'

/**
 * The audit log: who did what, to what, from where, and how it ended. Events come from
 * the HTTP hook (audit.hook.ts) and from callers without a request (the CLI, token use
 * from a new address) through AuditRecorder.record() (audit.recorder.ts). Never a
 * password, a token or any other secret: nothing here ever reads a request body beyond
 * an allowlist of names, and a name tried at login that no user has is kept only as a
 * keyed hash.
 */

export type AuditOutcome = 'success' | 'failure' | 'denied'
export const OUTCOMES: readonly AuditOutcome[] = ['success', 'failure', 'denied']

export interface AuditEvent {
  /** Defaults to the recorder's clock, now. */
  at?: Date
  actorUserId?: string | null
  actorUsername?: string | null
  /**
   * A login attempt: what was typed as the username (never the password). The writer
   * looks it up: a user's name is stored as the actor, so their own Activity shows the
   * logins tried in their name; anything else (often a password typed in the wrong
   * field) is stored only as UNKNOWN_USER and a keyed hash, never as text.
   */
  attemptedUsername?: string
  tokenId?: string | null
  clientIp: string
  userAgent?: string
  action: string
  target?: string
  outcome: AuditOutcome
  status: number
  /** The error code answered (invalid_token, forbidden, ...): what kind of failure to fold. */
  reason?: string
}

/** The actor of a login attempt under a username no user has. */
export const UNKNOWN_USER = '(unknown user)'
/** The action of a summary of folded failures (see audit.fold.ts). */
export const FOLDED_ACTION = 'audit.folded'

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
    folded_count: null,
    username_hash: null,
  }
}

// ---------------------------------------------------------------------------
// Events without a request.

/** A token presented from another address than its last use (or used for the first time). */
export interface NewAddressUse {
  tokenId: string
  userId: string
  username: string
  ip: string
  previousIp: string | null
  at: Date
}

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
  foldedCount: number | null
  usernameHash: string | null
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
    foldedCount: row.folded_count,
    usernameHash: row.username_hash,
  }
}

export interface AuditDeps {
  db: Kysely<Database>
  clock: Clock
  /** The AuditRecorder, named by what is used: importing it would make a cycle with it. */
  audit: { flush(): Promise<void> }
}

/**
 * Ordered by (at, id) one way: ids are time-ordered too (see newEventId), so the order
 * is total and a cursor names one event.
 */
const EVENT_ORDER: ListOrder = {
  sortable: { at: 'at' },
  defaultSort: 'at,desc',
  tail: [['id', 'sort']],
}

export async function listEvents(deps: AuditDeps, filter: repo.EventFilter, query: ListQueryInput) {
  // Read your own writes: what this node has queued is in the answer.
  await deps.audit.flush()
  return pageInSql(deps.db, repo.eventsMatching(deps.db, filter), query, EVENT_ORDER, auditView)
}

/** Deletes events older than the retention period; returns how many. */
export async function purgeAuditEvents(
  deps: Pick<AuditDeps, 'db' | 'clock'>,
  retentionDays: number,
): Promise<number> {
  const cutoff = new Date(deps.clock.now().getTime() - retentionDays * 86_400_000)
  return repo.deleteEventsBefore(deps.db, cutoff.toISOString())
}
