import { errors, type ValidationIssue } from '../../errors.ts'
import { MASK } from '../../sealed.ts'
import type { ConnectionType } from './connections.schemas.ts'

/*
 * Which settings of a connection are secret, and which say where a secret is sent.
 * The update path keeps a stored secret that comes back masked (or, for a password,
 * omitted) only while the target stays the same: otherwise an attacker with write
 * access could point the connection at a host of their own and have the server send it
 * the stored password or key, which they were never shown. This file is the one place
 * that knows, per type, which fields those are; the service only asks it.
 */

type Settings = Record<string, unknown>

/** Two values of a target field compare equal when these strings do. */
type Normalize = (value: unknown, settings: Settings) => string

const exact: Normalize = (value) => String(value ?? '')
const lower: Normalize = (value) => String(value ?? '').toLowerCase()

const DEFAULT_PORTS: Record<string, string> = {
  http: '80',
  https: '443',
  ldap: '389',
  ldaps: '636',
}

/**
 * scheme://host:port, lowercased, the scheme's default port made explicit: the server a
 * URL reaches. `withPath` keeps the path too (a webhook's path can name the receiver on
 * a shared host); the query and fragment never count.
 */
function urlTarget(withPath: boolean): Normalize {
  return (value) => {
    const match = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]*)([^?#]*)/i.exec(String(value ?? ''))
    if (!match) return String(value ?? '')
    const scheme = (match[1] as string).toLowerCase()
    let authority = (match[2] as string).toLowerCase()
    if (!/:\d+$/.test(authority) && DEFAULT_PORTS[scheme]) {
      authority += `:${DEFAULT_PORTS[scheme]}`
    }
    return `${scheme}://${authority}${withPath ? match[3] || '/' : ''}`
  }
}

