import type { Kysely } from 'kysely'
import type { AuditSink } from '../../audit/audit.recorder.ts'
import type { Clock } from '../../clock.ts'
import { acquireLease } from '../../cluster/lease.ts'
import type { Database } from '../../db/schema.ts'
import type { Notice, Notifier } from '../../notifications/notifier.ts'
import type { TokenLifetimePolicy } from './lifetime-policy.ts'
import * as repo from './reminders.repository.ts'
import { deliverTokenNotice } from './token-notices.ts'

/*
 * Expiry reminders: 7 days and 1 day before a personal token expires, and when the
 * inactivity limit nears, its owner is told through the channels an administrator set.
 * One node of a cluster sends (a lease), and each reminder is claimed once per token and
 * threshold in the database, so even two senders could not send one twice.
 */

const DAY_MS = 86_400_000
/** Most urgent first: a token 12 hours from expiry is reminded "1 day", not "7 days". */
const EXPIRY_THRESHOLDS = [
  { key: '1d', ms: DAY_MS, words: 'within a day' },
  { key: '7d', ms: 7 * DAY_MS, words: 'within 7 days' },
] as const
/** A reminder no channel took is tried again at later rounds, this many times in all. */
const MAX_ATTEMPTS = 3
export const REMINDER_LEASE = 'token-reminders'

export interface ReminderDeps {
  db: Kysely<Database>
  clock: Clock
  audit: AuditSink
  notifier: Notifier
  lifetimePolicy: () => TokenLifetimePolicy
}

interface Due {
  token: repo.ReminderCandidate
  threshold: string
  notice: Notice
}

/**
 * The threshold a token has reached, if it lived past it: a token made 3 days before its
 * expiry gets the 1-day reminder only, never a "7 days" one on the day it was made.
 */
export function expiryThreshold(createdMs: number, expiresMs: number, nowMs: number) {
  return EXPIRY_THRESHOLDS.find((t) => expiresMs - nowMs <= t.ms && createdMs < expiresMs - t.ms)
}

/** How long before the inactivity rule revokes a token its owner is told: 7 days, or half the limit. */
export function inactivityWarningMs(inactivityDays: number): number {
  return Math.min(7 * DAY_MS, (inactivityDays * DAY_MS) / 2)
}

function expiryNotices(tokens: repo.ReminderCandidate[], nowMs: number): Due[] {
  return tokens.flatMap((token) => {
    const expiresAt = token.expires_at as string
    const threshold = expiryThreshold(Date.parse(token.created_at), Date.parse(expiresAt), nowMs)
    if (!threshold) return []
    const subject = `apiops: your token "${token.name}" expires ${threshold.words}`
    const text = [
      `Your personal API access token "${token.name}" (id ${token.id}) expires at ${expiresAt} (UTC).`,
      'Rotate it (apiops token rotate, or POST /apiops/me/tokens/{id}/rotate/) or create a new one before then:',
      'after that moment every request that presents it is refused with 401.',
    ].join('\n')
    return [
      {
        token,
        threshold: threshold.key,
        notice: notice('token.expiring', token, subject, text, {
          threshold: threshold.key,
          expiresAt,
        }),
      },
    ]
  })
}

function idleNotices(tokens: repo.ReminderCandidate[], inactivityDays: number): Due[] {
  return tokens.flatMap((token) => {
    const since = token.last_used_at ?? token.created_at
    const revokeAt = new Date(Date.parse(since) + inactivityDays * DAY_MS).toISOString()
    // A token that expires first is told of its expiry instead: one message, not two.
    if (token.expires_at !== null && token.expires_at <= revokeAt) return []
    const subject = `apiops: your unused token "${token.name}" will be revoked`
    const text = [
      `Your personal API access token "${token.name}" (id ${token.id}) has not been used since ${since} (UTC).`,
      `Tokens unused for ${inactivityDays} days are revoked: this one will be at ${revokeAt} (UTC) unless it is used before then.`,
    ].join('\n')
    // Counted from the last use: a token used again and left idle again is told again.
    const threshold = `inactivity@${since}`
    return {
      token,
      threshold,
      notice: notice('token.inactive', token, subject, text, { threshold: 'inactivity', revokeAt }),
    }
  })
}

