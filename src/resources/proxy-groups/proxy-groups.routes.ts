import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { audited } from '../../audit/audit.hook.ts'
import { SUCCESS } from '../../http/lists.ts'
import { errorResponses, ListBody, ListQuery, SuccessBody } from '../../http/schemas.ts'
import { principalOf } from '../../identity/bearer/auth.hook.ts'
import * as deployment from './proxy-groups.deployment.ts'
import {
  GroupBody,
  GroupDeployAnswer,
  GroupDeployParams,
  GroupEnvironmentSchema,
  GroupParams,
  GroupSchema,
  GroupSummarySchema,
  GroupWriteResultSchema,
  MemberParams,
  MembershipResultSchema,
  ProjectParams,
} from './proxy-groups.schemas.ts'
import * as service from './proxy-groups.service.ts'

/*
 * API proxy groups, at the paths the Apinizer Management API documents: create and
 * update share the collection path with the group's name in the body, membership and
 * deployment hang below the group's name. Adding a member twice or removing a
 * non-member succeeds (as documented) and says so in `message`. Every route needs
 * ROLE_MANAGE_PROXY_GROUPS, reads included, as the docs say.
 */

export const proxyGroupsRoutes: FastifyPluginAsyncTypebox<{
  deps: service.ProxyGroupsDeps
}> = async (app, { deps }) => {
  const tags = ['api-proxy-groups']
  const base = '/apiops/projects/:projectName/apiProxyGroups'
  registerCollection(app, deps, base, tags)
  registerGroup(app, deps, base, tags)
  registerMembership(app, deps, base, tags)
  registerDeployment(app, deps, base, tags)
}

type App = Parameters<typeof proxyGroupsRoutes>[0]
const read = { action: 'group.read' as const }
const write = { action: 'group.write' as const }

