/**
 * The console's only way to the server: same-origin fetch with the session cookie,
 * the CSRF token on every unsafe call, and error bodies turned into messages.
 * The CSRF token lives in memory (the session held in React state), never in storage.
 */
import { emailCalls } from './email.ts'
import { myTokenCalls } from './my-tokens-api.ts'
import { type NotificationsSettingView, notificationCalls } from './notifications.ts'
import type { CredentialAccess, CredentialView, ProxyPolicies } from './policies.ts'
import type { ProxySummary, ProxyView, TrafficOfProxy } from './proxies.ts'
import { type PolicySettingView, type SettingsChange, tokenLists } from './token-policy.ts'

export const ROLES = [
  'ROLE_MANAGE_PROXIES',
  'ROLE_DEPLOY_UNDEPLOY_PROXIES',
  'ROLE_MANAGE_PROXY_GROUPS',
  'ROLE_API_SECURITY',
  'ROLE_ADMIN',
  'ROLE_TOKEN_INTROSPECTION',
] as const
export type Role = (typeof ROLES)[number]

export const ROLE_DESCRIPTIONS: Record<Role, string> = {
  ROLE_MANAGE_PROXIES: 'Manage API proxies',
  ROLE_DEPLOY_UNDEPLOY_PROXIES: 'Deploy and undeploy proxies',
  ROLE_MANAGE_PROXY_GROUPS: 'Manage API proxy groups',
  ROLE_API_SECURITY: 'Connections, credentials, certificates',
  ROLE_ADMIN: 'Everything, including users and projects',
  ROLE_TOKEN_INTROSPECTION: 'Ask whether a token is active (resource servers, RFC 7662)',
}

export interface Session {
  username: string
  roles: Role[]
  csrfToken: string
  expiresAt: string
}

export interface Me {
  id: string
  username: string
  roles: Role[]
  projects: string[]
  email: string | null
}

export type TokenSource = 'console' | 'api' | 'cli'
export type TokenStatus = 'active' | 'expired' | 'revoked'

export interface TokenView {
  id: string
  name: string
  source: TokenSource
  createdAt: string
  expiresAt: string | null
  lastUsedAt: string | null
  lastUsedFrom: string | null
  revokedAt: string | null
  status: TokenStatus
  /** The token this one was rotated into; it stays active until expiresAt (its grace's end). */
  rotatedTo?: string | null
  /** What narrows the token below its owner; null parts are not narrowed. */
  limits?: {
    roles: string[] | null
    projects: string[] | null
    readOnly: boolean
    allowFrom: string[] | null
  }
}

/** Optional limits at creation (narrower tokens); absent parts do not narrow. */
export interface TokenLimitsInput {
  roles?: string[] | null | undefined
  projects?: string[] | null | undefined
  readOnly?: boolean | undefined
  allowFrom?: string[] | null | undefined
}

/** The one answer that holds a token's secret: keep it in component state, never store it. */
export interface IssuedToken extends TokenView {
  token: string
}

export interface UserView {
  id: string
  username: string
  roles: Role[]
  enabled: boolean
  createdAt: string
  disabledAt: string | null
  email: string | null
}

/** What a password change took with it (both 0 when the tokens and sessions were kept). */
export interface PasswordChange {
  revokedTokenCount: number
  endedSessionCount: number
}

export interface Project {
  name: string
  description: string
  createdAt: string
}

export interface Member {
  username: string
  addedAt: string
}

interface ListBody<T> {
  resultList: T[]
  totalCount: number
}

/** One page of a list the server pages itself (the audit log only grows). */
export interface Paged<T> {
  resultList: T[]
  /** Counted up to 1,000: totalCountExact says whether the list holds more. */
  totalCount: number
  totalCountExact: boolean
  page: number
  size: number
}

export type AuditOutcome = 'success' | 'failure' | 'denied'
export const AUDIT_OUTCOMES: readonly AuditOutcome[] = ['success', 'failure', 'denied']

export interface AuditEvent {
  id: string
  at: string
  /**
   * Who acted; for a login, the username that was tried if a user has it, else
   * "(unknown user)"; "cli" for the command line.
   */
  actor: string | null
  tokenId: string | null
  clientAddress: string
  userAgent: string
  /** The event's name in the audit catalogue (src/audit/events.ts): token.revoked, ... */
  action: string
  target: string
  outcome: AuditOutcome
  status: number
  /** action "audit.folded": how many repeated failures this one event stands for. */
  foldedCount: number | null
  /** A login under an unknown username: a keyed hash of what was typed (never the text). */
  usernameHash: string | null
}

