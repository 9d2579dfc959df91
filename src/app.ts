import formbody from '@fastify/formbody'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, { type FastifyInstance, type FastifyServerOptions, LogController } from 'fastify'
import { installAuditHook } from './audit/audit.hook.ts'
import { auditRoutes } from './audit/audit.routes.ts'
import { type AppDeps, closeServices, createServices, type Services } from './composition.ts'
import { DEFAULT_CONSOLE_DIR, installConsole } from './http/console.ts'
import { frameworkErrors, installErrorHandling, MAX_PARAM_LENGTH } from './http/error-handler.ts'
import { installMetricsHook, metricsRoute } from './http/metrics.routes.ts'
import { installAccessLog, lazyChildLoggerFactory } from './http/request-logger.ts'
import { installSecurityHeaders } from './http/security-headers.ts'
import { installValidation } from './http/validation.ts'
import { installAuth, isPublicRoute } from './identity/bearer/auth.hook.ts'
import { withTokenExpiresHeader } from './identity/bearer/token-expires-header.ts'
import type { Action } from './identity/policy/permissions.ts'
import { sessionRoutes } from './identity/sessions/session.routes.ts'
import { createLimits, MAX_HEADER_BYTES } from './identity/throttling/limits.ts'
import { tokenRateLimitHook } from './identity/throttling/token-rate-limit.ts'
import { oauthRoutes } from './identity/token-endpoint/oauth.routes.ts'
import { tokenRoutes } from './identity/token-endpoint/token-endpoint.routes.ts'
import { canIRoutes } from './identity/users/can-i.routes.ts'
import { canaryRoutes } from './identity/users/canary.routes.ts'
import { meRoutes } from './identity/users/me.routes.ts'
import { revokeBeforeRoutes } from './identity/users/revoke-before.routes.ts'
import { usersRoutes } from './identity/users/users.routes.ts'
import { managementMetrics } from './metrics.ts'
import { installOpenApi } from './openapi.ts'
import { sealStoredWebhookValues } from './resources/connections/connections.service.ts'
import { resourceRoutes } from './resources/index.ts'
import { geolocationRoutes } from './settings/geolocation/geolocation.routes.ts'
import { notificationRoutes } from './settings/notifications.routes.ts'
import { settingsRoutes } from './settings/settings.routes.ts'
import { testRoutes } from './system/test.routes.ts'

export interface RouteEntry {
  method: string
  url: string
  public: boolean
  /** The role -> action entry the route is guarded by, if any. */
  action: Action | undefined
}

/** Never let a secret reach a log line: headers that carry one, and suspicious query values. */
export const LOG_REDACT = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-csrf-token"]',
  'res.headers["set-cookie"]',
]

function redactQuery(url: string): string {
  const [path, query] = url.split('?')
  if (!query) return url
  const safe = query.replace(
    /(^|&)([^=&]*(token|secret|password|key)[^=&]*)=[^&]*/gi,
    '$1$2=[REDACTED]',
  )
  return `${path}?${safe}`
}

export function loggerOptions(
  level: string,
): Exclude<FastifyServerOptions['logger'], boolean | undefined> {
  return {
    level,
    redact: { paths: LOG_REDACT, censor: '[REDACTED]' },
    serializers: {
      req: (req) => ({ method: req.method, url: redactQuery(req.url), remoteAddress: req.ip }),
    },
  }
}

export type App = FastifyInstance & { services: Services; routeTable: readonly RouteEntry[] }

function createFastify(deps: AppDeps) {
  return Fastify({
    ...(deps.log
      ? { loggerInstance: deps.log, childLoggerFactory: lazyChildLoggerFactory }
      : { logger: false }),
    // Fastify also accepts a hop count here, which its types omit.
    trustProxy: deps.config.trustProxy as boolean | string | string[],
    bodyLimit: 1024 * 1024,
    // Registering ~400 routes and their schemas takes seconds on a busy 2-core machine;
    // Fastify's 10 s default then fails a healthy start. A plugin that hangs still fails.
    pluginTimeout: 60_000,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: MAX_PARAM_LENGTH },
    frameworkErrors,
    // Larger request heads answer 431 (Node's own check, before any of our code runs).
    http: { maxHeaderSize: MAX_HEADER_BYTES },
    // Errors carry their own ids in logs; a client never sees them.
    genReqId: undefined,
    // One access-log line instead (installAccessLog), without a child logger per request.
    logController: new LogController({ disableRequestLogging: true }),
  }).withTypeProvider<TypeBoxTypeProvider>()
}

