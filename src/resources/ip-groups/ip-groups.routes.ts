import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { audited } from '../../audit/audit.hook.ts'
import { SUCCESS } from '../../http/lists.ts'
import type { RouteApp } from '../../http/route-app.ts'
import { errorResponses, ListBody, ListQuery, SuccessBody } from '../../http/schemas.ts'
import { principalOf } from '../../identity/bearer/auth.hook.ts'
import {
  IpGroupAnswer,
  IpGroupBody,
  IpGroupParams,
  IpGroupSummarySchema,
  IpListBody,
  IpListChangeSchema,
  IpReplaceBody,
  ProjectParams,
} from './ip-groups.schemas.ts'
import * as service from './ip-groups.service.ts'

/*
 * IP groups at the paths the Apinizer Management API documents (create, update, delete,
 * and add / replace / remove addresses), plus a list and a read the docs lack, so that
 * what was written can be checked. Every route needs ROLE_MANAGE_PROXIES, as documented.
 * Writes answer the documented `success`; address changes also say how many entries
 * came and went and how many the group now holds.
 */

const tags = ['ip-groups']
const read = { action: 'ipGroup.read' as const }
const write = { action: 'ipGroup.write' as const }
const base = '/apiops/projects/:projectName/ipGroups'

interface Options {
  deps: service.IpGroupsDeps
}

export const ipGroupsRoutes: FastifyPluginAsyncTypebox<Options> = async (app, options) => {
  listRoute(app, options)
  getRoute(app, options)
  createRoute(app, options)
  updateRoute(app, options)
  deleteRoute(app, options)
  for (const change of ['add', 'replace', 'remove'] as const) entriesRoute(app, options, change)
}

function listRoute(app: RouteApp, { deps }: Options): void {
  app.get(
    `${base}/`,
    {
      config: read,
      schema: {
        operationId: 'listIpGroups',
        tags,
        summary: "A project's IP groups with how many entries each holds (ROLE_MANAGE_PROXIES)",
        params: ProjectParams,
        querystring: ListQuery,
        response: { 200: ListBody(IpGroupSummarySchema), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) =>
      service.listGroups(deps, principalOf(request), request.params.projectName, request.query),
  )
}

function getRoute(app: RouteApp, { deps }: Options): void {
  app.get(
    `${base}/:ipGroupName/`,
    {
      config: read,
      schema: {
        operationId: 'getIpGroup',
        tags,
        summary:
          'An IP group with its addresses and ranges, in canonical form (ROLE_MANAGE_PROXIES)',
        params: IpGroupParams,
        response: {
          200: IpGroupAnswer,
          ...errorResponses(400, 401, 403, 404),
        },
      },
    },
    async (request) => ({
      ...SUCCESS,
      ipGroup: await service.getGroup(
        deps,
        principalOf(request),
        request.params.projectName,
        request.params.ipGroupName,
      ),
    }),
  )
}

function createRoute(app: RouteApp, { deps }: Options): void {
  app.post(
    `${base}/`,
    {
      config: write,
      schema: {
        operationId: 'createIpGroup',
        tags,
        summary: 'Create an empty IP group (ROLE_MANAGE_PROXIES)',
        params: ProjectParams,
        body: IpGroupBody,
        response: { 200: SuccessBody, ...errorResponses(400, 401, 403, 404, 409, 415) },
      },
    },
    async (request) => {
      await service.createGroup(
        audited(request, deps),
        principalOf(request),
        request.params.projectName,
        request.body,
      )
      return SUCCESS
    },
  )
}

function updateRoute(app: RouteApp, { deps }: Options): void {
  app.put(
    `${base}/:ipGroupName/`,
    {
      config: write,
      schema: {
        operationId: 'updateIpGroup',
        tags,
        summary: "Change an IP group's description; the name in the body must be the path's",
        params: IpGroupParams,
        body: IpGroupBody,
        response: { 200: SuccessBody, ...errorResponses(400, 401, 403, 404, 415) },
      },
    },
    async (request) => {
      await service.updateGroup(
        audited(request, deps),
        principalOf(request),
        request.params.projectName,
        request.params.ipGroupName,
        request.body,
      )
      return SUCCESS
    },
  )
}

function deleteRoute(app: RouteApp, { deps }: Options): void {
  app.delete(
    `${base}/:ipGroupName/`,
    {
      config: write,
      schema: {
        operationId: 'deleteIpGroup',
        tags,
        summary:
          'Delete an IP group and its entries; refused (409) while a policy names it (ROLE_MANAGE_PROXIES)',
        params: IpGroupParams,
        response: { 200: SuccessBody, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      await service.deleteGroup(
        audited(request, deps),
        principalOf(request),
        request.params.projectName,
        request.params.ipGroupName,
      )
      return SUCCESS
    },
  )
}

const ENTRY_ROUTES = {
  add: {
    method: 'POST',
    operationId: 'addIpGroupEntries',
    summary: 'Add addresses or CIDR ranges (IPv4 or IPv6); ones already there are skipped',
    body: IpListBody,
  },
  replace: {
    method: 'PUT',
    operationId: 'replaceIpGroupEntries',
    summary: "Replace all of an IP group's entries with this list (empty: none)",
    body: IpReplaceBody,
  },
  remove: {
    method: 'DELETE',
    operationId: 'removeIpGroupEntries',
    summary: 'Remove these addresses or ranges; ones not in the group are ignored',
    body: IpListBody,
  },
} as const

function entriesRoute(app: RouteApp, { deps }: Options, change: service.EntriesChange): void {
  const route = ENTRY_ROUTES[change]
  app.route({
    method: route.method,
    url: `${base}/:ipGroupName/ips/`,
    config: write,
    schema: {
      operationId: route.operationId,
      tags,
      summary: `${route.summary} (ROLE_MANAGE_PROXIES)`,
      params: IpGroupParams,
      body: route.body,
      response: { 200: IpListChangeSchema, ...errorResponses(400, 401, 403, 404, 415) },
    },
    handler: async (request) =>
      service.changeEntries(
        audited(request, deps),
        principalOf(request),
        request.params.projectName,
        request.params.ipGroupName,
        change,
        request.body.ipList,
      ),
  })
}
