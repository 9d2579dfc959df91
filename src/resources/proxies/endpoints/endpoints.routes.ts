import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { Static, TSchema } from 'typebox'
import { audited } from '../../../audit/audit.hook.ts'
import { SUCCESS } from '../../../http/lists.ts'
import type { RouteApp } from '../../../http/route-app.ts'
import { errorResponses, ListQuery, SuccessBody } from '../../../http/schemas.ts'
import { principalOf } from '../../../identity/bearer/auth.hook.ts'
import type { Action, Principal } from '../../../identity/policy/permissions.ts'
import { ProxyParams } from '../proxies.schemas.ts'
import * as s from './endpoints.schemas.ts'
import * as service from './endpoints.service.ts'

/*
 * A proxy's endpoints at the documented paths under `.../apiProxies/{name}/endpoints/`.
 * Apart from the list, every route names its endpoint in the body (name and method),
 * reads included (POST details/, policies/), as the Apinizer docs have it.
 */

interface EndpointsRouteOptions {
  deps: service.EndpointsDeps
}

const tags = ['api-proxy-endpoints']
const base = '/apiops/projects/:projectName/apiProxies/:apiProxyName/endpoints'

interface BodyRoute<B extends TSchema> {
  method: 'POST' | 'PATCH'
  path: string
  action: Action
  operationId: string
  summary: string
  body: B
  answer: TSchema
  run: (
    deps: service.EndpointsDeps,
    principal: Principal,
    ref: service.ProxyRef,
    body: Static<B>,
  ) => Promise<unknown>
}

/** Keeps each entry's body type for its own run, then forgets it for the table. */
const route = <B extends TSchema>(r: BodyRoute<B>) => r as unknown as BodyRoute<TSchema>
const done = async (work: Promise<void>) => {
  await work
  return SUCCESS
}

const ROUTES: readonly BodyRoute<TSchema>[] = [
  route({
    method: 'POST',
    path: '',
    action: 'proxy.write',
    operationId: 'createApiProxyEndpoint',
    summary: 'Add an endpoint to a REST proxy (name and httpMethod unique in the proxy)',
    body: s.CreateEndpointBody,
    answer: SuccessBody,
    run: (d, p, ref, body) => done(service.createEndpoint(d, p, ref, body)),
  }),
  route({
    method: 'PATCH',
    path: '',
    action: 'proxy.write',
    operationId: 'updateApiProxyEndpoint',
    summary: 'Change the description or backend of the endpoint name and httpMethod find',
    body: s.UpdateEndpointBody,
    answer: SuccessBody,
    run: (d, p, ref, body) => done(service.updateEndpoint(d, p, ref, body)),
  }),
  route({
    method: 'POST',
    path: 'details/',
    action: 'endpoint.read',
    operationId: 'getApiProxyEndpoint',
    summary: 'One endpoint, found by name and httpMethod (ROLE_MANAGE_PROXIES)',
    body: s.EndpointKeyBody,
    answer: s.EndpointSchema,
    run: (d, p, ref, body) => service.getEndpoint(d, p, ref, body),
  }),
  route({
    method: 'POST',
    path: 'delete/',
    action: 'proxy.write',
    operationId: 'deleteApiProxyEndpoint',
    summary: 'Delete an endpoint of a REST proxy',
    body: s.EndpointKeyBody,
    answer: SuccessBody,
    run: (d, p, ref, body) => done(service.deleteEndpoint(d, p, ref, body)),
  }),
  route({
    method: 'PATCH',
    path: 'status/',
    action: 'proxy.write',
    operationId: 'updateApiProxyEndpointStatus',
    summary: 'Enable or disable an endpoint',
    body: s.EndpointStatusBody,
    answer: SuccessBody,
    run: (d, p, ref, body) => done(service.setEndpointStatus(d, p, ref, body)),
  }),
  route({
    method: 'PATCH',
    path: 'cache/',
    action: 'proxy.write',
    operationId: 'updateApiProxyEndpointCache',
    summary: "An endpoint's response cache settings (override the proxy's)",
    body: s.EndpointCacheBody,
    answer: SuccessBody,
    run: (d, p, ref, body) => done(service.setEndpointCache(d, p, ref, body)),
  }),
  route({
    method: 'PATCH',
    path: 'wsa/',
    action: 'proxy.write',
    operationId: 'updateApiProxyEndpointWsa',
    summary: "A SOAP endpoint's WS-Addressing settings",
    body: s.EndpointWsaBody,
    answer: SuccessBody,
    run: (d, p, ref, body) => done(service.setEndpointWsa(d, p, ref, body)),
  }),
  route({
    method: 'POST',
    path: 'policies/',
    action: 'endpoint.read',
    operationId: 'listApiProxyEndpointPolicies',
    summary: 'One endpoint with its request, response and error policies',
    body: s.EndpointKeyBody,
    answer: s.EndpointPoliciesSchema,
    run: (d, p, ref, body) => service.endpointPolicies(d, p, ref, body),
  }),
]

function bodyRoute(app: RouteApp, deps: service.EndpointsDeps, r: BodyRoute<TSchema>): void {
  app.route({
    method: r.method,
    url: `${base}/${r.path}`,
    config: { action: r.action },
    schema: {
      operationId: r.operationId,
      tags,
      summary: r.summary,
      params: ProxyParams,
      body: r.body,
      response: { 200: r.answer, ...errorResponses(400, 401, 403, 404, 409) },
    },
    handler: async (request) =>
      r.run(
        r.action === 'endpoint.read' ? deps : audited(request, deps),
        principalOf(request),
        request.params as Static<typeof ProxyParams>,
        request.body,
      ),
  })
}

function listRoute(app: RouteApp, deps: service.EndpointsDeps): void {
  app.get(
    `${base}/`,
    {
      config: { action: 'endpoint.read' },
      schema: {
        operationId: 'listApiProxyEndpoints',
        tags,
        summary: "A proxy's endpoints, spec-made and hand-made, in order (ROLE_MANAGE_PROXIES)",
        params: ProxyParams,
        querystring: ListQuery,
        response: { 200: s.EndpointListBody, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) =>
      service.listEndpoints(deps, principalOf(request), request.params, request.query),
  )
}

export const proxyEndpointsRoutes: FastifyPluginAsyncTypebox<EndpointsRouteOptions> = async (
  app,
  { deps },
) => {
  listRoute(app, deps)
  for (const r of ROUTES) bodyRoute(app, deps, r)
}
