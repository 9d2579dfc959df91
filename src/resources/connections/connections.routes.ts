import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { SUCCESS } from '../../http/lists.ts'
import type { RouteApp } from '../../http/route-app.ts'
import { errorResponses, ListBody, ListQuery, SuccessBody } from '../../http/schemas.ts'
import { principalOf } from '../../identity/bearer/auth.hook.ts'
import {
  ConnectionParams,
  ConnectionSchema,
  ConnectionTypeSchema,
  CREATE_BODIES,
  CreateConnectionBody,
  discriminatedBody,
  ProjectParams,
  REPLACE_BODIES,
  ReplaceConnectionBody,
  RevealedValuesSchema,
} from './connections.schemas.ts'
import * as service from './connections.service.ts'

/*
 * Connections: a project's reusable settings for external systems (databases, LDAP,
 * SMTP, Kafka, webhooks, Elasticsearch). Choices a reader should know:
 * - The body is `{name, type, description?, enabled?, settings}`, with `settings` typed
 *   per `type`; validation runs only the branch `type` names (see discriminatedBody).
 * - `settings.password` is a secret: sealed into the `secret` column with AES-256-GCM
 *   bound to the row, never stored in `settings`, answered as the mask when set and
 *   null when not. On PUT, omitting it or sending the mask keeps it; null removes it.
 *   Passwords in URLs are refused, since URLs are stored in clear.
 * - A webhook's header values and URL query values are secrets too (they carry API
 *   keys): sealed the same way, read as the mask by everyone. A holder of
 *   ROLE_API_SECURITY reads them with GET .../{name}/secrets/, which is audited; a
 *   separate route rather than a flag, so the role check, the audit and the
 *   no-store answer belong to one operation that cannot be reached by accident.
 * - A secret sent back masked is kept only while the target stays the same: a PUT
 *   that changes the URL, host or servers must send it again (connections.secrets.ts).
 * - PUT replaces the whole connection; the name comes from the path (no renames) and
 *   the type cannot change (409).
 * - Reads need membership of the project; writes need ROLE_API_SECURITY (route config),
 *   and a project the caller cannot see is a 404 either way.
 */

const ListConnectionsQuery = Type.Object(
  { ...ListQuery.properties, type: Type.Optional(ConnectionTypeSchema) },
  { additionalProperties: false },
)

const tags = ['connections']
const write = { action: 'security.write' as const }
const base = '/apiops/projects/:projectName/connections'

type ValidatorCompiler = NonNullable<RouteApp['validatorCompiler']>

/** A validator that picks the body's branch by its type; other parts as the app does. */
function bodyValidatorOf(compile: ValidatorCompiler) {
  return (branches: typeof CREATE_BODIES | typeof REPLACE_BODIES) => {
    const byType = discriminatedBody(compile, branches)
    return (route: Parameters<ValidatorCompiler>[0]) =>
      route.httpPart === 'body' ? byType(route) : compile(route)
  }
}
type BodyValidator = ReturnType<typeof bodyValidatorOf>

interface ConnectionsRouteOptions {
  deps: service.ConnectionsDeps
}

export const connectionsRoutes: FastifyPluginAsyncTypebox<ConnectionsRouteOptions> = async (
  app,
  options,
) => {
  const compile = app.validatorCompiler
  if (!compile) throw new Error('the validator compiler must be installed before the routes')
  const bodyValidator = bodyValidatorOf(compile)
  listConnectionsRoute(app, options)
  createConnectionRoute(app, options, bodyValidator)
  getConnectionRoute(app, options)
  revealConnectionSecretsRoute(app, options)
  replaceConnectionRoute(app, options, bodyValidator)
  deleteConnectionRoute(app, options)
}

function listConnectionsRoute(app: RouteApp, { deps }: ConnectionsRouteOptions): void {
  app.get(
    `${base}/`,
    {
      schema: {
        operationId: 'listConnections',
        tags,
        summary: "A project's connections, optionally of one type (members)",
        params: ProjectParams,
        querystring: ListConnectionsQuery,
        response: { 200: ListBody(ConnectionSchema), ...errorResponses(400, 401, 404) },
      },
    },
    async (request) =>
      service.listConnections(
        deps,
        principalOf(request),
        request.params.projectName,
        request.query,
      ),
  )
}

