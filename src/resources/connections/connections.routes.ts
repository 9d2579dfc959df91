import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { audited } from '../../audit/audit.hook.ts'
import { SUCCESS } from '../../http/lists.ts'
import type { RouteApp } from '../../http/route-app.ts'
import { errorResponses, ListBody, ListQuery } from '../../http/schemas.ts'
import { principalOf } from '../../identity/bearer/auth.hook.ts'
import { documentedBody } from './connections.legacy.ts'
import {
  ConnectionParams,
  ConnectionSchema,
  ConnectionTypeSchema,
  discriminatedBody,
  NAMED_BODIES,
  NamedConnectionBody,
  OneConnectionAnswer,
  PATH_BODIES,
  PathConnectionBody,
  ProjectParams,
  RevealedValuesSchema,
  WriteAnswer,
} from './connections.schemas.ts'
import * as service from './connections.service.ts'

/*
 * Connections: a project's reusable settings for external systems, in the shape the
 * Apinizer docs give (02-api-reference/06-connections/): `type` names one of 14 types,
 * whose fields sit at the top level beside name, description, deployToWorker, enabled.
 * Each type is declared once in types/*.ts. Choices a reader should know:
 * - Bodies go through documentedBody before validation: the nested `{settings}` shape
 *   of earlier apiops versions is still read, as are two quirks of the docs' examples.
 * - Validation runs only the branch `type` names (see discriminatedBody).
 * - Secrets (every field a type declares secret, and a webhook's header and URL query
 *   values, a Kafka property that carries credentials) are sealed with AES-256-GCM bound
 *   to the row and answered as the mask: unlike the docs, never in clear, not even to
 *   GET. A webhook's values can be read with GET .../{name}/secrets/, audited.
 * - A secret sent back masked is kept only while the target stays the same.
 * - Every operation needs ROLE_API_SECURITY, reads included, as the docs say; a project
 *   the caller cannot see is a 404 either way.
 * - Writes answer {success, deploymentResult} as documented, with the connection too.
 */

const ListConnectionsQuery = Type.Object(
  { ...ListQuery.properties, type: Type.Optional(ConnectionTypeSchema) },
  { additionalProperties: false },
)

const tags = ['connections']
const write = { action: 'security.write' as const }
const base = '/apiops/projects/:projectName/connections'

/** Connections are read from the database where used: nothing to push to a worker. */
const written = (connection: service.ConnectionView) => ({
  ...SUCCESS,
  deploymentResult: { success: true, deploymentResults: [] },
  connection,
})

type ValidatorCompiler = NonNullable<RouteApp['validatorCompiler']>

/** A validator that picks the body's branch by its type; other parts as the app does. */
function bodyValidatorOf(compile: ValidatorCompiler) {
  return (branches: typeof NAMED_BODIES) => {
    const byType = discriminatedBody(compile, branches)
    return (route: Parameters<ValidatorCompiler>[0]) =>
      route.httpPart === 'body' ? byType(route) : compile(route)
  }
}
type BodyValidator = ReturnType<typeof bodyValidatorOf>

async function toDocumented(request: FastifyRequest) {
  request.body = documentedBody(request.body)
}

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
  createNamedConnectionRoute(app, options, bodyValidator)
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
        summary: "A project's connections, optionally of one type; secrets masked",
        params: ProjectParams,
        querystring: ListConnectionsQuery,
        response: { 200: ListBody(ConnectionSchema), ...errorResponses(400, 401, 403, 404) },
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
      preValidation: toDocumented,
      validatorCompiler: bodyValidator(NAMED_BODIES),
      schema: {
        operationId: 'createConnection',
        tags,
        summary: 'Create a connection named in the body (201)',
        params: ProjectParams,
        body: NamedConnectionBody,
        response: { 201: WriteAnswer, ...errorResponses(400, 401, 403, 404, 409, 415) },
      },
    },
    async (request, reply) => {
      const created = await service.createConnection(
        audited(request, deps),
        principalOf(request),
        request.params.projectName,
        request.body,
      )
      return reply.code(201).send(written(created))
    },
  )
}

function createNamedConnectionRoute(
  app: RouteApp,
  { deps }: ConnectionsRouteOptions,
  bodyValidator: BodyValidator,
): void {
  app.post(
    `${base}/:name/`,
    {
      config: write,
      preValidation: toDocumented,
      validatorCompiler: bodyValidator(PATH_BODIES),
      schema: {
        operationId: 'createNamedConnection',
        tags,
        summary: 'Create a connection; a name in the body must be the path’s, ignoring case',
        params: ConnectionParams,
        body: PathConnectionBody,
        response: { 200: WriteAnswer, ...errorResponses(400, 401, 403, 404, 409, 415) },
      },
    },
    async (request) =>
      written(
        await service.createConnection(
          audited(request, deps),
          principalOf(request),
          request.params.projectName,
          request.body,
          request.params.name,
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
        summary: 'One connection, as a one-item resultList; secrets masked',
        params: ConnectionParams,
        response: { 200: OneConnectionAnswer, ...errorResponses(401, 403, 404) },
      },
    },
    async (request) => {
      const connection = await service.getConnection(
        deps,
        principalOf(request),
        request.params.projectName,
        request.params.name,
      )
      return { ...SUCCESS, resultList: [connection], resultCount: 1 as const }
    },
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
          "A webhook's stored header and URL query values, in clear; recorded in the audit log",
        description:
          'Every reveal is an audit event naming who revealed which fields of which connection (never the values). Other types answer 404: passwords are never answered.',
        params: ConnectionParams,
        response: { 200: RevealedValuesSchema, ...errorResponses(401, 403, 404) },
      },
    },
    async (request, reply) => {
      const revealed = await service.revealConnectionValues(
        audited(request, deps),
        principalOf(request),
        request.params.projectName,
        request.params.name,
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
      preValidation: toDocumented,
      validatorCompiler: bodyValidator(PATH_BODIES),
      schema: {
        operationId: 'replaceConnection',
        tags,
        summary:
          'Replace (or rename) a connection; a secret sent masked, or a secret field omitted, is kept unless a target field changed',
        params: ConnectionParams,
        body: PathConnectionBody,
        response: { 200: WriteAnswer, ...errorResponses(400, 401, 403, 404, 409, 415) },
      },
    },
    async (request) =>
      written(
        await service.replaceConnection(
          audited(request, deps),
          principalOf(request),
          request.params.projectName,
          request.params.name,
          request.body,
        ),
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
        summary: 'Delete a connection',
        params: ConnectionParams,
        response: {
          200: Type.Omit(WriteAnswer, ['connection']),
          ...errorResponses(401, 403, 404),
        },
      },
    },
    async (request) => {
      await service.deleteConnection(
        audited(request, deps),
        principalOf(request),
        request.params.projectName,
        request.params.name,
      )
      return { ...SUCCESS, deploymentResult: { success: true, deploymentResults: [] } }
    },
  )
}