export interface AuditQuery {
  username?: string | undefined
  username_hash?: string | undefined
  action?: string | undefined
  outcome?: AuditOutcome | undefined
  /** ISO date-times: from inclusive, to exclusive. */
  from?: string | undefined
  to?: string | undefined
  page?: number | undefined
  size?: number | undefined
}

/** Where a runtime setting's value comes from; 'default' for settings with no environment variable. */
export type SettingSource = 'environment' | 'default' | 'administrator'
export type {
  PolicySettingView,
  SettingsChange,
  TokenLifetimePolicy,
  TokenPolicy,
} from './token-policy.ts'

/** One runtime setting: the value in force, where it comes from, and the default. */
export interface SettingView {
  value: number
  source: SettingSource
  /** The environment's value (APIOPS_...), what a reset returns to. */
  default: number
  updatedAt: string | null
  /** Username of the administrator who set it. */
  updatedBy: string | null
}

export interface RuntimeSettings {
  /** Requests per minute per API token; 0 for no limit. */
  tokenRateLimit: SettingView
  tokenLifetimePolicy: PolicySettingView
  /** Absent from a server older than the notification channels. */
  notifications?: NotificationsSettingView
}

/** "?a=1&b=2" from the fields that are set, or "" when none is. */
export function queryString(fields: object): string {
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(fields)) {
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value))
  }
  const text = params.toString()
  return text ? `?${text}` : ''
}

export interface FieldError {
  field: string
  message: string
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fieldErrors: FieldError[] = [],
  ) {
    super(message)
  }

  /** The server's message for one field (validation_errors), if it named that field. */
  forField(field: string): string | undefined {
    return this.fieldErrors.find((e) => e.field === field || e.field === `/${field}`)?.message
  }
}

/** Any thrown value as a sentence for the person at the screen. */
export function messageOf(error: unknown): string {
  if (error instanceof ApiError) return error.message
  return 'Something went wrong. Try again.'
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

async function call<T>(
  method: string,
  path: string,
  options: { body?: unknown; csrfToken?: string | null } = {},
): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' }
  if (options.body !== undefined) headers['content-type'] = 'application/json'
  if (UNSAFE.has(method) && options.csrfToken) headers['x-csrf-token'] = options.csrfToken
  let response: Response
  try {
    response = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      cache: 'no-store',
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    })
  } catch {
    throw new ApiError(
      0,
      'network',
      'Cannot reach the server. Check your connection and try again.',
    )
  }
  const text = await response.text()
  let body: unknown = null
  try {
    body = text ? JSON.parse(text) : null
  } catch {
    body = null
  }
  if (!response.ok) {
    const e = (body ?? {}) as {
      error?: string
      error_description?: string
      validation_errors?: FieldError[]
    }
    throw new ApiError(
      response.status,
      e.error ?? 'http_error',
      e.error_description ?? `The server answered ${response.status}. Try again.`,
      Array.isArray(e.validation_errors) ? e.validation_errors : [],
    )
  }
  return body as T
}

const seg = encodeURIComponent

/** Login and session lookup need no CSRF token yet. */
export const sessionApi = {
  current: () => call<Session>('GET', '/apiops/session/'),
  login: (username: string, password: string) =>
    call<Session>('POST', '/apiops/session/', { body: { username, password } }),
}

type Send = <T>(method: string, path: string, body?: unknown) => Promise<T>
type List = <T>(path: string) => Promise<T[]>

/** What the Proxies pages read: proxies, their policies, the project's credentials. */
function proxyReads(send: Send, list: List) {
  return {
    proxies: (p: string, page: number, size: number) =>
      send<Paged<ProxySummary>>(
        'GET',
        `/apiops/projects/${seg(p)}/apiProxies/${queryString({ page, size })}`,
      ),
    proxy: (p: string, name: string) =>
      send<ProxyView>('GET', `/apiops/projects/${seg(p)}/apiProxies/${seg(name)}/`),
    policies: async (p: string, name: string) =>
      (
        await send<{ resultList: ProxyPolicies[] }>(
          'GET',
          `/apiops/projects/${seg(p)}/apiProxies/${seg(name)}/policies/`,
        )
      ).resultList[0],
    proxyTraffic: async (p: string, name: string) =>
      (
        await send<{ result: TrafficOfProxy }>(
          'GET',
          `/apiops/projects/${seg(p)}/apiProxies/${seg(name)}/traffic/`,
        )
      ).result,
    credentials: (p: string) =>
      list<CredentialView>(`/apiops/projects/${seg(p)}/credentials/?size=1000`),
    credentialAccess: (p: string, u: string) =>
      list<CredentialAccess>(`/apiops/projects/${seg(p)}/credentials/${seg(u)}/access/`),
  }
}

