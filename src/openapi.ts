import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'
import { hoistComponents } from './http/openapi-components.ts'
import { OPENAPI_PREFIX } from './http/paths.ts'
import { ErrorBody } from './http/schemas.ts'
import { type Action, POLICY, type Rule } from './identity/policy/permissions.ts'

/**
 * The OpenAPI 3 document is generated from the same route schemas that validate
 * requests and filter responses, so it cannot drift from what the server does.
 * Register before the routes: the plugin collects them as they are added.
 */
/**
 * Names, on every operation, the roles it requires (x-required-roles) and whether it
 * is open without credentials, from the same route table the server enforces.
 */
function annotate(document: OpenApiDocument, routes: readonly RouteInfo[]): OpenApiDocument {
  for (const route of routes) {
    const path = route.url.replace(/:(\w+)/g, '{$1}')
    const operation = document.paths?.[path]?.[route.method.toLowerCase()]
    if (!operation) continue
    addGeneralErrors(operation, route.public)
    if (!route.public && (route.method !== 'GET' || route.url.includes('/:projectName')))
      addTokenLimitRefusal(operation)
    const rule: Rule | undefined = route.action ? POLICY[route.action] : undefined
    const roles = rule ? [...rule.roles] : []
    operation['x-required-roles'] = roles
    if (rule?.sessionOnly) operation['x-console-session-only'] = true
    if (route.public) operation.security = []
    const who = route.public
      ? 'Open: no credentials needed.'
      : rule?.sessionOnly
        ? 'Console session only: a token gets 403.'
        : roles.length > 0
          ? `Requires ${roles.join(' and ')} (ROLE_ADMIN satisfies any role).`
          : 'Any authenticated caller; project resources need membership of the project (administrators: all).'
    operation.description = operation.description ? `${operation.description}\n\n${who}` : who
  }
  return document
}

/**
 * Answers any route can give besides its own: bad or oversized bodies, missing
 * credentials, and the server being unable to answer.
 */
function addGeneralErrors(operation: Operation, isPublic: boolean): void {
  operation.responses ??= {}
  const responses = operation.responses as Record<string, unknown>
  const statuses = ['500', '503']
  // 429: the per-token request rate limit (APIOPS_TOKEN_RATE_LIMIT).
  if (!isPublic) statuses.push('401', '429')
  if (operation.requestBody) statuses.push('400', '413', '415')
  else if (Array.isArray(operation.parameters) && operation.parameters.length > 0)
    statuses.push('400')
  for (const status of statuses) {
    responses[status] ??= {
      description: STATUS_TEXT[status],
      content: { 'application/json': { schema: ErrorBody } },
    }
  }
}

/** A narrowed token is refused writes (read-only) and other projects' routes (403). */
function addTokenLimitRefusal(operation: Operation): void {
  const responses = (operation.responses ?? {}) as Record<string, unknown>
  responses['403'] ??= {
    description:
      "Forbidden: a role is missing, or the token's limits (read-only, projects) refuse it",
    content: { 'application/json': { schema: ErrorBody } },
  }
}

const STATUS_TEXT: Record<string, string> = {
  '400': 'The request is malformed or fails validation',
  '401': 'No valid credentials',
  '413': 'The body is too large',
  '415': 'The body is not JSON',
  '429': 'Too many requests: retry after retry_after seconds (also in Retry-After)',
  '500': 'Unexpected server error',
  '503': 'A dependency (the database) is unavailable; retry',
}

type Operation = {
  description?: string
  security?: unknown[]
  responses?: unknown
  requestBody?: unknown
  [key: string]: unknown
}

interface RouteInfo {
  method: string
  url: string
  public: boolean
  action: Action | undefined
}

type OpenApiDocument = {
  paths?: Record<
    string,
    Record<string, { description?: string; security?: unknown[]; [key: string]: unknown }>
  >
}

export async function installOpenApi(
  app: FastifyInstance,
  routes: readonly RouteInfo[],
): Promise<void> {
  await app.register(swagger, {
    transformObject: (documents) =>
      hoistComponents(
        annotate(
          ('openapiObject' in documents ? documents.openapiObject : {}) as OpenApiDocument,
          routes,
        ),
      ) as never,
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'apiops Management API',
        version: '0.1.0',
        description:
          'Personal API access tokens (POST /apiops/auth/token, or the console), then `Authorization: Bearer <token>` on every call.',
      },
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
          consoleSession: { type: 'apiKey', in: 'cookie', name: 'apiops_session' },
        },
      },
      security: [{ bearerAuth: [] }, { consoleSession: [] }],
    },
  })
  app.get(
    `${OPENAPI_PREFIX}.json`,
    { config: { public: true }, schema: { hide: true } },
    async () => app.swagger(),
  )
  app.get(
    `${OPENAPI_PREFIX}.yaml`,
    { config: { public: true }, schema: { hide: true } },
    async (_request, reply) =>
      reply.type('application/yaml; charset=utf-8').send(app.swagger({ yaml: true })),
  )
  await app.register(swaggerUi, {
    routePrefix: OPENAPI_PREFIX,
    // Its page needs inline styles; the hashes of its scripts are added to the CSP.
    staticCSP: true,
    uiConfig: { deepLinking: true },
  })
}
