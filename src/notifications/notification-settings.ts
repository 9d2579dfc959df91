import { errors } from '../errors.ts'
import {
  ipLiteral,
  isForbiddenAddress,
  normalizeHostName,
  type OutboundAllowlist,
} from '../outbound-address.ts'
import { MASK, seal, unseal } from '../sealed.ts'

/*
 * Where reminders and alerts go: an SMTP relay and/or a webhook, set by an administrator
 * as a runtime setting. The SMTP password, the webhook's signing secret and the webhook
 * URL itself (a Slack or Teams URL is a credential: its path is the secret) are stored
 * sealed and never shown again; a read shows only that they are set.
 */

export type SmtpSecurity = 'starttls' | 'tls' | 'none'

export interface StoredEmail {
  host: string
  port: number
  security: SmtpSecurity
  username: string | null
  /** Sealed (sealed.ts); null: the relay takes mail without a login. */
  password: string | null
  from: string
}

export interface StoredWebhook {
  /** Sealed: the whole URL. */
  url: string
  /** What a read shows of the URL: its scheme, host and port. */
  origin: string
  /** Sealed HMAC key for X-Apiops-Signature; null: deliveries are unsigned. */
  secret: string | null
}

export interface StoredNotifications {
  email: StoredEmail | null
  webhook: StoredWebhook | null
}

export const NO_NOTIFICATIONS: StoredNotifications = Object.freeze({ email: null, webhook: null })

export interface NotificationsView {
  email: (Omit<StoredEmail, 'password'> & { passwordSet: boolean }) | null
  webhook: { url: string; secretSet: boolean } | null
}

export interface EmailChange {
  host: string
  port?: number
  security?: SmtpSecurity
  username?: string | null
  /** Omitted or the mask: the stored one stays; null: none. */
  password?: string | null
  from: string
}

export interface WebhookChange {
  /** The URL, or the masked form a read showed: the stored one stays. */
  url: string
  secret?: string | null
}

/** Parts given replace those in force; null removes a channel. */
export interface NotificationsChange {
  email?: EmailChange | null
  webhook?: WebhookChange | null
}

/** Where the sealed values are bound (sealed.ts's context): a copy elsewhere fails to open. */
const CONTEXT = {
  password: 'settings:notifications:email.password',
  url: 'settings:notifications:webhook.url',
  secret: 'settings:notifications:webhook.secret',
} as const

export type SealedField = keyof typeof CONTEXT

export function openSealed(keys: readonly Buffer[], field: SealedField, sealed: string): string {
  return unseal(keys, sealed, CONTEXT[field])
}

/** A stored value that does not read (hand-edited?) counts as no channels at all. */
export function parseStoredNotifications(text: string): StoredNotifications {
  try {
    const value = JSON.parse(text) as Partial<StoredNotifications>
    return { email: value.email ?? null, webhook: value.webhook ?? null }
  } catch {
    return NO_NOTIFICATIONS
  }
}

export function notificationsView(stored: StoredNotifications): NotificationsView {
  const { email, webhook } = stored
  return {
    email: email && {
      host: email.host,
      port: email.port,
      security: email.security,
      username: email.username,
      passwordSet: email.password !== null,
      from: email.from,
    },
    webhook: webhook && { url: maskedUrl(webhook.origin), secretSet: webhook.secret !== null },
  }
}

function maskedUrl(origin: string): string {
  return `${origin}/${MASK}`
}

export interface ChangeContext {
  key: Buffer
  /** Private addresses the operator allows (APIOPS_NOTIFICATION_ALLOWLIST). */
  allowlist: OutboundAllowlist
}

/** The settings after `change`, secrets sealed; a 400 naming the field for what cannot work. */
export function applyNotificationsChange(
  stored: StoredNotifications,
  change: NotificationsChange,
  context: ChangeContext,
): StoredNotifications {
  return {
    email:
      change.email === undefined ? stored.email : emailAfter(stored.email, change.email, context),
    webhook:
      change.webhook === undefined
        ? stored.webhook
        : webhookAfter(stored.webhook, change.webhook, context),
  }
}

const EMAIL_ADDRESS = /^[^\s@<>"]+@[^\s@<>"]+\.[^\s@<>"]+$/

/** A bare address (local@domain.tld): all a mail relay needs to route; 254 at most (RFC 5321). */
export function isEmailAddress(text: string): boolean {
  return text.length <= 254 && EMAIL_ADDRESS.test(text)
}

function emailAfter(
  before: StoredEmail | null,
  change: EmailChange | null,
  context: ChangeContext,
): StoredEmail | null {
  if (change === null) return null
  checkHost(change.host, 'notifications.email.host', context.allowlist)
  const from = change.from.trim()
  const bracketed = /<([^<>]+)>\s*$/.exec(from)?.[1]
  if (!isEmailAddress(bracketed ?? from)) {
    throw invalid('notifications.email.from', 'must be an email address, e.g. apiops@example.com')
  }
  const security = change.security ?? 'starttls'
  const username = change.username === undefined ? (before?.username ?? null) : change.username
  let password = before?.password ?? null
  if (change.password === null) password = null
  else if (change.password !== undefined && change.password !== MASK) {
    password = seal(context.key, change.password, CONTEXT.password)
  }
  if (password !== null && !username) {
    throw invalid('notifications.email.username', 'is required when a password is set')
  }
  const port = change.port ?? (security === 'tls' ? 465 : 587)
  return { host: normalizeHostName(change.host), port, security, username, password, from }
}

function webhookAfter(
  before: StoredWebhook | null,
  change: WebhookChange | null,
  context: ChangeContext,
): StoredWebhook | null {
  if (change === null) return null
  const keepUrl = before !== null && change.url === maskedUrl(before.origin)
  let url = before?.url ?? ''
  let origin = before?.origin ?? ''
  if (!keepUrl) {
    const parsed = webhookUrl(change.url)
    checkHost(parsed.hostname, 'notifications.webhook.url', context.allowlist)
    url = seal(context.key, parsed.href, CONTEXT.url)
    origin = parsed.origin
  }
  let secret = before?.secret ?? null
  if (change.secret === null) secret = null
  else if (change.secret !== undefined && change.secret !== MASK) {
    secret = seal(context.key, change.secret, CONTEXT.secret)
  }
  return { url, origin, secret }
}

function webhookUrl(text: string): URL {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw invalid('notifications.webhook.url', 'is not a valid URL')
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw invalid('notifications.webhook.url', 'must be an http or https URL')
  }
  if (url.username || url.password) {
    throw invalid('notifications.webhook.url', 'must not carry a user or password; use a secret')
  }
  return url
}

/**
 * An address literal is judged now, so the administrator hears at once; a name is
 * resolved and judged at each delivery (its addresses may change).
 */
function checkHost(host: string, field: string, allowlist: OutboundAllowlist): void {
  const literal = ipLiteral(host)
  if (literal !== undefined && isForbiddenAddress(literal, allowlist)) {
    throw invalid(
      field,
      `${literal} is not a public address; the operator must list it in APIOPS_NOTIFICATION_ALLOWLIST`,
    )
  }
}

function invalid(field: string, message: string) {
  return errors.validationFailed([{ field, message }])
}
