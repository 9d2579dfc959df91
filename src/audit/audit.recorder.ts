import { createHmac } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { Clock } from '../clock.ts'
import type { AuditEventRow, Database } from '../db/schema.ts'
import { type FoldActor, Folder, type FoldSettings, type FoldSummary } from './audit.fold.ts'
import * as repo from './audit.repository.ts'
import {
  type AuditEvent,
  type AuditOutcome,
  clean,
  FOLDED_ACTION,
  LIMITS,
  toRow,
  UNKNOWN_USER,
} from './audit.service.ts'
import { type AuditEventFields, type AuditEventName, renderFields } from './events.ts'

/** The rule usernames follow (identity/users.service.ts): nothing else can be a user. */
const USERNAME_SHAPE = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/

/**
 * What a failure is, for folding: a wrong password, a bad token, a denial... Successes
 * are never folded.
 */
export function foldKind(event: AuditEvent): string | undefined {
  if (event.outcome === 'success') return undefined
  if (event.reason === 'unauthorized_client') return 'bad_credentials'
  return event.reason ?? `http_${event.status}`
}

/** The event a window's summary is written as. */
function summaryRow(summary: FoldSummary, now: Date): AuditEventRow {
  const actor = summary.actor
  const event: AuditEvent = {
    at: summary.lastAt,
    actorUserId: actor?.userId ?? null,
    // A login's name is the writer's to decide on (see withActors).
    actorUsername: actor?.attemptHash ? null : (actor?.username ?? null),
    tokenId: actor?.tokenId ?? null,
    clientIp: summary.address,
    userAgent: summary.userAgent ?? '',
    action: FOLDED_ACTION,
    target: `${summary.count} more ${summary.kind} from ${summary.address} between ${summary.firstAt.toISOString()} and ${summary.lastAt.toISOString()}`,
    outcome: summary.outcome as AuditOutcome,
    status: summary.status,
  }
  return { ...toRow(event, now), folded_count: summary.count }
}

/** Who acted: a user (with the token they presented), or a name alone (the CLI). */
export interface AuditActor {
  userId: string | null
  username: string | null
  tokenId?: string | null
}

/** Where an action came from, and who did it: the request's, or the process's. */
export interface AuditOrigin {
  actor: AuditActor | null
  clientIp: string
  userAgent: string
  requestId?: string | undefined
}

export interface RecordOptions {
  /** How it ended; success unless said. */
  outcome?: AuditOutcome
  /** A login: what was typed as the username (see AuditEvent.attemptedUsername). */
  attemptedUsername?: string
  /** Who acted, where it is not the request's principal or the process's actor. */
  actor?: AuditActor
  /** Where from, for an event that happens outside any request (a token's use). */
  clientIp?: string
  /** Outside a request: the status it stands for (a failed CLI command's). */
  status?: number
  at?: Date
}

/** What services need of the audit log: recording a catalogue event by name. */
export interface AuditSink {
  record<N extends AuditEventName>(
    name: N,
    fields: AuditEventFields[N],
    options?: RecordOptions,
  ): void
}

/** An event recorded during a request, waiting for what only HTTP knows. */
export interface PendingEvent {
  name: AuditEventName
  fields: Readonly<Record<string, unknown>>
  options: RecordOptions
}

/**
 * What a request's services record through (the route hands it to them in place of the
 * recorder, see audited() in audit.hook.ts): events wait here for the answer, so the
 * hook can add what HTTP knows. Passed explicitly: an AsyncLocalStorage would turn on
 * Node's promise hooks for every request (measured: 15-30% more CPU per Bearer request).
 */
export class RequestScope implements AuditSink {
  readonly events: PendingEvent[] = []
  /** Set once the request is answered: anything recorded later is written at once. */
  private answered: HttpFacts | undefined

  constructor(private readonly recorder: AuditRecorder) {}

  record<N extends AuditEventName>(
    name: N,
    fields: AuditEventFields[N],
    options: RecordOptions = {},
  ): void {
    const pending: PendingEvent = { name, fields, options }
    if (this.answered) this.recorder.write(eventOf(pending, this.answered))
    else this.events.push(pending)
  }

  /** Writes what was recorded, with what HTTP knows of the request; later ones at once. */
  finish(http: HttpFacts): void {
    this.answered = http
    for (const pending of this.events.splice(0)) this.recorder.write(eventOf(pending, http))
  }
}

/** What the hook knows of a request once it is answered. */
export interface HttpFacts extends AuditOrigin {
  status: number
  /** The error code answered, if any. */
  reason?: string | undefined
}

/** Outside any request and unless told otherwise: this process, on this machine. */
const LOCAL: AuditOrigin = { actor: null, clientIp: 'local', userAgent: '' }

export type AuditWarn = (detail: Record<string, unknown>, message: string) => void

/** A login attempt, until the writer knows whether a user has the name. */
interface Attempt {
  /** What was typed, if it could be a username; held in memory only. */
  name: string | null
  /** Keyed hash of what was typed, stored if no user has it. */
  hash: string
}

interface Pending {
  row: AuditEventRow
  attempt: Attempt | undefined
}

export interface RecorderOptions {
  /** Keys the hash of unknown usernames (KeyRing.auditUsername). */
  usernameKey: Buffer
  fold: FoldSettings
  maxQueued?: number
  batchSize?: number
}

/**
 * Records events off the request path: record() only queues (synchronously, no I/O);
 * a writer drains the queue in batches after the current turn of the event loop, so a
 * burst of requests costs a few multi-row inserts, not one write each.
 *
 * Nothing is lost silently: a batch the database refuses is written to the log instead
 * (the events hold no secrets), and if the database falls so far behind that the queue
 * fills, the overflow is counted and reported. flush() waits for everything queued;
 * close() also ends the folding windows, so their counts are written (shutdown, the CLI).
 *
 * Every event passes here, so this is where repeated failures are folded.
 */
