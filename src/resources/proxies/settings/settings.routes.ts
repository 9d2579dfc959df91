import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { Static, TSchema } from 'typebox'
import { audited } from '../../../audit/audit.hook.ts'
import { SUCCESS } from '../../../http/lists.ts'
import type { RouteApp } from '../../../http/route-app.ts'
import { errorResponses, SuccessBody } from '../../../http/schemas.ts'
import { principalOf } from '../../../identity/bearer/auth.hook.ts'
import { ProxyParams } from '../proxies.schemas.ts'
import * as edits from './settings.edits.ts'
import * as s from './settings.schemas.ts'
import { type Edit, editProxy, type SettingsDeps } from './settings.store.ts'

/*
 * The 17 documented settings of an API proxy, each its own PATCH under
 * `.../apiProxies/{name}/settings/`, answering {success: true} (plus apiops' `status`).
 * Each changes only the fields its body names, and bumps the proxy's revision.
 */

interface SettingsRouteOptions {
  deps: SettingsDeps
}

const tags = ['api-proxy-settings']
const base = '/apiops/projects/:projectName/apiProxies/:apiProxyName/settings'

interface SettingRoute<B extends TSchema> {
  path: string
  operationId: string
  summary: string
  body: B
  edit: (body: Static<B>, deps: SettingsDeps) => Edit
}