/**
 * The API as one signed-in person sees it. `onSessionEnded` runs when the server
 * answers 401 to a session call (idle timeout, logout elsewhere, revoked session).
 */
export function createApi(csrfToken: string, onSessionEnded: () => void) {
  async function send<T>(method: string, path: string, body?: unknown): Promise<T> {
    try {
      return await call<T>(method, path, { body, csrfToken })
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) onSessionEnded()
      throw error
    }
  }
  const list = async <T>(path: string) => (await send<ListBody<T>>('GET', path)).resultList

  return {
    logout: () => call<unknown>('DELETE', '/apiops/session/', { csrfToken }),
    me: () => send<Me>('GET', '/apiops/me/'),
    ...emailCalls(send),
    ...myTokenCalls(send, list),
    changeMyPassword: (currentPassword: string, newPassword: string, revokeTokens: boolean) =>
      send<PasswordChange>('PUT', '/apiops/me/password/', {
        currentPassword,
        newPassword,
        revokeTokens,
      }),
    myActivity: (query: Omit<AuditQuery, 'username'>) =>
      send<Paged<AuditEvent>>('GET', `/apiops/me/audit/${queryString(query)}`),
    auditEvents: (query: AuditQuery) =>
      send<Paged<AuditEvent>>('GET', `/apiops/audit/${queryString(query)}`),

    users: () => list<UserView>('/apiops/users/?size=1000'),
    user: (u: string) => send<UserView>('GET', `/apiops/users/${seg(u)}/`),
    createUser: (username: string, password: string, roles: Role[], email: string | null) =>
      send<UserView>('POST', '/apiops/users/', { username, password, roles, email }),
    deleteUser: (u: string) => send<unknown>('DELETE', `/apiops/users/${seg(u)}/`),
    grantRoles: (u: string, roles: Role[]) =>
      send<UserView>('POST', `/apiops/users/${seg(u)}/roles/`, { roles }),
    revokeRole: (u: string, role: Role) =>
      send<UserView>('DELETE', `/apiops/users/${seg(u)}/roles/${seg(role)}/`),
    setEnabled: (u: string, enabled: boolean) =>
      send<UserView>('POST', `/apiops/users/${seg(u)}/${enabled ? 'enable' : 'disable'}/`),
    setPassword: (u: string, password: string, revokeTokens: boolean) =>
      send<PasswordChange>('PUT', `/apiops/users/${seg(u)}/password/`, {
        password,
        revokeTokens,
      }),
    userTokens: (u: string, shortLived = false) =>
      tokenLists(list, `/apiops/users/${seg(u)}/tokens/`, shortLived),
    revokeUserToken: (u: string, id: string) =>
      send<TokenView>('DELETE', `/apiops/users/${seg(u)}/tokens/${seg(id)}/`),
    revokeAllUserTokens: (u: string) =>
      send<{ revokedCount: number }>('DELETE', `/apiops/users/${seg(u)}/tokens/`),

    projects: () => list<Project>('/apiops/projects/?size=1000'),
    createProject: (name: string, description: string) =>
      send<Project>('POST', '/apiops/projects/', { name, description }),
    deleteProject: (p: string) => send<unknown>('DELETE', `/apiops/projects/${seg(p)}/`),
    members: (p: string) => list<Member>(`/apiops/projects/${seg(p)}/members/?size=1000`),
    addMember: (p: string, username: string) =>
      send<unknown>('POST', `/apiops/projects/${seg(p)}/members/`, { username }),
    removeMember: (p: string, u: string) =>
      send<unknown>('DELETE', `/apiops/projects/${seg(p)}/members/${seg(u)}/`),

    ...proxyReads(send, list),

    settings: () => send<RuntimeSettings>('GET', '/apiops/settings/'),
    /** null returns a setting to its default (the environment's value). */
    updateSettings: (change: SettingsChange) =>
      send<RuntimeSettings>('PATCH', '/apiops/settings/', change),
    ...notificationCalls(send),
  }
}

export type Api = ReturnType<typeof createApi>
