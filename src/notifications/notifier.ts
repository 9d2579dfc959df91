import { randomUUID } from 'node:crypto'
import type { Clock } from '../clock.ts'
import { type Mail, type OutboundNet, sendMail } from './email.ts'
import {
  openSealed,
  type StoredEmail,
  type StoredNotifications,
  type StoredWebhook,
} from './notification-settings.ts'
import { postWebhook } from './webhook.ts'

/*
 * Tells a person something through every channel an administrator configured (email
 * and/or a webhook), and reports per channel what happened, so the caller can record
 * it. Nothing here throws: a channel that fails is a report, not an exception.
 */

export type Channel = 'email' | 'webhook'

export interface Notice {
  /** What happened, e.g. `token.expiring`: the webhook's X-Apiops-Event. */
  event: string
  recipient: { username: string; email: string | null }
  subject: string
  text: string
  /** Plain facts for the webhook's receiver (ids, times); never a secret. */
  data: Readonly<Record<string, string | number | null>>
}

export interface Delivery {
  channel: Channel
  delivered: boolean
  /** Where it went, or why it did not: for administrators and the audit log. */
  detail: string
}

export interface NotifierDeps {
  clock: Clock
  /** The settings in force now (RuntimeSettings), read at each delivery. */
  settings: () => StoredNotifications
  /** For opening sealed values: the current key, then former ones. */
  keys: readonly Buffer[]
  net: OutboundNet
}

export interface Notifier {
  /** The channels configured now; none means nothing can be told. */
  channels(): Channel[]
  deliver(notice: Notice, only?: Channel): Promise<Delivery[]>
}

export function createNotifier(deps: NotifierDeps): Notifier {
  const channels = (): Channel[] => {
    const { email, webhook } = deps.settings()
    return [...(email ? (['email'] as const) : []), ...(webhook ? (['webhook'] as const) : [])]
  }
  return {
    channels,
    async deliver(notice, only) {
      const { email, webhook } = deps.settings()
      const sends: Promise<Delivery>[] = []
      if (email && (only ?? 'email') === 'email') sends.push(byEmail(deps, email, notice))
      if (webhook && (only ?? 'webhook') === 'webhook') sends.push(byWebhook(deps, webhook, notice))
      return Promise.all(sends)
    },
  }
}

async function byEmail(deps: NotifierDeps, relay: StoredEmail, notice: Notice): Promise<Delivery> {
  const to = notice.recipient.email
  if (!to) {
    return {
      channel: 'email',
      delivered: false,
      detail: `${notice.recipient.username} has no email address`,
    }
  }
  const mail: Mail = { to, subject: notice.subject, text: notice.text }
  return attempt('email', `to ${to}`, async () => {
    const password = relay.password && openSealed(deps.keys, 'password', relay.password)
    await sendMail(relay, password, mail, deps.net)
  })
}

async function byWebhook(
  deps: NotifierDeps,
  hook: StoredWebhook,
  notice: Notice,
): Promise<Delivery> {
  const now = deps.clock.now()
  const id = randomUUID()
  const body = JSON.stringify({
    id,
    event: notice.event,
    occurredAt: now.toISOString(),
    recipient: notice.recipient.username,
    subject: notice.subject,
    text: notice.text,
    data: notice.data,
  })
  return attempt('webhook', `to ${hook.origin}`, async () => {
    const url = openSealed(deps.keys, 'url', hook.url)
    const secret = hook.secret && openSealed(deps.keys, 'secret', hook.secret)
    await postWebhook({ url, secret, body, event: notice.event, id }, deps.net, now.getTime())
  })
}

async function attempt(channel: Channel, where: string, send: () => Promise<void>) {
  try {
    await send()
    return { channel, delivered: true, detail: `delivered ${where}` }
  } catch (error) {
    return { channel, delivered: false, detail: `not delivered ${where}: ${reasonOf(error)}` }
  }
}

/** A short reason, from the error or the one it wraps (undici wraps the socket's). */
function reasonOf(error: unknown): string {
  const e = error as Error & { code?: string; cause?: Error & { code?: string } }
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return 'timed out'
  const inner = e.cause instanceof Error ? e.cause : e
  const code = (inner as { code?: string }).code
  const text = inner.message.split('\n')[0]?.slice(0, 200) ?? ''
  return code && !text.includes(code) ? `${code}: ${text}` : text
}
