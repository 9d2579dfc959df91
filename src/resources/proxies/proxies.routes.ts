import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { audited } from '../../audit/audit.hook.ts'
import { SUCCESS } from '../../http/lists.ts'
import type { RouteApp } from '../../http/route-app.ts'
import { errorResponses, ListBody, ListQuery, NameParam } from '../../http/schemas.ts'
import { principalOf } from '../../identity/bearer/auth.hook.ts'
import * as deployment from './proxies.deployment.ts'
import {
  DeploymentResultSchema,
  DeployParams,
  HistoryEntrySchema,
  ProxyFromUrlBody,
  ProxyParams,
  ProxySchema,
  ProxySummarySchema,
  ProxyWriteResultSchema,
} from './proxies.schemas.ts'
import * as service from './proxies.service.ts'
import * as writes from './proxies.writes.ts'

/*
 * API proxies and their deployments, shaped after the Apinizer Management API:
 * create and update go through `apiProxies/url/` with the proxy's name in the body,
 * and answer 200 with {success, deploymentResult?} as those docs do (plus the proxy
 * itself, so a client needs no second call). Deploying is idempotent per environment:
 * deploying again redeploys the latest revision, undeploying where nothing is deployed
 * succeeds with a message saying so.
 */

const DeployAnswer = Type.Object({
  status: Type.Literal('SUCCESS'),
  success: Type.Literal(true),
  deploymentResult: DeploymentResultSchema,
})

const tags = ['api-proxies']
const base = '/apiops/projects/:projectName/apiProxies'
const ProjectParams = Type.Object({ projectName: NameParam })

interface ProxiesRouteOptions {
  deps: service.ProxiesDeps
}

export const proxiesRoutes: FastifyPluginAsyncTypebox<ProxiesRouteOptions> = async (
  app,
  options,
) => {
  listApiProxiesRoute(app, options)
  getApiProxyRoute(app, options)
  createApiProxyFromUrlRoute(app, options)
  updateApiProxyFromUrlRoute(app, options)
  deleteApiProxyRoute(app, options)
  deployApiProxyRoute(app, options)
  undeployApiProxyRoute(app, options)
  listApiProxyDeploymentHistoryRoute(app, options)
}

function listApiProxiesRoute(app: RouteApp, { deps }: ProxiesRouteOptions): void {
  app.get(
    `${base}/`,
    {
      schema: {
        operationId: 'listApiProxies',
        tags,
        summary: "A project's API proxies, ordered by name (members)",
        params: ProjectParams,
        querystring: ListQuery,
        response: { 200: ListBody(ProxySummarySchema), ...errorResponses(400, 401, 404) },
      },
    },
    async (request) =>
      service.listProxies(deps, principalOf(request), request.params.projectName, request.query),
  )
}

function getApiProxyRoute(app: RouteApp, { deps }: ProxiesRouteOptions): void {
  app.get(
    `${base}/:apiProxyName/`,
    {
      schema: {
        operationId: 'getApiProxy',
        tags,
        summary:
          'An API proxy: client route, routing addresses, endpoints, deployment status per environment',
        params: ProxyParams,
        response: { 200: ProxySchema, ...errorResponses(401, 404) },
      },
    },
    async (request) =>
      service.getProxy(
        deps,
        principalOf(request),
        request.params.projectName,
        request.params.apiProxyName,
      ),
  )
}

function createApiProxyFromUrlRoute(app: RouteApp, { deps }: ProxiesRouteOptions): void {
  app.post(
    `${base}/url/`,
    {
      config: { action: 'proxy.write' },
      schema: {
        operationId: 'createApiProxyFromUrl',
        tags,
        summary: 'Create an API proxy: REVERSE_PROXY, or from an OpenAPI 3 / Swagger 2 spec URL',
        params: ProjectParams,
        body: ProxyFromUrlBody,
        response: {
          200: ProxyWriteResultSchema,
          ...errorResponses(400, 401, 403, 404, 409, 503),
        },
      },
    },
    async (request) => ({
      ...SUCCESS,
      ...(await writes.createProxy(
        audited(request, deps),
        principalOf(request),
        request.params.projectName,
        request.body,
        request.log,
      )),
    }),
  )
}

function updateApiProxyFromUrlRoute(app: RouteApp, { deps }: ProxiesRouteOptions): void {
  app.put(
    `${base}/url/`,
    {
      config: { action: 'proxy.write' },
      schema: {
        operationId: 'updateApiProxyFromUrl',
        tags,
        summary:
          'Update an API proxy (re-reading its spec); deployed environments then need a redeploy',
        params: ProjectParams,
        body: ProxyFromUrlBody,
        response: {
          200: ProxyWriteResultSchema,
          ...errorResponses(400, 401, 403, 404, 409, 503),
        },
      },
    },
    async (request) => ({
      ...SUCCESS,
      ...(await writes.updateProxy(
        audited(request, deps),
        principalOf(request),
        request.params.projectName,
        request.body,
        request.log,
      )),
    }),
  )
}

function deleteApiProxyRoute(app: RouteApp, { deps }: ProxiesRouteOptions): void {
  app.delete(
    `${base}/:apiProxyName/`,
    {
      config: { action: 'proxy.delete' },
      schema: {
        operationId: 'deleteApiProxy',
        tags,
        summary: 'Delete an API proxy, undeploying it from every environment',
        params: ProxyParams,
        response: { 200: DeployAnswer, ...errorResponses(401, 403, 404) },
      },
    },
    async (request) => ({
      ...SUCCESS,
      deploymentResult: await writes.deleteProxy(
        audited(request, deps),
        principalOf(request),
        request.params.projectName,
        request.params.apiProxyName,
      ),
    }),
  )
}

function deployApiProxyRoute(app: RouteApp, { deps }: ProxiesRouteOptions): void {
  app.post(
    `${base}/:apiProxyName/environments/:environmentName/`,
    {
      config: { action: 'proxy.deploy' },
      schema: {
        operationId: 'deployApiProxy',
        tags,
        summary: 'Deploy to an environment (redeploys the latest revision if already deployed)',
        params: DeployParams,
        response: { 200: DeployAnswer, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => ({
      ...SUCCESS,
      deploymentResult: await deployment.deploy(
        audited(request, deps),
        principalOf(request),
        request.params,
      ),
    }),
  )
}

function undeployApiProxyRoute(app: RouteApp, { deps }: ProxiesRouteOptions): void {
  app.delete(
    `${base}/:apiProxyName/environments/:environmentName/`,
    {
      config: { action: 'proxy.deploy' },
      schema: {
        operationId: 'undeployApiProxy',
        tags,
        summary: 'Undeploy from an environment',
        params: DeployParams,
        response: { 200: DeployAnswer, ...errorResponses(401, 403, 404) },
      },
    },
    async (request) => ({
      ...SUCCESS,
      deploymentResult: await deployment.undeploy(
        audited(request, deps),
        principalOf(request),
        request.params,
      ),
    }),
  )
}

function listApiProxyDeploymentHistoryRoute(app: RouteApp, { deps }: ProxiesRouteOptions): void {
  app.get(
    `${base}/:apiProxyName/deployments/`,
    {
      schema: {
        operationId: 'listApiProxyDeploymentHistory',
        tags,
        summary:
          'Who deployed or undeployed the proxy, where, when and which revision; newest first',
        params: ProxyParams,
        querystring: ListQuery,
        response: { 200: ListBody(HistoryEntrySchema), ...errorResponses(400, 401, 404) },
      },
    },
    async (request) =>
      deployment.deploymentHistory(deps, principalOf(request), request.params, request.query),
  )
}
