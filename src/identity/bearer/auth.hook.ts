import type {
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  onRequestHookHandler,
  preValidationHookHandler,
} from 'fastify'
import { errors } from '../../errors.ts'
import { readCookie } from '../../http/cookies.ts'
import { isApiPath, OPENAPI_PREFIX } from '../../http/paths.ts'
import {
  type Action,
  authorize,
  checkProjectParam,
  checkReadOnly,
  type Principal,
} from '../policy/permissions.ts'
import {
  type AuthenticatedSession,
  authenticateSession,
  csrfTokenMatches,
  SESSION_COOKIE,
  type SessionsDeps,
} from '../sessions/sessions.service.ts'
import { authenticateBearer, type BearerDeps } from './bearer-check.ts'
import { type CanaryDeps, noticeCanary } from './canary.ts'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Reachable without credentials (health check, token endpoint, console login, OpenAPI). */
    public?: boolean
    /** What the route does, for the authorization policy; checked before validation. */
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
 *
 * The check is attached to each protected route (and run for unmatched /apiops/
 * paths), never to public routes or console pages, so they pay nothing for it. It
 * is a callback hook that completes synchronously when the token is cached: no
 * promise, no microtask, on the path every API call takes.
 *
 * `afterAuth` runs next on the same requests (the per-token rate limit).
 */
export function installAuth(
  app: FastifyInstance,
  deps: BearerDeps & SessionsDeps & CanaryDeps,
  afterAuth?: (request: FastifyRequest, reply: FastifyReply) => void | Promise<void>,
): void {
  app.decorateRequest('principal', null)
  app.decorateRequest('session', null)

  const authenticate = (request: FastifyRequest): void | Promise<void> => {
    if (request.headers.authorization !== undefined) {
      let principal: ReturnType<typeof authenticateBearer>
      try {
        principal = authenticateBearer(deps, request.headers.authorization, request.ip)
      } catch (error) {
        throw noticeCanary(deps, request, error)
      }
      if (!(principal instanceof Promise)) return accept(request, principal)
      return principal.then(
        (p) => accept(request, p),
        (error: unknown) => {
          throw noticeCanary(deps, request, error)
        },
      )
    }
    return authenticateWithSession(deps, request)
  }
  // One hook for both steps: one fewer for Fastify to run on every request.
  const guard = (request: FastifyRequest, reply: FastifyReply): void | Promise<void> => {
    const pending = authenticate(request)
    if (!afterAuth) return pending
    if (pending === undefined) return afterAuth(request, reply)
    return pending.then(() => afterAuth(request, reply))
  }
  const guardHook = callbackHook(guard)

  app.addHook('onRoute', (route) => {
    if (!isApiPath(route.url) || isPublicRoute(route.url, route.config)) return
    route.onRequest = [guardHook, ...[route.onRequest ?? []].flat()]
    // Before validation, so a caller without the role learns nothing from validation
    // errors. Only on the routes that declare an action.
    const action = route.config?.action
    const checks = [
      ...(action
        ? [async (request: FastifyRequest) => authorize(principalOf(request), action)]
        : []),
      ...(route.url.includes('/:projectName') ? [projectLimitHook(deps)] : []),
    ]
    if (checks.length === 0) return
    route.preValidation = [...checks, ...[route.preValidation ?? []].flat()]
  })
  // Unmatched paths have no route to carry the hook; is404 is a cheap flag.
  app.addHook('onRequest', (request, reply, done) => {
    if (request.is404 && isApiPath(request.url)) guardHook.call(app, request, reply, done)
    else done()
  })
}

/** A token limited to some projects, on a route in a project (params are parsed by now). */
function projectLimitHook(deps: BearerDeps): preValidationHookHandler {
  // A callback hook: no promise for the requests of every other token.
  return (request, _reply, done) => {
    const principal = request.principal
    const { projectName } = request.params as { projectName?: string }
    if (!principal?.limits?.projectIds || projectName === undefined) return done()
    checkProjectParam(deps, principal, projectName).then(() => done(), done)
  }
}

function accept(request: FastifyRequest, principal: Principal): void {
  if (principal.limits !== undefined) checkReadOnly(principal, request.method)
  request.principal = principal
}

/** A hook that completes synchronously when `run` does, and waits only for a promise. */
function callbackHook(
  run: (request: FastifyRequest, reply: FastifyReply) => void | Promise<void>,
): onRequestHookHandler {
  return (request, reply, done) => {
    let pending: void | Promise<void>
    try {
      pending = run(request, reply)
    } catch (error) {
      done(error as Error)
      return
    }
    if (pending === undefined) done()
    else pending.then(() => done(), done)
  }
}

async function authenticateWithSession(deps: SessionsDeps, request: FastifyRequest): Promise<void> {
  const secret = sessionCookie(request)
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
}

/** Open without credentials: routes marked public, and the OpenAPI documents and their UI. */
export function isPublicRoute(url: string, config: { public?: boolean } | undefined): boolean {
  return config?.public === true || url.startsWith(OPENAPI_PREFIX)
}

export function sessionCookie(request: FastifyRequest): string | undefined {
  const header = request.headers.cookie
  if (!header?.includes(SESSION_COOKIE)) return undefined
  const value = readCookie(header, SESSION_COOKIE)
  return value && /^[A-Za-z0-9_-]{43}$/.test(value) ? value : undefined
}

/**
 * Browsers send Origin on every cross-origin and every unsafe request, and
 * Sec-Fetch-Site on all of them; either naming another site is refused.
 */
export function sameOrigin(request: FastifyRequest): boolean {
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
