import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { paginate, SUCCESS } from '../../http/lists.ts'
import { errorResponses, ListBody, ListQuery, SuccessBody } from '../../http/schemas.ts'
import { principalOf } from '../../identity/auth.hook.ts'
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
} from './connections.schemas.ts'
import * as service from './connections.service.ts'

/*
 * Connections: a project's reusable settings for external systems (databases, LDAP,
 * SMTP, Kafka, webhooks, Elasticsearch). Choices a reader should know:
 * - The body is `{name, type, description?, enabled?, settings}`, with `settings` typed
 *   per `type`; validation runs only the branch `type` names (see discriminatedBody).
 * - `settings.password` is the one secret: sealed into the `secret` column with
 *   AES-256-GCM bound to the row, never stored in `settings`, answered as the mask when
 *   set and null when not. On PUT, omitting it or sending the mask keeps it; null
 *   removes it. Passwords in URLs and credential headers are refused, since those
 *   fields are stored in clear.
 * - PUT replaces the whole connection; the name comes from the path (no renames) and
 *   the type cannot change (409).
 * - Reads need membership of the project; writes need ROLE_API_SECURITY (route config),
 *   and a project the caller cannot see is a 404 either way.
 */

const SORT = {
  name: (c: service.ConnectionView) => c.name,
  type: (c: service.ConnectionView) => c.type,
  createdAt: (c: service.ConnectionView) => c.createdAt,
  updatedAt: (c: service.ConnectionView) => c.updatedAt,
}

const ListConnectionsQuery = Type.Object(
  { ...ListQuery.properties, type: Type.Optional(ConnectionTypeSchema) },
  { additionalProperties: false },
)

export const connectionsRoutes: FastifyPluginAsyncTypebox<{
  deps: service.ConnectionsDeps
}> = async (app, { deps }) => {
  const tags = ['connections']
  const write = { action: 'security.write' as const }
  const base = '/apiops/projects/:projectName/connections'
  const compile = app.validatorCompiler
  if (!compile) throw new Error('the validator compiler must be installed before the routes')
  const bodyValidator = (branches: typeof CREATE_BODIES | typeof REPLACE_BODIES) => {
    const byType = discriminatedBody(compile, branches)
    return (route: Parameters<typeof compile>[0]) =>
      route.httpPart === 'body' ? byType(route) : compile(route)
  }

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
      paginate(
        await service.listConnections(
          deps,
          principalOf(request),
          request.params.projectName,
          request.query.type,
        ),
        request.query,
        SORT,
        'name',
      ),
  )

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

  app.get(
    `${base}/:name/`,
    {
      schema: {
        operationId: 'getConnection',
        tags,
        summary: 'One connection, its password masked (members)',
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

  app.put(
    `${base}/:name/`,
    {
      config: write,
      validatorCompiler: bodyValidator(REPLACE_BODIES),
      schema: {
        operationId: 'replaceConnection',
        tags,
        summary:
          'Replace a connection; the password is kept when omitted or sent masked (ROLE_API_SECURITY)',
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
