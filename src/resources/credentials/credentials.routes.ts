import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { audited } from '../../audit/audit.hook.ts'
import { SUCCESS } from '../../http/lists.ts'
import type { RouteApp } from '../../http/route-app.ts'
import { errorResponses, ListBody, ListQuery } from '../../http/schemas.ts'
import { principalOf } from '../../identity/bearer/auth.hook.ts'
import { credentialAccessRoutes } from './credentials.access.routes.ts'
import {
  ChangePasswordBody,
  CreateCredentialBody,
  CredentialDeleteSchema,
  CredentialParams,
  CredentialSchema,
  CredentialWriteSchema,
  ProjectParams,
  UpdateCredentialBody,
  UpdateNamedCredentialBody,
} from './credentials.schemas.ts'
import * as service from './credentials.service.ts'

/*
 * Credentials: the API consumers a project's gateway lets in. Choices a reader should
 * know:
 * - The password is sealed with AES-256-GCM bound to the row (not hashed: the gateway
 *   must be able to use it, e.g. for digest or WS-Security), never answered, and always
 *   read as the mask. PATCH on the credential changes only it; an update with a
 *   password other than the mask sets it too (the docs' update body carries one), and
 *   the mask back unchanged keeps it, so a client can PUT what it read.
 * - PUT replaces every other field; the username cannot change (no renames).
 * - ipList entries are addresses or CIDR ranges with no host bits set, stored in
 *   canonical form (src/ip-entries.ts). A past expireDate is stored (the docs' example
 *   is one) and `expired` reports it on read.
 * - Writes answer the documented deploymentResult: stored once, a credential is in
 *   effect in every environment of the project at once.
 * - Reads need membership of the project; writes need ROLE_API_SECURITY (route config),
 *   and a project the caller cannot see is a 404 either way.
 */

const tags = ['credentials']
const write = { action: 'security.write' as const }
const base = '/apiops/projects/:projectName/credentials'

interface CredentialsRouteOptions {
  deps: service.CredentialsDeps
}

export const credentialsRoutes: FastifyPluginAsyncTypebox<CredentialsRouteOptions> = async (
  app,
  options,
) => {
  listCredentialsRoute(app, options)
  createCredentialRoute(app, options)
  getCredentialRoute(app, options)
  updateCredentialRoutes(app, options)
  changeCredentialPasswordRoutes(app, options)
  deleteCredentialRoute(app, options)
  credentialAccessRoutes(app, options)
}

function listCredentialsRoute(app: RouteApp, { deps }: CredentialsRouteOptions): void {
  app.get(
    `${base}/`,
    {
      schema: {
        operationId: 'listCredentials',
        tags,
        summary: "A project's credentials, passwords masked (members)",
        params: ProjectParams,
        querystring: ListQuery,
        response: { 200: ListBody(CredentialSchema), ...errorResponses(400, 401, 404) },
      },
    },
    async (request) =>
      service.listCredentials(
        deps,
        principalOf(request),
        request.params.projectName,
        request.query,
      ),
  )
}

function createCredentialRoute(app: RouteApp, { deps }: CredentialsRouteOptions): void {
  app.post(
    `${base}/`,
    {
      config: write,
      schema: {
        operationId: 'createCredential',
        tags,
        summary:
          'Create a credential; in effect in every environment of the project (ROLE_API_SECURITY)',
        params: ProjectParams,
        body: CreateCredentialBody,
        response: {
          200: CredentialWriteSchema,
          ...errorResponses(400, 401, 403, 404, 409, 415),
        },
      },
    },
    async (request) => ({
      ...SUCCESS,
      ...(await service.createCredential(
        audited(request, deps),
        principalOf(request),
        request.params.projectName,
        request.body,
      )),
    }),
  )
}

function getCredentialRoute(app: RouteApp, { deps }: CredentialsRouteOptions): void {
  app.get(
    `${base}/:username/`,
    {
      schema: {
        operationId: 'getCredential',
        tags,
        summary: 'One credential, its password masked (members)',
        params: CredentialParams,
        response: { 200: CredentialSchema, ...errorResponses(401, 404) },
      },
    },
    async (request) =>
      service.getCredential(
        deps,
        principalOf(request),
        request.params.projectName,
        request.params.username,
      ),
  )
}

/** The documented update (PUT on the collection, the username in the body) and the older PUT on the credential's path. */
function updateCredentialRoutes(app: RouteApp, { deps }: CredentialsRouteOptions): void {
  const schema = {
    tags,
    response: { 200: CredentialWriteSchema, ...errorResponses(400, 401, 403, 404, 415) },
  }
  const summary =
    'Replace a credential; the username cannot change; a password other than the mask is a new password (ROLE_API_SECURITY)'
  app.put(
    `${base}/`,
    {
      config: write,
      schema: {
        ...schema,
        operationId: 'updateCredential',
        summary,
        params: ProjectParams,
        body: UpdateNamedCredentialBody,
      },
    },
    async (request) => ({
      ...SUCCESS,
      ...(await service.updateCredential(
        audited(request, deps),
        principalOf(request),
        request.params.projectName,
        request.body.username,
        request.body,
      )),
    }),
  )
  app.put(
    `${base}/:username/`,
    {
      config: write,
      schema: {
        ...schema,
        operationId: 'updateCredentialByPath',
        summary: `${summary}; the same as PUT on the collection, the credential named by the path`,
        params: CredentialParams,
        body: UpdateCredentialBody,
      },
    },
    async (request) => ({
      ...SUCCESS,
      ...(await service.updateCredential(
        audited(request, deps),
        principalOf(request),
        request.params.projectName,
        request.params.username,
        request.body,
      )),
    }),
  )
}

/** The documented PATCH on the credential, and the older PUT .../password/. */
function changeCredentialPasswordRoutes(app: RouteApp, { deps }: CredentialsRouteOptions): void {
  for (const [method, url, operationId] of [
    ['PATCH', `${base}/:username/`, 'changeCredentialPassword'],
    ['PUT', `${base}/:username/password/`, 'changeCredentialPasswordByPath'],
  ] as const) {
    app.route({
      method,
      url,
      config: write,
      schema: {
        operationId,
        tags,
        summary: "Change a credential's password; nothing else changes (ROLE_API_SECURITY)",
        params: CredentialParams,
        body: ChangePasswordBody,
        response: { 200: CredentialWriteSchema, ...errorResponses(400, 401, 403, 404, 415) },
      },
      handler: async (request) => ({
        ...SUCCESS,
        ...(await service.changeCredentialPassword(
          audited(request, deps),
          principalOf(request),
          request.params.projectName,
          request.params.username,
          request.body.password,
        )),
      }),
    })
  }
}

function deleteCredentialRoute(app: RouteApp, { deps }: CredentialsRouteOptions): void {
  app.delete(
    `${base}/:username/`,
    {
      config: write,
      schema: {
        operationId: 'deleteCredential',
        tags,
        summary: 'Delete a credential and its access grants (ROLE_API_SECURITY)',
        params: CredentialParams,
        response: { 200: CredentialDeleteSchema, ...errorResponses(401, 403, 404) },
      },
    },
    async (request) => ({
      ...SUCCESS,
      deploymentResult: await service.deleteCredential(
        audited(request, deps),
        principalOf(request),
        request.params.projectName,
        request.params.username,
      ),
    }),
  )
}
