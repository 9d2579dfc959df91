/*
 * The audit catalogue: every event the audit log can hold, its fields and its label.
 *
 * Services record these by name (`audit.record('token.revoked', {...})`), whichever way
 * the action came in (API, console, CLI); the HTTP hook adds only what HTTP knows. The
 * console imports this module for its labels and its list of actions, so it must stay
 * free of imports but its own parts: nothing of the server may follow it into the browser
 * bundle. The resources' events are in events.resources.ts and the security objects' in
 * events.security.ts (both import nothing).
 */

import {
  type CatalogueEntry,
  RESOURCE_EVENTS,
  type ResourceEventFields,
} from './events.resources.ts'
import { SECURITY_EVENTS, type SecurityEventFields } from './events.security.ts'

export type LoginChannel = 'token_endpoint' | 'console' | 'introspection'
export type TokenSource = 'console' | 'api' | 'cli'

/** The fields of each event, as services give them (stored as `key=value` text). */
export interface AuditEventFields extends ResourceEventFields, SecurityEventFields {
  'login.succeeded': { channel: LoginChannel; tokenId?: string }
  'login.failed': { channel: LoginChannel }
  'login.locked': { channel: LoginChannel }
  'session.ended': Record<string, never>
  'token.created': {
    tokenId: string
    owner: string
    name: string
    source: TokenSource
    expiresAt: string
    /** What a narrowed token is limited to (token-limits.ts limitsSummary); absent: nothing. */
    limits?: string
  }
  'token.revoked': { tokenId: string; owner: string }
  'token.revokedAll': { owner: string; count: number }
  /** lastUsedAt: ISO 8601, or `never`. */
  'token.revokedInactive': {
    tokenId: string
    owner: string
    inactivityDays: number
    lastUsedAt: string
  }
  'token.rotated': { tokenId: string; newTokenId: string; owner: string; graceSeconds: number }
  /** threshold: 7d, 1d or inactivity@<last use>; channels: those that delivered it. */
  'token.reminderSent': {
    tokenId: string
    owner: string
    threshold: string
    channels: readonly string[]
  }
  'token.rotationReused': { tokenId: string; chainId: string; owner: string; count: number }
  'token.canaryCreated': { tokenId: string; owner: string; name: string }
  'token.canaryTriggered': { tokenId: string; method: string; path: string; userAgent: string }
  'token.usedFromNewAddress': { tokenId: string; previous: string }
  /** RFC 7009: whoever held the token, signed in or not (the actor is the token's owner). */
  'token.revokedByPresenter': { tokenId: string; owner: string }
  /** owner: a username, or `*` for every user; before: the instant, ISO 8601. */
  'token.revokedBefore': { owner: string; before: string; count: number }
  'user.created': { username: string; roles: readonly string[] }
  'user.deleted': { username: string }
  'user.roleGranted': { username: string; roles: readonly string[] }
  'user.roleRevoked': { username: string; roles: readonly string[] }
  'user.enabled': { username: string }
  'user.disabled': { username: string }
  /** cleared: the address was removed (the address itself is not recorded). */
  'user.emailChanged': { username: string; cleared: boolean }
  'password.changed': { username: string; revokeTokens: boolean }
  'password.reset': { username: string; revokeTokens: boolean }
  'settings.updated': { keys: readonly string[] }
  'notification.tested': { channel: string; delivered: boolean; detail: string }
  /** A reminder or alert a channel could not deliver; detail says why. */
  'notification.failed': { event: string; tokenId: string; channel: string; detail: string }
  'geolocation.enabled': Record<string, never>
  'geolocation.disabled': Record<string, never>
  /** sha256: of the file, so which database was in force when can be told apart. */
  'geolocation.databaseUploaded': { fileName: string; databaseType: string; sha256: string }
  /** Recorded by the HTTP hook: a 401 or 403 answer. */
  'request.denied': { operation: string } & Record<string, string>
  /** Recorded by the HTTP hook: a write that failed before any event was recorded. */
  'request.failed': { operation: string } & Record<string, string>
  'cli.failed': { command: string; args: string }
  /** Written by the recorder: failures counted instead of recorded one by one. */
  'audit.folded': { count: number; kind: string; address: string; first: string; last: string }
}

