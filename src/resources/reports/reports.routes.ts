import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { errorResponses } from '../../http/schemas.ts'
import { principalOf } from '../../identity/bearer/auth.hook.ts'
import {
  AccessReportBody,
  ApiProxiesReportBody,
  ApiProxiesReportQuery,
  ProxyTrafficBody,
  ProxyTrafficParams,
  ProxyTrafficQuery,
  TrafficReportBody,
  TrafficReportQuery,
} from './reports.schemas.ts'
import * as service from './reports.service.ts'

/*
 * The documented reports (api-proxies, organization-api-data-model-access: administrators,
 * as the docs say "sysAdmin or sysAnalyzer" and apiops has no analyzer role), and two
 * reports of the gateways' traffic: everyone's (administrators) and one proxy's per
 * environment (members of its project, like reading the proxy).
 */

const tags = ['reports']
const admin = { action: 'administer' as const }

export const reportsRoutes: FastifyPluginAsyncTypebox<{ deps: service.ReportsDeps }> = async (
  app,
  { deps },
) => {
  app.get(
    '/apiops/reports/api-proxies',
    {
      config: admin,
      schema: {
        operationId: 'reportApiProxies',
        tags,
        summary: 'Every API proxy and proxy group, with their endpoints on request (ROLE_ADMIN)',
        querystring: ApiProxiesReportQuery,
        response: { 200: ApiProxiesReportBody, ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => service.apiProxiesReport(deps, request.query),
  )
  app.get(
    '/apiops/reports/organization-api-data-model-access',
    {
      config: admin,
      schema: {
        operationId: 'reportOrganizationAccess',
        tags,
        summary:
          'API proxies shared EXTERNAL or BOTH and the credentials granted access (ROLE_ADMIN)',
        response: { 200: AccessReportBody, ...errorResponses(401, 403) },
      },
    },
    async () => service.accessReport(deps),
  )
  app.get(
    '/apiops/reports/traffic',
    {
      config: admin,
      schema: {
        operationId: 'reportTraffic',
        tags,
        summary:
          "The gateways' traffic over a time range (default the last day, at most 31 days), grouped (ROLE_ADMIN)",
        querystring: TrafficReportQuery,
        response: { 200: TrafficReportBody, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => service.trafficReport(deps, request.query),
  )
  app.get(
    '/apiops/projects/:projectName/apiProxies/:apiProxyName/traffic/',
    {
      schema: {
        operationId: 'proxyTraffic',
        tags,
        summary:
          "One API proxy's traffic per environment: rates, error share, p95 (default the last 5 minutes; members of the project)",
        params: ProxyTrafficParams,
        querystring: ProxyTrafficQuery,
        response: { 200: ProxyTrafficBody, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) =>
      service.proxyTraffic(deps, principalOf(request), request.params, request.query),
  )
}