/** List, create, and update (the docs put update on the collection, the name in the body). */
function registerCollection(
  app: App,
  deps: service.ProxyGroupsDeps,
  base: string,
  tags: string[],
): void {
  app.get(
    `${base}/`,
    {
      config: read,
      schema: {
        operationId: 'listApiProxyGroups',
        tags,
        summary: "A project's API proxy groups: id, name, description (ROLE_MANAGE_PROXY_GROUPS)",
        params: ProjectParams,
        querystring: ListQuery,
        response: { 200: ListBody(GroupSummarySchema), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) =>
      service.listGroups(deps, principalOf(request), request.params.projectName, request.query),
  )

  app.post(
    `${base}/`,
    {
      config: write,
      schema: {
        operationId: 'createApiProxyGroup',
        tags,
        summary: 'Create an API proxy group with its client route (ROLE_MANAGE_PROXY_GROUPS)',
        params: ProjectParams,
        body: GroupBody,
        response: { 200: GroupWriteResultSchema, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => ({
      ...SUCCESS,
      apiProxyGroup: await service.createGroup(
        audited(request, deps),
        principalOf(request),
        request.params.projectName,
        request.body,
      ),
    }),
  )

  app.put(
    `${base}/`,
    {
      config: write,
      schema: {
        operationId: 'updateApiProxyGroup',
        tags,
        summary:
          'Replace the group named in the body (the name cannot change); deployed environments then need a redeploy',
        params: ProjectParams,
        body: GroupBody,
        response: { 200: GroupWriteResultSchema, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => ({
      ...SUCCESS,
      apiProxyGroup: await service.updateGroup(
        audited(request, deps),
        principalOf(request),
        request.params.projectName,
        request.body,
      ),
    }),
  )
}

function registerGroup(
  app: App,
  deps: service.ProxyGroupsDeps,
  base: string,
  tags: string[],
): void {
  app.get(
    `${base}/:apiProxyGroupName/`,
    {
      config: read,
      schema: {
        operationId: 'getApiProxyGroup',
        tags,
        summary:
          'A group: client route, member proxies, deployment per environment (an apiops addition to the documented API)',
        params: GroupParams,
        response: { 200: GroupSchema, ...errorResponses(401, 403, 404) },
      },
    },
    async (request) =>
      service.getGroup(
        deps,
        principalOf(request),
        request.params.projectName,
        request.params.apiProxyGroupName,
      ),
  )

  app.delete(
    `${base}/:apiProxyGroupName/`,
    {
      config: write,
      schema: {
        operationId: 'deleteApiProxyGroup',
        tags,
        summary: 'Delete a group; its proxies stay, deployed where they were',
        params: GroupParams,
        response: { 200: SuccessBody, ...errorResponses(401, 403, 404) },
      },
    },
    async (request) => {
      await service.deleteGroup(
        audited(request, deps),
        principalOf(request),
        request.params.projectName,
        request.params.apiProxyGroupName,
      )
      return SUCCESS
    },
  )
}

function registerMembership(
  app: App,
  deps: service.ProxyGroupsDeps,
  base: string,
  tags: string[],
): void {
  const url = `${base}/:apiProxyGroupName/apiProxies/:apiProxyName/`
  const config = { action: 'group.members' as const }
  const response = { 200: MembershipResultSchema, ...errorResponses(401, 403, 404) }
  app.post(
    url,
    {
      config,
      schema: {
        operationId: 'addApiProxyToGroup',
        tags,
        summary:
          'Make a proxy of the same project a member (already a member: success, nothing changes)',
        params: MemberParams,
        response,
      },
    },
    async (request) => ({
      ...SUCCESS,
      ...(await service.addMember(audited(request, deps), principalOf(request), request.params)),
    }),
  )
  app.delete(
    url,
    {
      config,
      schema: {
        operationId: 'removeApiProxyFromGroup',
        tags,
        summary:
          'Remove a proxy from the group; the proxy stays (not a member: success, nothing changes)',
        params: MemberParams,
        response,
      },
    },
    async (request) => ({
      ...SUCCESS,
      ...(await service.removeMember(audited(request, deps), principalOf(request), request.params)),
    }),
  )
}

function registerDeployment(
  app: App,
  deps: service.ProxyGroupsDeps,
  base: string,
  tags: string[],
): void {
  app.get(
    `${base}/:apiProxyGroupName/environments/`,
    {
      config: { action: 'group.read' },
      schema: {
        operationId: 'listApiProxyGroupEnvironments',
        tags,
        summary:
          'Every environment the project may use (and any the group is still deployed to), with whether the group is deployed there',
        params: GroupParams,
        querystring: ListQuery,
        response: { 200: ListBody(GroupEnvironmentSchema), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) =>
      deployment.listGroupEnvironments(deps, principalOf(request), request.params, request.query),
  )
  const url = `${base}/:apiProxyGroupName/environments/:environmentName/`
  const config = { action: 'group.deploy' as const }
  const response = { 200: GroupDeployAnswer, ...errorResponses(400, 401, 403, 404, 409, 500) }
  app.post(
    url,
    {
      config,
      schema: {
        operationId: 'deployApiProxyGroup',
        tags,
        summary:
          'Deploy the group and every member to an environment, all or nothing (redeploys what is already there)',
        params: GroupDeployParams,
        response,
      },
    },
    async (request) => ({
      ...SUCCESS,
      deploymentResult: await deployment.deployGroup(
        audited(request, deps),
        principalOf(request),
        request.params,
      ),
    }),
  )
  app.delete(
    url,
    {
      config,
      schema: {
        operationId: 'undeployApiProxyGroup',
        tags,
        summary: 'Undeploy the group and every member from an environment, all or nothing',
        params: GroupDeployParams,
        response,
      },
    },
    async (request) => ({
      ...SUCCESS,
      deploymentResult: await deployment.undeployGroup(
        audited(request, deps),
        principalOf(request),
        request.params,
      ),
    }),
  )
}
