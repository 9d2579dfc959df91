import type { FastifyInstance, FastifyReply, FastifyRequest, onSendHookHandler } from 'fastify'
import { answeredErrorCode } from '../http/error-handler.ts'
import { isApiPath } from '../http/paths.ts'
import type { AuditRecorder } from './audit.recorder.ts'
import { type AuditEvent, type AuditOutcome, redactTokens } from './audit.service.ts'

/**
 * The one place HTTP requests become audit events, after the response has been sent:
 *
 * - every request under /apiops/ that is not a read (GET, HEAD, OPTIONS): logins, token
 *   issue, revocation and rotation, user and role changes, resource writes, whatever
 *   their outcome;
 * - every 401 and 403 answer, whatever the method (denials), except a read that
 *   presented no credentials at all.
 *
 * Successful reads are not recorded: they would drown the log, and the hot path must
 * not write. Nor are reads without any credentials that answer 401: the console asks
 * "am I logged in?" (GET /apiops/session/) on every page load, and anonymous scanners
 * would otherwise write a row per request; such a request names no one and tried no
 * secret, so the row would say nothing. A write without credentials, or a read with a
 * bad token or an ended session, is recorded. The request itself never waits: record()
 * only queues, and folds repeated failures (audit.fold.ts), so a flood of them writes a
 * few rows and a count. The error code answered tells the kinds of failure apart.
 */

const READS = new Set(['GET', 'HEAD', 'OPTIONS'])

/** The logins: the actor is the username that was tried (see AuditEvent.attemptedUsername). */
const LOGIN_OPERATIONS = new Set(['createTokenWithCredentials', 'login'])
/** Answers that hold a new token: its id (never the secret) becomes part of the target. */
const ISSUING_OPERATIONS = new Set(['createTokenWithCredentials', 'createMyToken', 'rotateMyToken'])
/**
 * Body fields that name what a write acts on (a new user, project, proxy; the roles
 * granted; whether a password change kept the tokens). An allowlist: no other body
 * field is ever read, so no secret can be.
 */
const TARGET_BODY_FIELDS = ['username', 'name', 'apiProxyName', 'roles', 'revokeTokens'] as const

/** Issued token ids, from onSend (where the body is visible) to onResponse. */
const issuedTokenIds = new WeakMap<FastifyRequest, string>()

export function installAuditHook(app: FastifyInstance, audit: AuditRecorder): void {
  // Only the token-issuing routes carry this hook: every other answer skips it.
  const rememberIssuedToken: onSendHookHandler = (request, reply, payload, done) => {
    if (reply.statusCode < 300 && typeof payload === 'string') {
      const id = issuedTokenId(payload)
      if (id) issuedTokenIds.set(request, id)
    }
    done(null, payload)
  }
  app.addHook('onRoute', (route) => {
    const operation = (route.schema as { operationId?: string } | undefined)?.operationId
    if (route.method !== 'POST' || !operation || !ISSUING_OPERATIONS.has(operation)) return
    route.onSend = [rememberIssuedToken, ...[route.onSend ?? []].flat()]
  })

  app.addHook('onResponse', (request, reply, done) => {
    if (!recorded(request, reply.statusCode)) {
      done()
      return
    }
    try {
      audit.record(eventOf(request, reply))
    } catch (error) {
      request.log.warn({ err: error }, 'could not build an audit event')
    }
    done()
  })
}

function recorded(request: FastifyRequest, status: number): boolean {
  if (!isApiPath(request.url)) return false
  if (!READS.has(request.method)) return true
  if (status === 403) return true
  return (
    status === 401 &&
    (request.headers.authorization !== undefined || request.headers.cookie !== undefined)
  )
}

function eventOf(request: FastifyRequest, reply: FastifyReply): AuditEvent {
  const status = reply.statusCode
  const route = request.routeOptions
  const operation = route.schema?.operationId
  const login = operation !== undefined && LOGIN_OPERATIONS.has(operation)
  const principal = request.principal
  const attempted = login ? attemptedUsername(request) : undefined
  const reason = status >= 400 ? answeredErrorCode(request) : undefined
  return {
    actorUserId: principal?.userId ?? null,
    actorUsername: principal?.username ?? null,
    attemptedUsername: attempted,
    tokenId: principal?.tokenId ?? null,
    clientIp: request.ip,
    userAgent: String(request.headers['user-agent'] ?? ''),
    action: operation ?? (route.url ? `${request.method} ${route.url}` : 'unknownRoute'),
    target: targetOf(request, login, attempted),
    outcome: outcomeOf(status, login),
    status,
    reason,
  }
}

