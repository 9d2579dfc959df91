import type { FastifyInstance, FastifyRequest } from 'fastify'
import { errors } from '../errors.ts'
import { API_PREFIX, OPENAPI_PREFIX } from '../http/paths.ts'
import { type Action, authorize, type Principal } from './permissions.ts'
import {
  type AuthenticatedSession,
  authenticateSession,
  csrfTokenMatches,
  SESSION_COOKIE,
  type SessionsDeps,
} from './sessions.service.ts'
import { authenticateBearer, type TokensDeps } from './tokens.service.ts'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Reachable without credentials (health check, token endpoint, console login, OpenAPI). */
    public?: boolean
    /** What the route does, for the role -> action table; checked before validation. */
    action?: Action
  }
  interface FastifyRequest {
    principal: Principal | null
    session: AuthenticatedSession | null
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/**
 * Every request under /apiops/ is authenticated unless its route is marked public;
 * unknown /apiops/ paths too, so a 404 never tells an anonymous caller which routes
 * exist. An Authorization header means Bearer and nothing else; without one, the
 * console's session cookie may stand in, and then every change needs the session's
 * CSRF token and must come from our own origin.
 */
export function installAuth(app: FastifyInstance, deps: TokensDeps & SessionsDeps): void {
  app.decorateRequest('principal', null)
  app.decorateRequest('session', null)
  app.addHook('onRequest', async (request) => {
    if (!request.url.startsWith(API_PREFIX) && request.url !== '/apiops') return
    if (isPublicRoute(request.routeOptions.url ?? '', request.routeOptions.config)) return
    if (request.headers.authorization !== undefined) {
      request.principal = await authenticateBearer(deps, request.headers.authorization, request.ip)
      return
    }
    const secret = sessionCookie(app, request)
    if (secret === undefined) throw missingCredentialsError(request)
    const session = await authenticateSession(deps, secret)
    if (!SAFE_METHODS.has(request.method)) {
      if (!sameOrigin(request)) throw errors.crossOrigin()
      const header = request.headers['x-csrf-token']
      if (typeof header !== 'string' || header === '') throw errors.csrfMissing()
      if (!csrfTokenMatches(deps.sessionPolicy, session.sessionId, header)) throw errors.csrfWrong()
    }
    request.session = session
    request.principal = session.principal
  })
  // Before validation, so a caller without the role learns nothing from validation
  // errors. Attached only to the routes that declare an action, so no other route pays
  // for a hook that would do nothing.
  app.addHook('onRoute', (route) => {
    const action = route.config?.action
    if (!action) return
    const authorizeAction = async (request: FastifyRequest) =>
      authorize(principalOf(request), action)
    route.preValidation = [authorizeAction, ...[route.preValidation ?? []].flat()]
  })
}

/** Open without credentials: routes marked public, and the OpenAPI documents and their UI. */
export function isPublicRoute(url: string, config: { public?: boolean } | undefined): boolean {
  return config?.public === true || url.startsWith(OPENAPI_PREFIX)
}

export function sessionCookie(app: FastifyInstance, request: FastifyRequest): string | undefined {
  const header = request.headers.cookie
  if (!header?.includes(SESSION_COOKIE)) return undefined
  const value = app.parseCookie(header)[SESSION_COOKIE]
  return value && /^[A-Za-z0-9_-]{43}$/.test(value) ? value : undefined
}

/**
 * Browsers send Origin on every cross-origin and every unsafe request, and
 * Sec-Fetch-Site on all of them; either naming another site is refused.
 */
function sameOrigin(request: FastifyRequest): boolean {
  const fetchSite = request.headers['sec-fetch-site']
  if (fetchSite !== undefined && fetchSite !== 'same-origin') return false
  const origin = request.headers.origin
  return origin === undefined || origin === `${request.protocol}://${request.host}`
}

/** Names the mistake when the token was sent somewhere we deliberately never read it. */
function missingCredentialsError(request: FastifyRequest) {
  const query = request.url.split('?')[1] ?? ''
  if (/(^|&)(access_token|token|bearer)=/i.test(query)) {
    return errors.tokenInWrongPlace('the query string')
  }
  if (/(^|;\s*)(access_token|token)=/i.test(request.headers.cookie ?? '')) {
    return errors.tokenInWrongPlace('a cookie')
  }
  return errors.authorizationMissing()
}

export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw errors.authorizationMissing()
  return request.principal
}