export type AuditEventName = keyof AuditEventFields

export type AuditEventInfo<N extends AuditEventName> = CatalogueEntry<AuditEventFields[N]>

/** The catalogue: one entry per event, checked against AuditEventFields both ways. */
export const AUDIT_EVENTS: { readonly [N in AuditEventName]: AuditEventInfo<N> } = {
  'login.succeeded': {
    label: 'Logged in',
    when: 'Right username and password at the token endpoint (tokenId: the token issued) or the console login',
    fields: ['channel', 'tokenId'],
  },
  'login.failed': {
    label: 'Login failed',
    when: 'Wrong username or password; the actor is the user with the typed name, or "(unknown user)" and a keyed hash',
    fields: ['channel'],
  },
  'login.locked': {
    label: 'Login refused: locked out',
    when: 'A login while the username or address is locked out after repeated failures (429)',
    fields: ['channel'],
  },
  'session.ended': {
    label: 'Logged out',
    when: 'A console session logs out',
    fields: [],
  },
  'token.created': {
    label: 'Token created',
    when: 'A personal access token is created in the console or by the CLI',
    fields: ['tokenId', 'owner', 'name', 'source', 'expiresAt', 'limits'],
  },
  'token.revoked': {
    label: 'Token revoked',
    when: 'A token is revoked by its owner, an administrator or the CLI',
    fields: ['tokenId', 'owner'],
  },
  'token.revokedAll': {
    label: "All of a user's tokens revoked",
    when: 'An administrator revokes every token of a user',
    fields: ['owner', 'count'],
  },
  'token.revokedInactive': {
    label: 'Token revoked for inactivity',
    when: 'A token went unused for longer than the inactivity limit an administrator set',
    fields: ['tokenId', 'owner', 'inactivityDays', 'lastUsedAt'],
  },
  'token.reminderSent': {
    label: 'Token expiry reminder sent',
    when: 'A token nears its expiry (7 days, 1 day) or the inactivity limit, and its owner was told',
    fields: ['tokenId', 'owner', 'threshold', 'channels'],
  },
  'token.rotated': {
    label: 'Token rotated',
    when: 'A token is replaced by a fresh one with the same name and expiry',
    fields: ['tokenId', 'newTokenId', 'owner', 'graceSeconds'],
  },
  'token.rotationReused': {
    label: 'Rotated token reused: its chain revoked',
    when: 'An already rotated token is presented to rotate it again: its secret is in two hands, so every token of its rotation chain is revoked',
    fields: ['tokenId', 'chainId', 'owner', 'count'],
  },
  'token.canaryCreated': {
    label: 'Canary token created',
    when: 'A canary token is made: it grants nothing, and any use of it raises an alert',
    fields: ['tokenId', 'owner', 'name'],
  },
  'token.canaryTriggered': {
    label: 'ALERT: canary token used',
    when: 'Someone presents a canary token (it answers 401 as if revoked): the token has leaked',
    fields: ['tokenId', 'method', 'path', 'userAgent'],
  },
  'token.usedFromNewAddress': {
    label: 'Token used from a new address',
    when: 'A token is presented for the first time, or from another address than its last use',
    fields: ['tokenId', 'previous'],
  },
  'token.revokedByPresenter': {
    label: 'Token revoked by whoever held it',
    when: 'A token is sent to the revocation endpoint (RFC 7009), with or without credentials: holding it is the proof',
    fields: ['tokenId', 'owner'],
  },
  'token.revokedBefore': {
    label: 'Tokens issued before an instant revoked',
    when: 'An administrator or the CLI revokes every token of one user (owner) or of everyone (owner=*) issued before an instant',
    fields: ['owner', 'before', 'count'],
  },
  'user.created': {
    label: 'User created',
    when: 'A user is created',
    fields: ['username', 'roles'],
  },
  'user.deleted': {
    label: 'User deleted',
    when: 'A user is deleted',
    fields: ['username'],
  },
  'user.roleGranted': {
    label: 'Roles granted',
    when: 'Roles are granted to a user',
    fields: ['username', 'roles'],
  },
  'user.roleRevoked': {
    label: 'Roles taken away',
    when: 'Roles are taken from a user',
    fields: ['username', 'roles'],
  },
  'user.enabled': {
    label: 'User enabled',
    when: 'A user is enabled',
    fields: ['username'],
  },
  'user.disabled': {
    label: 'User disabled',
    when: 'A user is disabled (their tokens stop working)',
    fields: ['username'],
  },
  'user.emailChanged': {
    label: 'Email address changed',
    when: 'A user or an administrator sets or clears where reminders and alerts go',
    fields: ['username', 'cleared'],
  },
  'password.changed': {
    label: 'Own password changed',
    when: 'A user changes their own password',
    fields: ['username', 'revokeTokens'],
  },
  'password.reset': {
    label: 'Password reset',
    when: "An administrator or the CLI sets a user's password",
    fields: ['username', 'revokeTokens'],
  },
  'settings.updated': {
    label: 'Runtime settings changed',
    when: 'An administrator changes runtime settings (keys: which)',
    fields: ['keys'],
  },
  'notification.tested': {
    label: 'Test notification sent',
    when: 'An administrator sends a test notice through the email or webhook channel',
    fields: ['channel', 'delivered', 'detail'],
  },
  'notification.failed': {
    label: 'Notification not delivered',
    when: 'An expiry reminder or canary alert could not go through a channel (detail: why)',
    fields: ['event', 'tokenId', 'channel', 'detail'],
  },
  'geolocation.enabled': {
    label: 'Geolocation enabled',
    when: 'An administrator turns geolocation on (refused while no database is uploaded)',
    fields: [],
  },
  'geolocation.disabled': {
    label: 'Geolocation disabled',
    when: 'An administrator turns geolocation off',
    fields: [],
  },
  'geolocation.databaseUploaded': {
    label: 'Geolocation database uploaded',
    when: 'An administrator uploads the MaxMind database gateways locate clients with',
    fields: ['fileName', 'databaseType', 'sha256'],
  },
  ...RESOURCE_EVENTS,
  ...SECURITY_EVENTS,
  'request.denied': {
    label: 'Request denied',
    when: 'Any request answered 401 or 403 (a read without any credentials excepted); operation: the API operation, then the route parameters',
    fields: ['operation'],
  },
  'request.failed': {
    label: 'Request failed',
    when: 'A write that failed (4xx, 5xx) before it changed anything; operation: the API operation, then the route parameters',
    fields: ['operation'],
  },
  'cli.failed': {
    label: 'Command failed',
    when: 'A CLI command that would change something failed',
    fields: ['command', 'args'],
  },
  'audit.folded': {
    label: 'Repeated failures, counted',
    when: 'A flood of failures of one kind from one address, counted instead of recorded one by one',
    fields: ['count', 'kind', 'address', 'first', 'last'],
  },
}