/** A wrong password is a failed login; for everything else 401/403 is a denial. */
function outcomeOf(status: number, login: boolean): AuditOutcome {
  if (status < 400) return 'success'
  if ((status === 401 || status === 403) && !login) return 'denied'
  return 'failure'
}

function targetOf(request: FastifyRequest, login: boolean, attempted: string | undefined): string {
  const parts: string[] = []
  // Tokens out before anything is cut short, so no piece of one survives a cut.
  const add = (key: string, value: string, max: number) =>
    parts.push(`${key}=${redactTokens(value).slice(0, max)}`)
  const params = request.params
  if (!request.routeOptions.url) {
    // No route: the path is the target (the query string never is).
    add('path', request.url.split('?')[0] ?? '', 200)
  } else if (params && typeof params === 'object') {
    for (const [key, value] of Object.entries(params as Record<string, unknown>)) {
      if (typeof value === 'string') add(key, value, 200)
    }
  }
  const body = request.body
  if (login) {
    if (attempted === undefined && hasAttempt(request)) parts.push('username=(not a valid name)')
  } else if (body && typeof body === 'object' && !Array.isArray(body)) {
    for (const field of TARGET_BODY_FIELDS) {
      const value = (body as Record<string, unknown>)[field]
      if (typeof value === 'string') add(field, value, 100)
      else if (typeof value === 'boolean') add(field, String(value), 5)
      else if (Array.isArray(value) && value.every((v) => typeof v === 'string')) {
        add(field, value.join(','), 200)
      }
    }
  }
  const issued = issuedTokenIds.get(request)
  if (issued) parts.push(`issued=${issued}`)
  return parts.join(' ')
}

// --- Logins: who was tried. The password is never read, not even to be discarded.

function hasAttempt(request: FastifyRequest): boolean {
  const body = request.body as Record<string, unknown> | undefined
  return (
    (body !== null && typeof body === 'object' && ('client_id' in body || 'username' in body)) ||
    request.headers.authorization !== undefined
  )
}

/** What was typed as the username, as it came: the recorder decides what may be stored. */
function attemptedUsername(request: FastifyRequest): string | undefined {
  const body = request.body as Record<string, unknown> | undefined
  let name: unknown
  if (body !== null && typeof body === 'object') name = body.client_id ?? body.username
  if (name === undefined) name = basicUser(request.headers.authorization)
  return typeof name === 'string' && name !== '' ? name : undefined
}

/** The user half of `Basic base64(user:password)` (RFC 6749 §2.3.1: form-encoded). */
function basicUser(header: string | undefined): string | undefined {
  const match = /^basic +([A-Za-z0-9+/]+={0,2})$/i.exec(header?.trim() ?? '')
  if (!match) return undefined
  const decoded = Buffer.from(match[1] as string, 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  if (colon <= 0) return undefined
  try {
    return decodeURIComponent(decoded.slice(0, colon).replaceAll('+', ' '))
  } catch {
    return undefined
  }
}

// --- The id of a token just issued: from the view's id, or the JWT's jti claim.

const TOKEN_ID = /^[0-9a-f]{32}$/

function issuedTokenId(payload: string): string | undefined {
  try {
    const body = JSON.parse(payload) as { id?: unknown; access_token?: unknown }
    if (typeof body.id === 'string' && TOKEN_ID.test(body.id)) return body.id
    if (typeof body.access_token === 'string') {
      const claims = body.access_token.split('.')[1] ?? ''
      const jti = (
        JSON.parse(Buffer.from(claims, 'base64url').toString('utf8')) as { jti?: unknown }
      ).jti
      if (typeof jti === 'string' && TOKEN_ID.test(jti)) return jti
    }
  } catch {
    // Not the answer we expected: the event is still recorded, without the id.
  }
  return undefined
}
