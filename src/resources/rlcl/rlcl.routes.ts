import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { audited } from '../../audit/audit.hook.ts'
import { SUCCESS } from '../../http/lists.ts'
import type { RouteApp } from '../../http/route-app.ts'
import { errorResponses, ListBody, ListQuery, SuccessBody } from '../../http/schemas.ts'
import { principalOf } from '../../identity/bearer/auth.hook.ts'
import * as members from './rlcl.members.ts'
import * as s from './rlcl.schemas.ts'
import * as service from './rlcl.service.ts'

/*
 * RLCLs at the documented paths (/apiops/projects/{p}/rlcl/...): the list itself, its
 * credentials, its endpoint rate limits and its condition, plus a list and a read the
 * docs lack. Every route needs ROLE_MANAGE_PROXIES, reads included, as the docs say.
 */

const tags = ['rlcl']
const read = { action: 'rlcl.read' as const }
const write = { action: 'rlcl.write' as const }
const base = '/apiops/projects/:projectName/rlcl'
const writeErrors = errorResponses(400, 401, 403, 404, 409, 415)

type Options = { deps: service.RlclDeps }

export const rlclRoutes: FastifyPluginAsyncTypebox<Options> = async (app, { deps }) => {
  readRoutes(app, deps)
  crudRoutes(app, deps)
  for (const change of ['add', 'replace', 'remove'] as const) {
    credentialsRoute(app, deps, change)
    endpointsRoute(app, deps, change)
  }
  for (const change of ['add', 'update', 'delete'] as const) conditionRoute(app, deps, change)
}

function readRoutes(app: RouteApp, deps: service.RlclDeps): void {
  app.get(
    `${base}/`,
    {
      config: read,
      schema: {
        operationId: 'listRlcls',
        tags,
        summary: "A project's RLCLs with their settings (ROLE_MANAGE_PROXIES)",
        params: s.ProjectParams,
        querystring: ListQuery,
        response: { 200: ListBody(s.RlclSummarySchema), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) =>
      service.listRlcls(deps, principalOf(request), request.params.projectName, request.query),
  )
  app.get(
    `${base}/:rlclName/`,
    {
      config: read,
      schema: {
        operationId: 'getRlcl',
        tags,
        summary:
          'An RLCL with its condition, credentials and endpoint rate limits (ROLE_MANAGE_PROXIES)',
        params: s.RlclParams,
        response: { 200: s.RlclAnswer, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => ({
      ...SUCCESS,
      rlcl: await service.getRlcl(
        deps,
        principalOf(request),
        request.params.projectName,
        request.params.rlclName,
      ),
    }),
  )
}

function crudRoutes(app: RouteApp, deps: service.RlclDeps): void {
  app.post(
    `${base}/`,
    {
      config: write,
      schema: {
        operationId: 'createRlcl',
        tags,
        summary: 'Create an RLCL, empty (ROLE_MANAGE_PROXIES)',
        params: s.ProjectParams,
        body: s.RlclBody,
        response: { 200: SuccessBody, ...writeErrors },
      },
    },
    async (request) => {
      await service.createRlcl(
        audited(request, deps),
        principalOf(request),
        request.params.projectName,
        request.body,
      )
      return SUCCESS
    },
  )
  app.put(
    `${base}/:rlclName/`,
    {
      config: write,
      schema: {
        operationId: 'updateRlcl',
        tags,
        summary:
          "Replace an RLCL's settings; the name, if sent, must be the path's; members stay (ROLE_MANAGE_PROXIES)",
        params: s.RlclParams,
        body: s.RlclUpdateBody,
        response: { 200: SuccessBody, ...writeErrors },
      },
    },
    async (request) => {
      const { projectName, rlclName } = request.params
      await service.updateRlcl(
        audited(request, deps),
        principalOf(request),
        projectName,
        rlclName,
        request.body,
      )
      return SUCCESS
    },
  )
  app.delete(
    `${base}/:rlclName/`,
    {
      config: write,
      schema: {
        operationId: 'deleteRlcl',
        tags,
        summary:
          'Delete an RLCL with its credentials, rate limits and condition (ROLE_MANAGE_PROXIES)',
        params: s.RlclParams,
        response: { 200: SuccessBody, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const { projectName, rlclName } = request.params
      await service.deleteRlcl(audited(request, deps), principalOf(request), projectName, rlclName)
      return SUCCESS
    },
  )
}

const METHOD = { add: 'POST', replace: 'PUT', remove: 'DELETE' } as const
const VERB = {
  add: 'Add (ones already there are skipped)',
  replace: 'Replace all of an RLCL’s',
  remove: 'Remove (ones not there are ignored)',
}

function credentialsRoute(
  app: RouteApp,
  deps: service.RlclDeps,
  change: members.MemberChange,
): void {
  app.route({
    method: METHOD[change],
    url: `${base}/:rlclName/credentials/`,
    config: write,
    schema: {
      operationId: `${change}RlclCredentials`,
      tags,
      summary: `${VERB[change]} credentials, by username (ROLE_MANAGE_PROXIES)`,
      params: s.RlclParams,
      body: change === 'replace' ? s.ReplaceCredentialsBody : s.CredentialNamesBody,
      response: { 200: s.MembersChangeSchema, ...writeErrors },
    },
    handler: async (request) =>
      members.changeCredentials(
        audited(request, deps),
        principalOf(request),
        request.params.projectName,
        request.params.rlclName,
        change,
        request.body.credentialNameList,
      ),
  })
}

function endpointsRoute(app: RouteApp, deps: service.RlclDeps, change: members.MemberChange): void {
  app.route({
    method: METHOD[change],
    url: `${base}/:rlclName/endpoints/`,
    config: write,
    schema: {
      operationId: `${change}RlclEndpoints`,
      tags,
      summary: `${VERB[change]} endpoint rate limits (a proxy's endpoint, or ALL of it) (ROLE_MANAGE_PROXIES)`,
      params: s.RlclParams,
      body: {
        add: s.EndpointsBody,
        replace: s.ReplaceEndpointsBody,
        remove: s.RemoveEndpointsBody,
      }[change],
      response: { 200: s.MembersChangeSchema, ...writeErrors },
    },
    handler: async (request) =>
      members.changeEndpoints(
        audited(request, deps),
        principalOf(request),
        request.params.projectName,
        request.params.rlclName,
        change,
        request.body.endpointRateLimitList,
      ),
  })
}

const CONDITION = {
  add: ['POST', 'Set the condition under which the RLCL applies; 409 if it has one'],
  update: ['PUT', "Replace the RLCL's condition"],
  delete: ['DELETE', "Remove the RLCL's condition (it then always applies)"],
} as const

function conditionRoute(
  app: RouteApp,
  deps: service.RlclDeps,
  change: service.ConditionChange,
): void {
  const [method, summary] = CONDITION[change]
  app.route({
    method,
    url: `${base}/:rlclName/condition/`,
    config: write,
    schema: {
      operationId: `${change}RlclCondition`,
      tags,
      summary: `${summary} (ROLE_MANAGE_PROXIES)`,
      params: s.RlclParams,
      ...(change === 'delete' ? {} : { body: s.ConditionBody }),
      response: { 200: SuccessBody, ...writeErrors },
    },
    handler: async (request) => {
      await service.changeCondition(
        audited(request, deps),
        principalOf(request),
        request.params.projectName,
        request.params.rlclName,
        change,
        request.body as { conditionRuleList?: unknown[] } | undefined,
      )
      return SUCCESS
    },
  })
}