function createConnectionRoute(
  app: RouteApp,
  { deps }: ConnectionsRouteOptions,
  bodyValidator: BodyValidator,
): void {
  app.post(
    `${base}/`,
    {
      config: write,
      validatorCompiler: bodyValidator(CREATE_BODIES),
      schema: {
        operationId: 'createConnection',
        tags,
        summary: 'Create a connection (ROLE_API_SECURITY)',
        params: ProjectParams,
        body: CreateConnectionBody,
        response: { 201: ConnectionSchema, ...errorResponses(400, 401, 403, 404, 409, 415) },
      },
    },
    async (request, reply) =>
      reply
        .code(201)
        .send(
          await service.createConnection(
            deps,
            principalOf(request),
            request.params.projectName,
            request.body,
          ),
        ),
  )
}

function getConnectionRoute(app: RouteApp, { deps }: ConnectionsRouteOptions): void {
  app.get(
    `${base}/:name/`,
    {
      schema: {
        operationId: 'getConnection',
        tags,
        summary: 'One connection, its secrets masked (members)',
        params: ConnectionParams,
        response: { 200: ConnectionSchema, ...errorResponses(401, 404) },
      },
    },
    async (request) =>
      service.getConnection(
        deps,
        principalOf(request),
        request.params.projectName,
        request.params.name,
      ),
  )
}

function revealConnectionSecretsRoute(app: RouteApp, { deps }: ConnectionsRouteOptions): void {
  app.get(
    `${base}/:name/secrets/`,
    {
      config: { action: 'security.reveal' },
      schema: {
        operationId: 'revealConnectionSecrets',
        tags,
        summary:
          "A webhook's stored header and URL query values, in clear; recorded in the audit log (ROLE_API_SECURITY)",
        description:
          'Every reveal is an audit event naming who revealed which fields of which connection (never the values). Other types answer 404: passwords are never answered.',
        params: ConnectionParams,
        response: { 200: RevealedValuesSchema, ...errorResponses(401, 403, 404) },
      },
    },
    async (request, reply) => {
      const revealed = await service.revealConnectionValues(
        deps,
        principalOf(request),
        request.params.projectName,
        request.params.name,
        { clientIp: request.ip, userAgent: String(request.headers['user-agent'] ?? '') },
      )
      return reply.header('cache-control', 'no-store').header('pragma', 'no-cache').send(revealed)
    },
  )
}

function replaceConnectionRoute(
  app: RouteApp,
  { deps }: ConnectionsRouteOptions,
  bodyValidator: BodyValidator,
): void {
  app.put(
    `${base}/:name/`,
    {
      config: write,
      validatorCompiler: bodyValidator(REPLACE_BODIES),
      schema: {
        operationId: 'replaceConnection',
        tags,
        summary:
          'Replace a connection; a secret sent masked (a password also when omitted) is kept unless the target changed (ROLE_API_SECURITY)',
        params: ConnectionParams,
        body: ReplaceConnectionBody,
        response: { 200: ConnectionSchema, ...errorResponses(400, 401, 403, 404, 409, 415) },
      },
    },
    async (request) =>
      service.replaceConnection(
        deps,
        principalOf(request),
        request.params.projectName,
        request.params.name,
        request.body,
      ),
  )
}

function deleteConnectionRoute(app: RouteApp, { deps }: ConnectionsRouteOptions): void {
  app.delete(
    `${base}/:name/`,
    {
      config: write,
      schema: {
        operationId: 'deleteConnection',
        tags,
        summary: 'Delete a connection (ROLE_API_SECURITY)',
        params: ConnectionParams,
        response: { 200: SuccessBody, ...errorResponses(401, 403, 404) },
      },
    },
    async (request) => {
      await service.deleteConnection(
        deps,
        principalOf(request),
        request.params.projectName,
        request.params.name,
      )
      return SUCCESS
    },
  )
}