/** The same servers in another order are the same target; one more is a new one. */
const serverSet: Normalize = (value) =>
  String(value ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .sort()
    .join(',')

/** The port is part of where mail goes; an omitted port is the schema's default. */
const mailPort: Normalize = (value) => String(value ?? 587)

interface SecretPolicy {
  /** Settings that say where the secrets are sent. */
  target: Record<string, Normalize>
  /**
   * `password`: settings.password, kept when omitted or masked. `values`: every header
   * value and URL query value of a webhook, kept when masked (an omitted header is gone).
   */
  secrets: 'password' | 'values'
}

export const SECRET_POLICIES: Record<ConnectionType, SecretPolicy> = {
  database: { target: { jdbcUrl: exact }, secrets: 'password' },
  ldap: { target: { url: urlTarget(false) }, secrets: 'password' },
  email: { target: { host: lower, port: mailPort }, secrets: 'password' },
  kafka: { target: { bootstrapServers: serverSet }, secrets: 'password' },
  webhook: { target: { url: urlTarget(true) }, secrets: 'values' },
  elasticsearch: { target: { url: urlTarget(true) }, secrets: 'password' },
}

/** The target fields that differ; a change of type changes every target. */
export function targetChanges(
  stored: { type: string; settings: Settings },
  next: { type: ConnectionType; settings: Settings },
): string[] {
  if (stored.type !== next.type) return ['type']
  const fields = SECRET_POLICIES[next.type].target
  return Object.entries(fields)
    .filter(
      ([field, normalize]) =>
        normalize(stored.settings[field], stored.settings) !==
        normalize(next.settings[field], next.settings),
    )
    .map(([field]) => field)
}

export function targetChangedIssue(field: string, what: string, changed: string[]) {
  return {
    field,
    message: `is kept from before, but the target changed (${changed.join(', ')}): send ${what} again; a stored secret is never sent to a new target`,
  }
}

// ---------------------------------------------------------------------------
// Webhook values: every header value and every URL query value is a secret.

/** A query parameter as written in the URL (still percent-encoded); null: no `=`. */
interface QueryPiece {
  name: string
  value: string | null
}

interface UrlParts {
  /** Everything before the `?`. */
  head: string
  query: QueryPiece[] | null
  /** The `#...` part, or ''. */
  fragment: string
}

/** The clear values, as the `secret` column holds them (sealed), in URL order. */
export interface WebhookValues {
  headers: Record<string, string>
  query: [name: string, value: string][]
}

/**
 * Split by hand rather than with URL/URLSearchParams, which would re-encode what the
 * client sent (spaces, `+`, `%2F`): the URL reads back exactly as written.
 */
function parseUrl(url: string): UrlParts {
  const hash = url.indexOf('#')
  const fragment = hash === -1 ? '' : url.slice(hash)
  const beforeHash = hash === -1 ? url : url.slice(0, hash)
  const mark = beforeHash.indexOf('?')
  if (mark === -1) return { head: beforeHash, query: null, fragment }
  const query = beforeHash
    .slice(mark + 1)
    .split('&')
    .map((piece) => {
      const eq = piece.indexOf('=')
      return eq === -1
        ? { name: piece, value: null }
        : { name: piece.slice(0, eq), value: piece.slice(eq + 1) }
    })
  return { head: beforeHash.slice(0, mark), query, fragment }
}

function formatUrl(parts: UrlParts): string {
  const query =
    parts.query === null
      ? ''
      : `?${parts.query.map((p) => (p.value === null ? p.name : `${p.name}=${p.value}`)).join('&')}`
  return `${parts.head}${query}${parts.fragment}`
}

/** An empty value hides nothing, so it stays as it is: "every value" means every non-empty one. */
const secretValue = (value: string | null | undefined): value is string =>
  typeof value === 'string' && value !== ''

/** Settings with every header value and query value replaced by the mask. */
export function maskWebhook(settings: Settings): Settings {
  const headers = settings.headers as Record<string, string> | undefined
  const parts = parseUrl(String(settings.url ?? ''))
  for (const piece of parts.query ?? []) if (secretValue(piece.value)) piece.value = MASK
  return {
    ...settings,
    url: formatUrl(parts),
    ...(headers
      ? {
          headers: Object.fromEntries(
            Object.entries(headers).map(([k, v]) => [k, secretValue(v) ? MASK : v]),
          ),
        }
      : {}),
  }
}

/** The values of settings that hold them in clear (a body, or a row stored before sealing). */
export function clearValues(settings: Settings): WebhookValues {
  const headers = (settings.headers as Record<string, string> | undefined) ?? {}
  return {
    headers: Object.fromEntries(Object.entries(headers).filter(([, v]) => secretValue(v))),
    query: (parseUrl(String(settings.url ?? '')).query ?? []).flatMap((p) =>
      secretValue(p.value) ? [[p.name, p.value] as [string, string]] : [],
    ),
  }
}

export const hasValues = (values: WebhookValues) =>
  Object.keys(values.headers).length > 0 || values.query.length > 0

/** Settings with the stored values put back in place of the masks (for a reveal). */
export function unmaskWebhook(
  masked: Settings,
  values: WebhookValues,
): { url: string; headers: Record<string, string> } {
  const parts = parseUrl(String(masked.url ?? ''))
  const queue = [...values.query]
  for (const piece of parts.query ?? []) {
    if (piece.value === MASK) piece.value = queue.shift()?.[1] ?? MASK
  }
  const headers = masked.headers as Record<string, string> | undefined
  return {
    url: formatUrl(parts),
    headers: Object.fromEntries(
      Object.entries(headers ?? {}).map(([k, v]) => [k, v === MASK ? (values.headers[k] ?? v) : v]),
    ),
  }
}

/** Names of the secret fields a reveal answers, for its audit event (never the values). */
export function valueFields(values: WebhookValues): string[] {
  return [
    ...Object.keys(values.headers).map((k) => `headers.${k}`),
    ...values.query.map(([name]) => `url?${name}`),
  ]
}

/**
 * The values an update stores: each sent in clear is taken as sent; each sent as the
 * mask is the stored value of the same header (names compared ignoring case, as HTTP
 * does) or of the same query parameter (by name and occurrence) - unless the target
 * changed, or nothing is stored for it, which is a 400 naming each such field.
 */
export function mergeWebhookValues(
  next: Settings,
  stored: WebhookValues | null,
  changed: string[],
): WebhookValues {
  const issues: ValidationIssue[] = []
  const sent = next.headers as Record<string, string> | undefined
  const headers: Record<string, string> = {}
  const storedHeader = (name: string) =>
    Object.entries(stored?.headers ?? {}).find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1]
  for (const [name, value] of Object.entries(sent ?? {})) {
    if (value !== MASK) {
      if (secretValue(value)) headers[name] = value
      continue
    }
    const kept = storedHeader(name)
    if (kept === undefined) {
      issues.push(noStoredValue(`settings.headers.${name}`, 'this header'))
    } else if (changed.length > 0) {
      issues.push(targetChangedIssue(`settings.headers.${name}`, "the header's value", changed))
    } else headers[name] = kept
  }
  const query: [string, string][] = []
  const seen = new Map<string, number>()
  for (const piece of parseUrl(String(next.url ?? '')).query ?? []) {
    if (!secretValue(piece.value)) continue
    const occurrence = seen.get(piece.name) ?? 0
    seen.set(piece.name, occurrence + 1)
    if (piece.value !== MASK) {
      query.push([piece.name, piece.value])
      continue
    }
    const kept = (stored?.query ?? []).filter(([n]) => n === piece.name)[occurrence]?.[1]
    const what = `the value of query parameter '${piece.name}'`
    if (kept === undefined)
      issues.push(noStoredValue('settings.url', `query parameter '${piece.name}'`))
    else if (changed.length > 0) issues.push(targetChangedIssue('settings.url', what, changed))
    else query.push([piece.name, kept])
  }
  if (issues.length > 0) throw errors.validationFailed(issues)
  return { headers, query }
}

function noStoredValue(field: string, what: string): ValidationIssue {
  return {
    field,
    message: `is "${MASK}", the mask shown in place of a stored value, but no value is stored for ${what}; send the value itself`,
  }
}