function notice(
  event: string,
  token: repo.ReminderCandidate,
  subject: string,
  text: string,
  facts: Record<string, string>,
): Notice {
  return {
    event,
    recipient: { username: token.username, email: token.email },
    subject,
    text,
    data: { tokenId: token.id, tokenName: token.name, owner: token.username, ...facts },
  }
}

async function dueReminders(deps: ReminderDeps, now: Date): Promise<Due[]> {
  const nowMs = now.getTime()
  const iso = now.toISOString()
  const expiring = await repo.expiringTokens(deps.db, {
    now: iso,
    until: new Date(nowMs + 7 * DAY_MS).toISOString(),
  })
  const due = expiryNotices(expiring, nowMs)
  const { inactivityDays } = deps.lifetimePolicy()
  if (inactivityDays > 0) {
    const limitMs = inactivityDays * DAY_MS
    const idle = await repo.idleTokens(deps.db, {
      now: iso,
      from: new Date(nowMs - limitMs).toISOString(),
      to: new Date(nowMs - limitMs + inactivityWarningMs(inactivityDays)).toISOString(),
    })
    due.push(...idleNotices(idle, inactivityDays))
  }
  return due
}

/** Sends one claimed reminder and records what each channel did. */
async function send(deps: ReminderDeps, due: Due): Promise<boolean> {
  const delivered = await deliverTokenNotice(deps, due.token.id, due.notice)
  if (delivered.length > 0) {
    deps.audit.record('token.reminderSent', {
      tokenId: due.token.id,
      owner: due.token.username,
      threshold: due.threshold,
      channels: delivered,
    })
  }
  await repo.settleReminder(deps.db, {
    tokenId: due.token.id,
    threshold: due.threshold,
    at: deps.clock.now().toISOString(),
    status: delivered.length > 0 ? 'sent' : 'failed',
  })
  return delivered.length > 0
}

/**
 * One round: when this node holds the lease and a channel is set, every reminder due
 * now that no round has sent yet. Answers what was sent, or null when another node holds
 * the lease (or nothing can be told: no channel is set, and nothing is claimed).
 */
export async function sendDueReminders(
  deps: ReminderDeps,
  lease: { holder: string; ttlMs: number },
): Promise<{ sent: number; failed: number } | null> {
  if (deps.notifier.channels().length === 0) return null
  const now = deps.clock.now()
  if (!(await acquireLease(deps.db, { name: REMINDER_LEASE, ...lease }, now))) return null
  let sent = 0
  let failed = 0
  for (const due of await dueReminders(deps, now)) {
    const claim = {
      tokenId: due.token.id,
      threshold: due.threshold,
      at: now.toISOString(),
      maxAttempts: MAX_ATTEMPTS,
    }
    if (!(await repo.claimReminder(deps.db, claim))) continue
    if (await send(deps, due)) sent++
    else failed++
  }
  return { sent, failed }
}

/** Runs a round now and then every `everyMs`; returns the stop function. */
export function scheduleReminders(
  deps: ReminderDeps,
  options: {
    holder: string
    everyMs: number
    onRound: (result: { sent: number; failed: number }) => void
    onError: (error: unknown) => void
  },
): () => void {
  // Held across two rounds: a node that stops is replaced within two intervals.
  const lease = { holder: options.holder, ttlMs: options.everyMs * 2 }
  let running = false
  const round = async () => {
    if (running) return // a slow relay must not stack rounds up
    running = true
    try {
      const result = await sendDueReminders(deps, lease)
      if (result && result.sent + result.failed > 0) options.onRound(result)
    } catch (error) {
      options.onError(error)
    } finally {
      running = false
    }
  }
  void round()
  const timer = setInterval(round, options.everyMs)
  timer.unref()
  return () => clearInterval(timer)
}