/** One documented setting: a PATCH whose body becomes one Edit of the proxy. */
function patchSetting<B extends TSchema>(
  app: RouteApp,
  deps: SettingsDeps,
  route: SettingRoute<B>,
): void {
  app.patch(
    `${base}/${route.path}/`,
    {
      config: { action: 'proxy.write' },
      schema: {
        operationId: route.operationId,
        tags,
        summary: route.summary,
        params: ProxyParams,
        body: route.body,
        response: { 200: SuccessBody, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const params = request.params as Static<typeof ProxyParams>
      await editProxy(
        audited(request, deps),
        principalOf(request),
        params,
        route.path,
        route.edit(request.body as Static<B>, deps),
      )
      return SUCCESS
    },
  )
}

/** Keeps each entry's body type for its own edit, then forgets it for the table. */
function setting<B extends TSchema>(route: SettingRoute<B>): SettingRoute<TSchema> {
  return route as unknown as SettingRoute<TSchema>
}

/** Every setting but hide-spec-file (a path parameter, no body), in the docs' order. */
const SETTINGS: readonly SettingRoute<TSchema>[] = [
  setting({
    path: 'client-route',
    operationId: 'updateApiProxyClientRoute',
    summary: 'Client route: paths, methods, hosts, headers to match; request/response buffering',
    body: s.ClientRouteBody,
    edit: (body) => edits.clientRoute(body),
  }),
  setting({
    path: 'addresses',
    operationId: 'updateApiProxyRoutingAddresses',
    summary:
      'Replace the backend addresses (http(s) URLs, or starting with an environment variable reference)',
    body: s.AddressesBody,
    edit: (body) => edits.addresses(body),
  }),
  setting({
    path: 'routing-status',
    operationId: 'updateApiProxyRoutingStatus',
    summary: 'Turn routing to the backend and request mirroring on or off',
    body: s.RoutingStatusBody,
    edit: (body) => edits.routingStatus(body),
  }),
  setting({
    path: 'metadata',
    operationId: 'updateApiProxyMetadata',
    summary: 'Rename, describe, categorise, set the sharing type',
    body: s.MetadataBody,
    edit: (body) => edits.metadata(body),
  }),
  setting({
    path: 'keys',
    operationId: 'updateApiProxyKeys',
    summary: 'Public and secret key (the secret is sealed at rest and read back masked)',
    body: s.ApiKeysBody,
    edit: (body, d) => edits.apiKeys(d.atRestKey, body),
  }),
  setting({
    path: 'cache',
    operationId: 'updateApiProxyCacheSettings',
    summary: 'Response cache',
    body: s.CacheBody,
    edit: (body) => edits.cache(body),
  }),
  setting({
    path: 'circuit-breaker',
    operationId: 'updateApiProxyCircuitBreakerSettings',
    summary: 'Circuit breaker',
    body: s.CircuitBreakerBody,
    edit: (body) => edits.circuitBreaker(body),
  }),
  setting({
    path: 'connection',
    operationId: 'updateApiProxyConnectionSettings',
    summary: 'Backend connection: timeouts (seconds), retries, redirects, connection pool',
    body: s.ConnectionBody,
    edit: (body) => edits.connection(body),
  }),
  setting({
    path: 'cors',
    operationId: 'updateApiProxyCorsSettings',
    summary: 'CORS',
    body: s.CorsBody,
    edit: (body) => edits.cors(body),
  }),
  setting({
    path: 'forwarded-ip-header',
    operationId: 'updateApiProxyForwardedIpHeader',
    summary: 'Which header, and which of its addresses, is the client IP',
    body: s.ForwardedIpHeaderBody,
    edit: (body) => edits.plain('forwardedIpHeader', body),
  }),
  setting({
    path: 'json-error-template',
    operationId: 'updateApiProxyJsonErrorTemplate',
    summary: 'JSON error answer template (#CORRELATIONID#, #FAULTCODE#, ... placeholders)',
    body: s.JsonErrorTemplateBody,
    edit: (body) => edits.plain('jsonErrorTemplate', body),
  }),
  setting({
    path: 'xml-error-template',
    operationId: 'updateApiProxyXmlErrorTemplate',
    summary: 'XML error answer template (#CORRELATIONID#, #FAULTCODE#, ... placeholders)',
    body: s.XmlErrorTemplateBody,
    edit: (body) => edits.plain('xmlErrorTemplate', body),
  }),
  setting({
    path: 'mtls',
    operationId: 'updateApiProxyMtlsSettings',
    summary: 'Mutual TLS towards the backend: key store, trust store, protocols, hostname check',
    body: s.MtlsBody,
    edit: (body) => edits.mtls(body),
  }),
  setting({
    path: 'ntlm',
    operationId: 'updateApiProxyNtlmSettings',
    summary: 'NTLM towards the backend (the password is sealed at rest and read back masked)',
    body: s.NtlmBody,
    edit: (body, d) => edits.ntlm(d.atRestKey, body),
  }),
  setting({
    path: 'proxy-server',
    operationId: 'updateApiProxyProxyServerSettings',
    summary: 'Outbound proxy server (the password is sealed at rest and read back masked)',
    body: s.ProxyServerBody,
    edit: (body, d) => edits.proxyServer(d.atRestKey, body),
  }),
  setting({
    path: 'traffic-log',
    operationId: 'updateApiProxyTrafficLogSettings',
    summary: 'Traffic log: trace and application log, what is logged per environment',
    body: s.TrafficLogBody,
    edit: (body) => edits.trafficLog(body),
  }),
]

export const proxySettingsRoutes: FastifyPluginAsyncTypebox<SettingsRouteOptions> = async (
  app,
  { deps },
) => {
  for (const route of SETTINGS) patchSetting(app, deps, route)
  updateHideSpecFileRoute(app, deps)
}

function updateHideSpecFileRoute(app: RouteApp, deps: SettingsDeps): void {
  app.patch(
    `${base}/hide-spec-file/:hideSpecFile/`,
    {
      config: { action: 'proxy.write' },
      schema: {
        operationId: 'updateApiProxyHideSpecFile',
        tags,
        summary: 'Hide (true) or show (false) the API definition file; no body',
        params: s.HideSpecFileParams,
        response: { 200: SuccessBody, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const { hideSpecFile, ...params } = request.params
      await editProxy(
        audited(request, deps),
        principalOf(request),
        params,
        'hide-spec-file',
        edits.hideSpecFile(hideSpecFile),
      )
      return SUCCESS
    },
  )
}
