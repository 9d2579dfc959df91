import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { audited } from '../../audit/audit.hook.ts'
import { SUCCESS } from '../../http/lists.ts'
import type { RouteApp } from '../../http/route-app.ts'
import { errorResponses, ListBody, ListQuery } from '../../http/schemas.ts'
import { principalOf } from '../../identity/bearer/auth.hook.ts'
import {
  EnvironmentVariableSchema,
  OneVariableBody,
  ProjectParams,
  VariableBody,
  VariableParams,
  VariableWriteResultSchema,
} from './environment-variables.schemas.ts'
import * as service from './environment-variables.service.ts'

/*
 * Environment variables, at the paths and with the bodies of the Apinizer Management
 * API. Choices a reader should know:
 * - A variable is global (one value everywhere) or has one value per environment the
 *   project may use. `visible: false` (the default per environment) and
 *   `globalVisible: false` make a value secret: sealed at rest, read as null by
 *   everyone, never logged (the audit hook reads only the name from a body).
 * - Create takes the name in the path and in the body, and they must be equal; PUT to
 *   the current name renames when the body names another. Null for a value on PUT
 *   keeps the stored one, so what a read answers can be sent back.
 * - Every write answers a deploymentResult with one entry per environment the project
 *   may use. There is no gateway yet: a variable takes effect for `${NAME}`
 *   resolution as soon as it is stored.
 * - Reads need ROLE_API_SECURITY, writes also ROLE_DEPLOY_UNDEPLOY_PROXIES (the docs'
 *   roles); a project the caller is not a member of answers 404.
 */

const tags = ['environment-variables']
const read = { action: 'variable.read' as const }
const write = { action: 'variable.write' as const }
const base = '/apiops/projects/:projectName/environmentVariables'
const writeErrors = errorResponses(400, 401, 403, 404, 409, 415)

interface VariablesRouteOptions {
  deps: service.EnvironmentVariablesDeps
}

export const environmentVariablesRoutes: FastifyPluginAsyncTypebox<VariablesRouteOptions> = async (
  app,
  options,
) => {
  listVariablesRoute(app, options)
  getVariableRoute(app, options)
  writeVariableRoute(app, options, 'create')
  writeVariableRoute(app, options, 'update')
  deleteVariableRoute(app, options)
}

function listVariablesRoute(app: RouteApp, { deps }: VariablesRouteOptions): void {
  app.get(
    `${base}/`,
    {
      config: read,
      schema: {
        operationId: 'listEnvironmentVariables',
        tags,
        summary: "A project's environment variables, secret values as null (ROLE_API_SECURITY)",
        params: ProjectParams,
        querystring: ListQuery,
        response: {
          200: ListBody(EnvironmentVariableSchema),
          ...errorResponses(400, 401, 403, 404),
        },
      },
    },
    async (request) =>
      service.listVariables(deps, principalOf(request), request.params.projectName, request.query),
  )
}

function getVariableRoute(app: RouteApp, { deps }: VariablesRouteOptions): void {
  app.get(
    `${base}/:name/`,
    {
      config: read,
      schema: {
        operationId: 'getEnvironmentVariable',
        tags,
        summary: 'One environment variable, secret values as null (ROLE_API_SECURITY)',
        params: VariableParams,
        response: { 200: OneVariableBody, ...errorResponses(401, 403, 404) },
      },
    },
    async (request) => {
      const variable = await service.getVariable(
        deps,
        principalOf(request),
        request.params.projectName,
        request.params.name,
      )
      return { ...SUCCESS, resultList: [variable], resultCount: 1 as const }
    },
  )
}

/** Create and replace take the same body and answer alike; only the verb and its words differ. */
const WRITES = {
  create: {
    method: 'POST',
    operationId: 'createEnvironmentVariable',
    summary:
      'Create an environment variable, global or per environment; the body names it as the path does (ROLE_API_SECURITY and ROLE_DEPLOY_UNDEPLOY_PROXIES)',
  },
  update: {
    method: 'PUT',
    operationId: 'updateEnvironmentVariable',
    summary:
      'Replace an environment variable; a body naming another name renames it, a null value keeps the stored one (ROLE_API_SECURITY and ROLE_DEPLOY_UNDEPLOY_PROXIES)',
  },
} as const

function writeVariableRoute(
  app: RouteApp,
  { deps }: VariablesRouteOptions,
  mode: keyof typeof WRITES,
): void {
  const { method, operationId, summary } = WRITES[mode]
  app.route({
    method,
    url: `${base}/:name/`,
    config: write,
    schema: {
      operationId,
      tags,
      summary,
      params: VariableParams,
      body: VariableBody,
      response: { 200: VariableWriteResultSchema, ...writeErrors },
    },
    handler: async (request) => ({
      ...SUCCESS,
      deploymentResult: await service.writeVariable(
        audited(request, deps),
        principalOf(request),
        mode,
        request.params,
        request.body,
      ),
    }),
  })
}

function deleteVariableRoute(app: RouteApp, { deps }: VariablesRouteOptions): void {
  app.delete(
    `${base}/:name/`,
    {
      config: write,
      schema: {
        operationId: 'deleteEnvironmentVariable',
        tags,
        summary:
          'Delete an environment variable (ROLE_API_SECURITY and ROLE_DEPLOY_UNDEPLOY_PROXIES)',
        params: VariableParams,
        response: { 200: VariableWriteResultSchema, ...errorResponses(401, 403, 404) },
      },
    },
    async (request) => ({
      ...SUCCESS,
      deploymentResult: await service.writeVariable(
        audited(request, deps),
        principalOf(request),
        'delete',
        request.params,
      ),
    }),
  )
}
