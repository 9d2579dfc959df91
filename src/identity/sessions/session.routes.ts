import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { errors } from '../../errors.ts'
import { type CookieOptions, readCookie, setCookie } from '../../http/cookies.ts'
import { SUCCESS } from '../../http/lists.ts'
import type { RouteApp } from '../../http/route-app.ts'
import { errorResponses, SuccessBody } from '../../http/schemas.ts'
import { sameOrigin, sessionCookie } from '../bearer/auth.hook.ts'
import { PASSWORD_MAX_LENGTH } from '../credentials/passwords.ts'
import type { LoginThrottle } from '../throttling/throttle.ts'
import { RoleSchema } from '../users/roles.ts'
import {
  checkLogin,
  logout,
  openSession,
  SESSION_COOKIE,
  type SessionsDeps,
} from './sessions.service.ts'
import {
  DEVICE_COOKIE,
  DEVICE_COOKIE_MAX_AGE_SECONDS,
  DEVICE_COOKIE_PATH,
  deviceKey,
  newDeviceCookie,
  rememberAddress,
} from './trusted-clients.ts'

const SessionSchema = Type.Object({
  username: Type.String(),
  roles: Type.Array(RoleSchema),
  csrfToken: Type.String({
    description: 'Send as X-CSRF-Token on every POST, PUT, PATCH and DELETE',
  }),
  expiresAt: Type.String({ format: 'date-time', description: 'The absolute end of the session' }),
})

function cookieOptions(request: FastifyRequest, maxAgeSeconds: number, path = '/'): CookieOptions {
  // Secure whenever the client reached us over TLS (directly or via a trusted proxy).
  return { secure: request.protocol === 'https', maxAgeSeconds, path }
}

/**
 * Login CSRF: a foreign page could post a form that logs the victim into the
 * attacker's account. Browsers cannot send JSON cross-site without CORS (which we never
 * grant), and they name the page's site in Origin / Sec-Fetch-Site, so the login takes
 * JSON only and refuses another site, before any credential is looked at.
 */
async function requireSameSiteJsonLogin(request: FastifyRequest): Promise<void> {
  if (!sameOrigin(request)) throw errors.crossOriginLogin()
  const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? ''
  if (type !== 'application/json') {
    throw errors.unsupportedMediaType(type, 'application/json: {"username": ..., "password": ...}')
  }
}

const noStore = (reply: FastifyReply) =>
  reply.header('cache-control', 'no-store').header('pragma', 'no-cache')

/** The new session's cookie, and the device cookie that lets this browser in later. */
function setLoginCookies(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: SessionsDeps,
  secret: string,
  device: string,
): void {
  reply.header('set-cookie', [
    setCookie(SESSION_COOKIE, secret, cookieOptions(request, deps.sessionPolicy.absoluteMs / 1000)),
    setCookie(
      DEVICE_COOKIE,
      device,
      cookieOptions(request, DEVICE_COOKIE_MAX_AGE_SECONDS, DEVICE_COOKIE_PATH),
    ),
  ])
}

const LOGIN_SCHEMA = {
  operationId: 'login',
  tags: ['session'],
  summary: 'Console login: sets the session cookie and answers the CSRF token',
  description:
    'Also sets a long-lived device cookie (apiops_device, Path=/apiops/session): a later login as the same username from this browser is judged by its own failure count, not by a lock other clients caused.',
  security: [],
  body: Type.Object(
    {
      username: Type.String({ minLength: 1, maxLength: 64 }),
      password: Type.String({ minLength: 1, maxLength: PASSWORD_MAX_LENGTH }),
    },
    { additionalProperties: false },
  ),
  response: { 200: SessionSchema, ...errorResponses(400, 401, 403, 413, 415, 429, 503) },
}

/** The console's login and logout: a server-side session behind an HttpOnly cookie. */
const tags = ['session']

interface SessionRouteOptions {
  deps: SessionsDeps
  /** Failed-login counts shared with the token endpoint (429 while locked out). */
  throttle: LoginThrottle
  /** Signs device cookies, derived from the master secret. */
  deviceSecret: Buffer
}

export const sessionRoutes: FastifyPluginAsyncTypebox<SessionRouteOptions> = async (
  app,
  options,
) => {
  loginRoute(app, options)
  getSessionRoute(app, options)
  logoutRoute(app, options)
}

function loginRoute(app: RouteApp, { deps, throttle, deviceSecret }: SessionRouteOptions): void {
  app.post(
    '/apiops/session/',
    {
      config: { public: true },
      bodyLimit: 8192,
      onRequest: requireSameSiteJsonLogin,
      schema: LOGIN_SCHEMA,
    },
    async (request, reply) => {
      const { username } = request.body
      // A browser that logged in as this username before is judged by its own count.
      const device = readCookie(request.headers.cookie, DEVICE_COOKIE)
      const trustedKey = deviceKey(deviceSecret, device, username, deps.clock.now())
      const user = await throttle.attempt({ username, ip: request.ip, trustedKey }, () =>
        checkLogin(deps, username, request.body.password),
      )
      const { secret, view, userId } = await openSession(deps, user, {
        ip: request.ip,
        userAgent: String(request.headers['user-agent'] ?? ''),
        previousSecret: sessionCookie(request),
      })
      await rememberAddress(deps, userId, request.ip, request.log)
      const newDevice = newDeviceCookie(deviceSecret, username, deps.clock.now())
      setLoginCookies(request, reply, deps, secret, newDevice)
      return noStore(reply).send(view)
    },
  )
}

function getSessionRoute(app: RouteApp, _options: SessionRouteOptions): void {
  app.get(
    '/apiops/session/',
    {
      config: { action: 'session.own' },
      schema: {
        operationId: 'getSession',
        tags,
        summary:
          'The current console session (after a reload, the console gets its CSRF token here)',
        response: { 200: SessionSchema, ...errorResponses(401, 403) },
      },
    },
    async (request, reply) => {
      // The policy refused tokens already; this narrows the type.
      if (!request.session) throw errors.notASession()
      return noStore(reply).send(request.session.view)
    },
  )
}

function logoutRoute(app: RouteApp, { deps }: SessionRouteOptions): void {
  app.delete(
    '/apiops/session/',
    {
      config: { action: 'session.own' },
      schema: {
        operationId: 'logout',
        tags,
        summary: 'Log out: the session ends on the server, so the old cookie is worthless',
        response: { 200: SuccessBody, ...errorResponses(401, 403) },
      },
    },
    async (request, reply) => {
      // The policy refused tokens already; this narrows the type.
      if (!request.session) throw errors.notASession()
      await logout(deps, request.session.sessionId)
      reply.header('set-cookie', setCookie(SESSION_COOKIE, '', cookieOptions(request, 0)))
      return SUCCESS
    },
  )
}