type Server = ReturnType<typeof createFastify>
type Limits = ReturnType<typeof createLimits>

/** The route table, for the OpenAPI document and for tests that must cover every route. */
function collectRouteTable(app: Server): RouteEntry[] {
  const routes: RouteEntry[] = []
  app.decorate('routeTable', routes)
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) {
      if (method === 'HEAD') continue
      routes.push({
        method,
        url: route.url,
        public: isPublicRoute(route.url, route.config),
        action: route.config?.action,
      })
    }
  })
  return routes
}

async function registerRoutes(
  app: Server,
  deps: AppDeps,
  services: Services,
  limits: Limits,
): Promise<void> {
  await app.register(testRoutes, { db: services.db })
  await app.register(tokenRoutes, {
    deps: services,
    ttlSeconds: deps.config.apiTokenTtl,
    throttle: limits.login,
  })
  await app.register(oauthRoutes, {
    deps: services,
    throttle: limits.login,
    revocations: limits.revocations,
  })
  await app.register(sessionRoutes, {
    deps: services,
    throttle: limits.login,
    deviceSecret: deps.keys.device,
  })
  await app.register(meRoutes, { deps: services, throttle: limits.login })
  await app.register(canIRoutes, { deps: services, routes: (app as unknown as App).routeTable })
  await app.register(usersRoutes, { deps: services })
  await app.register(revokeBeforeRoutes, { deps: services })
  await app.register(canaryRoutes, { deps: services })
  await app.register(auditRoutes, { deps: services })
  await app.register(settingsRoutes, { deps: services })
  await app.register(notificationRoutes, { deps: services })
  await app.register(geolocationRoutes, { deps: services })
  await app.register(resourceRoutes, { deps: services })
  if (deps.config.metricsPublic === 'admin') await metricsRoute(app, services.metrics)
}

export async function buildApp(deps: AppDeps): Promise<App> {
  const app = createFastify(deps)

  const services = createServices(
    deps,
    (error) => app.log.warn({ err: error }, 'token usage write failed'),
    (detail, message) => app.log.warn(detail, message),
  )
  app.decorate('services', services)
  await services.settings.reload()
  // Webhook values stored in clear by an older version are sealed before anything is served.
  const sealed = await sealStoredWebhookValues(services)
  if (sealed > 0) app.log.info({ connections: sealed }, 'sealed stored webhook values')
  const unwatch = services.settings.watch(deps.events, (error) =>
    app.log.warn({ err: error }, 'could not reload the runtime settings; keeping the old ones'),
  )
  app.addHook('onClose', async () => unwatch())
  const limits = createLimits({
    ...deps,
    db: deps.store.db,
    log: app.log,
    tokenRateLimit: () => services.settings.tokenRateLimit,
  })
  app.addHook('onClose', () => limits.close())
  const routes = collectRouteTable(app)
  app.addHook('onClose', () => closeServices(services))

  installErrorHandling(app)
  if (deps.config.accessLog) installAccessLog(app)
  installMetricsHook(app, managementMetrics(services.metrics))
  installValidation(app)
  installSecurityHeaders(app)
  await installConsole(app, deps.consoleDir ?? DEFAULT_CONSOLE_DIR)
  await installOpenApi(app, routes)
  // A JSON API: text bodies are refused with 415 instead of reaching validation as strings.
  app.removeContentTypeParser('text/plain')
  await app.register(formbody)
  installAuth(app, services, withTokenExpiresHeader(services, tokenRateLimitHook(limits.tokens)))
  installAuditHook(app, services.audit)
  await registerRoutes(app, deps, services, limits)

  return app as unknown as App
}
