import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { audited } from '../../audit/audit.hook.ts'
import { SUCCESS } from '../../http/lists.ts'
import type { RouteApp } from '../../http/route-app.ts'
import { errorResponses, ListBody, ListQuery } from '../../http/schemas.ts'
import { principalOf } from '../../identity/bearer/auth.hook.ts'
import { checkJwkScope } from './environment-entries.ts'
import {
  KeyBody,
  KeyParams,
  KeySchema,
  KeyWriteBody,
  OneKeyBody,
  ProjectParams,
  UpdateQuery,
} from './keys.schemas.ts'
import * as service from './keys.service.ts'

/*
 * Keys (the documented CryptoKeyInfo): an RSA or EC key per environment, public half,
 * private half or both, read with node:crypto (keys.material.ts). Choices:
 * - Private keys are sealed with AES-256-GCM bound to the key, environment and column;
 *   reads answer the mask in their place (the docs would answer them: not here), and
 *   the mask sent back on update keeps the stored one.
 * - Writes answer the documented deploymentResult for the entries' environments.
 * - As documented, reads need ROLE_API_SECURITY and writes also
 *   ROLE_DEPLOY_UNDEPLOY_PROXIES; a project the caller cannot see is a 404.
 */

const tags = ['keys']
const read = { action: 'keyMaterial.read' as const }
const write = { action: 'keyMaterial.write' as const }
const base = '/apiops/projects/:projectName/keys'

interface Options {
  deps: service.KeysDeps
}

export const keysRoutes: FastifyPluginAsyncTypebox<Options> = async (app, options) => {
  listRoute(app, options)
  getRoute(app, options)
  createRoute(app, options)
  updateRoute(app, options)
  deleteRoute(app, options)
}

function listRoute(app: RouteApp, { deps }: Options): void {
  app.get(
    `${base}/`,
    {
      config: read,
      schema: {
        operationId: 'listKeys',
        tags,
        summary: "A project's keys, private keys masked (ROLE_API_SECURITY)",
        params: ProjectParams,
        querystring: ListQuery,
        response: { 200: ListBody(KeySchema), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) =>
      service.listKeys(deps, principalOf(request), request.params.projectName, request.query),
  )
}

function getRoute(app: RouteApp, { deps }: Options): void {
  app.get(
    `${base}/:keyName/`,
    {
      config: read,
      schema: {
        operationId: 'getKey',
        tags,
        summary: 'One key, its private keys masked (ROLE_API_SECURITY)',
        params: KeyParams,
        response: { 200: OneKeyBody, ...errorResponses(401, 403, 404) },
      },
    },
    async (request) => ({
      ...SUCCESS,
      resultList: [
        await service.getKey(
          deps,
          principalOf(request),
          request.params.projectName,
          request.params.keyName,
        ),
      ],
    }),
  )
}

function createRoute(app: RouteApp, { deps }: Options): void {
  app.post(
    `${base}/`,
    {
      config: write,
      schema: {
        operationId: 'createKey',
        tags,
        summary: 'Create a key (ROLE_API_SECURITY and ROLE_DEPLOY_UNDEPLOY_PROXIES)',
        params: ProjectParams,
        body: KeyBody,
        response: { 200: KeyWriteBody, ...errorResponses(400, 401, 403, 404, 409, 415) },
      },
    },
    async (request) => ({
      ...SUCCESS,
      deploymentResult: await service.createKey(
        audited(request, deps),
        principalOf(request),
        request.params.projectName,
        request.body,
      ),
    }),
  )
}

function updateRoute(app: RouteApp, { deps }: Options): void {
  app.put(
    `${base}/:keyName/`,
    {
      config: write,
      schema: {
        operationId: 'updateKey',
        tags,
        summary:
          'Replace a key; "********" keeps a stored private key (ROLE_API_SECURITY and ROLE_DEPLOY_UNDEPLOY_PROXIES)',
        params: KeyParams,
        querystring: UpdateQuery,
        body: KeyBody,
        response: { 200: KeyWriteBody, ...errorResponses(400, 401, 403, 404, 409, 415) },
      },
    },
    async (request) => {
      checkJwkScope(request.query)
      return {
        ...SUCCESS,
        deploymentResult: await service.updateKey(
          audited(request, deps),
          principalOf(request),
          request.params.projectName,
          request.params.keyName,
          request.body,
        ),
      }
    },
  )
}

function deleteRoute(app: RouteApp, { deps }: Options): void {
  app.delete(
    `${base}/:keyName/`,
    {
      config: write,
      schema: {
        operationId: 'deleteKey',
        tags,
        summary: 'Delete a key (ROLE_API_SECURITY and ROLE_DEPLOY_UNDEPLOY_PROXIES)',
        params: KeyParams,
        response: { 200: KeyWriteBody, ...errorResponses(401, 403, 404) },
      },
    },
    async (request) => ({
      ...SUCCESS,
      deploymentResult: await service.deleteKey(
        audited(request, deps),
        principalOf(request),
        request.params.projectName,
        request.params.keyName,
      ),
    }),
  )
}
