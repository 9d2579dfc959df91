/*
 * Where expiry reminders and canary alerts go (issue 14, sections 3 and 7): an SMTP
 * server and a webhook, as a runtime setting. Passwords and secrets are write-only: the
 * server says only whether one is set.
 */

export type EmailSecurity = 'starttls' | 'tls' | 'none'

export const SECURITY_LABEL: Record<EmailSecurity, string> = {
  starttls: 'STARTTLS',
  tls: 'TLS (implicit)',
  none: 'None (plain text)',
}

/** The port offered for each kind of connection (the server's defaults: 465 for TLS, else 587). */
export const DEFAULT_PORT: Record<EmailSecurity, number> = { starttls: 587, tls: 465, none: 587 }

/** What the server takes as a webhook's signing secret (src/settings/notifications.schemas.ts). */
export const WEBHOOK_SECRET_MIN = 16

export interface EmailChannelView {
  host: string
  port: number
  security: EmailSecurity
  username: string | null
  passwordSet: boolean
  from: string
}

export interface WebhookChannelView {
  /** The URL's origin and a mask (the whole URL is a credential); sent back unchanged, it keeps the stored one. */
  url: string
  secretSet: boolean
}

export interface NotificationChannels {
  email: EmailChannelView | null
  webhook: WebhookChannelView | null
}

export interface NotificationsSettingView {
  value: NotificationChannels
  source: 'administrator' | 'default'
  updatedAt: string | null
  updatedBy: string | null
}

/** An email channel as sent: an omitted password keeps the stored one. */
export interface EmailChannelInput {
  host: string
  port?: number
  security?: EmailSecurity
  username?: string | null
  /** Omitted: the stored one stays; null: none. */
  password?: string | null
  from: string
}

/** A webhook as sent: an omitted secret keeps the stored one. */
export interface WebhookChannelInput {
  url: string
  secret?: string
}

/** The parts given replace those in force; null removes a channel; null as a whole resets. */
export type NotificationsChange = null | {
  email?: EmailChannelInput | null
  webhook?: WebhookChannelInput | null
}

export type Channel = 'email' | 'webhook'

export const CHANNEL_LABEL: Record<Channel, string> = { email: 'Email', webhook: 'Webhook' }

/** The answer to a test message: sent or not, and the server's words on what happened. */
export interface NotificationTest {
  channel: Channel
  delivered: boolean
  detail: string
}

type Send = <T>(method: string, path: string, body?: unknown) => Promise<T>

export function notificationCalls(send: Send) {
  return {
    /** A test message on one channel (email: to the calling administrator's own address). */
    testNotification: (channel: Channel) =>
      send<NotificationTest>('POST', '/apiops/settings/notifications/test/', { channel }),
  }
}