export class AuditRecorder implements AuditSink {
  private queue: Pending[] = []
  private origin: AuditOrigin = LOCAL
  private running: Promise<void> | null = null
  private dropped = 0
  private readonly folder: Folder
  private readonly maxQueued: number
  private readonly batchSize: number

  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
    private readonly warn: AuditWarn,
    private readonly options: RecorderOptions,
  ) {
    this.maxQueued = options.maxQueued ?? 10_000
    this.batchSize = options.batchSize ?? 200
    this.folder = new Folder(options.fold, clock, (summary) =>
      this.enqueue(summaryRow(summary, clock.now()), attemptOf(summary.actor)),
    )
  }

  /**
   * Records a catalogue event outside any request (the CLI, background work), with the
   * process's origin (setOrigin). Within a request, services record through the
   * request's RequestScope instead.
   */
  record<N extends AuditEventName>(
    name: N,
    fields: AuditEventFields[N],
    options: RecordOptions = {},
  ): void {
    const status = options.status ?? (options.outcome === undefined ? 200 : 500)
    this.write(eventOf({ name, fields, options }, { ...this.origin, status }))
  }

  /** Who and where events outside requests come from (the CLI names its OS user). */
  setOrigin(origin: AuditOrigin): void {
    this.origin = origin
  }

  /** Writes one event as it is: folded if it is a failure (audit.fold.ts). */
  write(event: AuditEvent): void {
    const attempt =
      event.attemptedUsername === undefined ? undefined : this.attempt(event.attemptedUsername)
    const kind = foldKind(event)
    if (kind !== undefined) {
      const actor: FoldActor = {
        userId: event.actorUserId ?? null,
        username: attempt ? attempt.name : (event.actorUsername ?? null),
        tokenId: event.tokenId ?? null,
        attemptHash: attempt?.hash ?? null,
      }
      const verbatim = this.folder.admit({
        kind,
        clientIp: event.clientIp,
        userAgent: event.userAgent ?? '',
        outcome: event.outcome,
        status: event.status,
        actor,
      })
      if (!verbatim) return
    }
    this.enqueue(toRow(event, this.clock.now()), attempt)
  }

  /** Failure groups tracked for folding now (bounded by APIOPS_AUDIT_FOLD_MAX_ADDRESSES). */
  get foldGroups(): number {
    return this.folder.size
  }

  private attempt(typed: string): Attempt {
    return {
      name: USERNAME_SHAPE.test(typed) ? typed : null,
      hash: createHmac('sha256', this.options.usernameKey).update(typed).digest('hex').slice(0, 16),
    }
  }

  private enqueue(row: AuditEventRow, attempt: Attempt | undefined): void {
    if (this.queue.length >= this.maxQueued) {
      if (this.dropped === 0) {
        this.warn(
          { maxQueued: this.maxQueued },
          'audit log writes are falling behind; events beyond the queue limit are being counted and dropped',
        )
      }
      this.dropped += 1
      return
    }
    this.queue.push({ row, attempt })
    this.schedule()
  }

  /** Waits until every event recorded so far is written (or reported as lost). */
  async flush(): Promise<void> {
    while (this.running) await this.running
  }

  /**
   * Ends every folding window now and waits until their summaries and everything else
   * are written: for shutdown. Recording may go on afterwards, in fresh windows.
   */
  async close(): Promise<void> {
    this.folder.closeAll()
    await this.flush()
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
      const batch = this.queue.splice(0, this.batchSize)
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

  /** Login attempts: the user who has the name, or UNKNOWN_USER and the hash. */
  private async withActors(batch: Pending[]): Promise<AuditEventRow[]> {
    const names = batch.flatMap((p) => (p.attempt?.name ? [p.attempt.name] : []))
    let ids = new Map<string, string>()
    if (names.length > 0) {
      try {
        ids = await repo.userIdsByName(this.db, names)
      } catch {
        // Not knowing whether a user has the name, store none: it may be a password.
      }
    }
    return batch.map(({ row, attempt }) => {
      if (!attempt) return row
      const id = attempt.name === null ? undefined : ids.get(attempt.name)
      if (id !== undefined) return { ...row, actor_user_id: id, actor_username: attempt.name }
      const target = [row.target, `username_hash=${attempt.hash}`].filter(Boolean).join(' ')
      return {
        ...row,
        actor_user_id: null,
        actor_username: UNKNOWN_USER,
        username_hash: attempt.hash,
        target: clean(target, LIMITS.target),
      }
    })
  }
}

/** A catalogue event with its origin: the event's own actor first, then the request's. */
function eventOf(pending: PendingEvent, http: HttpFacts): AuditEvent {
  const { options } = pending
  const actor = options.actor ?? (options.attemptedUsername === undefined ? http.actor : null)
  const outcome = options.outcome ?? 'success'
  return {
    ...(options.at ? { at: options.at } : {}),
    actorUserId: actor?.userId ?? null,
    actorUsername: actor?.username ?? null,
    ...(options.attemptedUsername === undefined
      ? {}
      : { attemptedUsername: options.attemptedUsername }),
    tokenId: actor?.tokenId ?? null,
    clientIp: options.clientIp ?? http.clientIp,
    userAgent: http.userAgent,
    requestId: http.requestId,
    action: pending.name,
    target: renderFields(pending.fields),
    outcome,
    status: http.status,
    reason: outcome === 'success' ? undefined : http.reason,
  }
}

/** A summary's login attempt: when every folded attempt typed the same thing. */
function attemptOf(actor: FoldActor | null): Attempt | undefined {
  if (!actor?.attemptHash) return undefined
  return { name: actor.username, hash: actor.attemptHash }
}