export const AUDIT_EVENT_NAMES = Object.keys(AUDIT_EVENTS) as AuditEventName[]

export function isAuditEventName(name: string): name is AuditEventName {
  return Object.hasOwn(AUDIT_EVENTS, name)
}

/**
 * An event's label; a name outside the catalogue (an old row nothing mapped) is put
 * in words: "listUserTokens" -> "List user tokens".
 */
export function auditLabel(action: string): string {
  if (isAuditEventName(action)) return AUDIT_EVENTS[action].label
  const words = action
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[._:-]+/g, ' ')
    .trim()
    .toLowerCase()
  return words ? (words[0] ?? '').toUpperCase() + words.slice(1) : action
}

/** The event whose label this is (any case), for a filter typed in plain words. */
export function auditEventByLabel(label: string): AuditEventName | undefined {
  const wanted = label.trim().toLowerCase()
  return AUDIT_EVENT_NAMES.find((name) => AUDIT_EVENTS[name].label.toLowerCase() === wanted)
}

/** Fields as stored in the event's target: `key=value` pairs, lists joined by commas. */
export function renderFields(fields: Readonly<Record<string, unknown>>): string {
  const parts: string[] = []
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined || value === null) continue
    const text = Array.isArray(value) ? value.join(',') : String(value)
    parts.push(`${key}=${text}`)
  }
  return parts.join(' ')
}
