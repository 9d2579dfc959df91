import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { SUCCESS } from '../../http/lists.ts'
import type { RouteApp } from '../../http/route-app.ts'
import { errorResponses, ListBody, ListQuery, SuccessBody } from '../../http/schemas.ts'
import { principalOf } from '../../identity/bearer/auth.hook.ts'
import {
  ChangePasswordBody,
  CreateCredentialBody,
  CredentialParams,
  CredentialSchema,
  ProjectParams,
  UpdateCredentialBody,
} from './credentials.schemas.ts'
import * as service from './credentials.service.ts'

/*
 * Credentials: the API consumers a project's gateway lets in. Choices a reader should
 * know:
 * - The password is sealed with AES-256-GCM bound to the row (not hashed: the gateway
 *   must be able to use it, e.g. for digest or WS-Security), never answered, and always
 *   read as the mask. It changes only through PUT .../password/; the update body takes
 *   the mask back unchanged, so a client can PUT what it read.
 * - PUT replaces every other field; the username comes from the path (no renames).
 * - ipList entries are addresses or CIDR ranges with no host bits set (10.0.0.1/8 is a
 *   400 that suggests 10.0.0.0/8). An expireDate in the past is a 400, judged with the
 *   server's clock, except the one already stored; `expired` reports it on read.
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
  updateCredentialRoute(app, options)
  changeCredentialPasswordRoute(app, options)
  deleteCredentialRoute(app, options)
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
        summary: 'Create a credential (ROLE_API_SECURITY)',
        params: ProjectParams,
        body: CreateCredentialBody,
        response: { 201: CredentialSchema, ...errorResponses(400, 401, 403, 404, 409, 415) },
      },
    },
    async (request, reply) =>
      reply
        .code(201)
        .send(
          await service.createCredential(
            deps,
            principalOf(request),
            request.params.projectName,
            request.body,
          ),
        ),
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

function updateCredentialRoute(app: RouteApp, { deps }: CredentialsRouteOptions): void {
  app.put(
    `${base}/:username/`,
    {
      config: write,
      schema: {
        operationId: 'updateCredential',
        tags,
        summary: 'Replace everything but the password (ROLE_API_SECURITY)',
        params: CredentialParams,
        body: UpdateCredentialBody,
        response: { 200: CredentialSchema, ...errorResponses(400, 401, 403, 404, 415) },
      },
    },
    async (request) =>
      service.updateCredential(
        deps,
        principalOf(request),
        request.params.projectName,
        request.params.username,
        request.body,
      ),
  )
}

function changeCredentialPasswordRoute(app: RouteApp, { deps }: CredentialsRouteOptions): void {
  app.put(
    `${base}/:username/password/`,
    {
      config: write,
      schema: {
        operationId: 'changeCredentialPassword',
        tags,
        summary: "Change a credential's password (ROLE_API_SECURITY)",
        params: CredentialParams,
        body: ChangePasswordBody,
        response: { 200: CredentialSchema, ...errorResponses(400, 401, 403, 404, 415) },
      },
    },
    async (request) =>
      service.changeCredentialPassword(
        deps,
        principalOf(request),
        request.params.projectName,
        request.params.username,
        request.body.password,
      ),
  )
}

function deleteCredentialRoute(app: RouteApp, { deps }: CredentialsRouteOptions): void {
  app.delete(
    `${base}/:username/`,
    {
      config: write,
      schema: {
        operationId: 'deleteCredential',
        tags,
        summary: 'Delete a credential (ROLE_API_SECURITY)',
        params: CredentialParams,
        response: { 200: SuccessBody, ...errorResponses(401, 403, 404) },
      },
    },
    async (request) => {
      await service.deleteCredential(
        deps,
        principalOf(request),
        request.params.projectName,
        request.params.username,
      )
      return SUCCESS
    },
  )
}
