import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { audited } from '../../../audit/audit.hook.ts'
import type { RouteApp } from '../../../http/route-app.ts'
import { errorResponses } from '../../../http/schemas.ts'
import { principalOf } from '../../../identity/bearer/auth.hook.ts'
import { ProxyParams } from '../proxies.schemas.ts'
import * as s from './policies.schemas.ts'
import * as service from './policies.service.ts'

/*
 * A proxy's policies at the documented paths: the list under `.../policies/`, each
 * policy under `.../policies/{policyName}/`. Add and update take one body shape per
 * policy.type, validated against that type only (see policyBodyValidator).
 */

interface PoliciesRouteOptions {
  deps: service.PoliciesDeps
}

const tags = ['api-proxy-policies']
const base = '/apiops/projects/:projectName/apiProxies/:apiProxyName/policies'
type ValidatorCompiler = NonNullable<RouteApp['validatorCompiler']>

export const proxyPoliciesRoutes: FastifyPluginAsyncTypebox<PoliciesRouteOptions> = async (
  app,
  { deps },
) => {
  const compile = app.validatorCompiler
  if (!compile) throw new Error('the validator compiler must be installed before the routes')
  const byType = s.policyBodyValidator(compile)
  const validator: ValidatorCompiler = (route) =>
    route.httpPart === 'body' ? byType(route) : compile(route)
  listRoute(app, deps)
  addRoute(app, deps, validator)
  updateRoute(app, deps, validator)
  deleteRoute(app, deps)
}

function listRoute(app: RouteApp, deps: service.PoliciesDeps): void {
  app.get(
    `${base}/`,
    {
      config: { action: 'policy.read' },
      schema: {
        operationId: 'listApiProxyPolicies',
        tags,
        summary:
          "A proxy's policies per pipeline, its own and each endpoint's (ROLE_MANAGE_PROXIES)",
        params: ProxyParams,
        response: { 200: s.PolicyListAnswer, ...errorResponses(401, 403, 404) },
      },
    },
    async (request) => service.listPolicies(deps, principalOf(request), request.params),
  )
}

function addRoute(app: RouteApp, deps: service.PoliciesDeps, validator: ValidatorCompiler): void {
  app.post(
    `${base}/:policyName/`,
    {
      config: { action: 'proxy.write' },
      validatorCompiler: validator,
      schema: {
        operationId: 'addApiProxyPolicy',
        tags,
        summary:
          'Add a policy (name unique in the proxy) to a pipeline of the proxy or an endpoint',
        params: s.PolicyParams,
        body: s.PolicyBody,
        response: { 200: s.PolicyWriteAnswer, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) =>
      service.addPolicy(audited(request, deps), principalOf(request), request.params, request.body),
  )
}

function updateRoute(
  app: RouteApp,
  deps: service.PoliciesDeps,
  validator: ValidatorCompiler,
): void {
  app.put(
    `${base}/:policyName/`,
    {
      config: { action: 'proxy.write' },
      validatorCompiler: validator,
      schema: {
        operationId: 'updateApiProxyPolicy',
        tags,
        summary: 'Replace a policy (same type), optionally moving it to another place or list',
        params: s.PolicyParams,
        body: s.PolicyBody,
        response: { 200: s.PolicyWriteAnswer, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) =>
      service.updatePolicy(
        audited(request, deps),
        principalOf(request),
        request.params,
        request.body,
      ),
  )
}

function deleteRoute(app: RouteApp, deps: service.PoliciesDeps): void {
  app.delete(
    `${base}/:policyName/`,
    {
      config: { action: 'proxy.write' },
      schema: {
        operationId: 'deleteApiProxyPolicy',
        tags,
        summary: 'Delete a policy from the scope and pipeline the body names',
        params: s.PolicyParams,
        body: s.DeletePolicyBody,
        response: { 200: s.PolicyWriteAnswer, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) =>
      service.deletePolicy(
        audited(request, deps),
        principalOf(request),
        request.params,
        request.body,
      ),
  )
}
