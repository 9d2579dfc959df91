import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { audited } from '../../audit/audit.hook.ts'
import { SUCCESS } from '../../http/lists.ts'
import type { RouteApp } from '../../http/route-app.ts'
import { errorResponses, ListBody, ListQuery } from '../../http/schemas.ts'
import { principalOf } from '../../identity/bearer/auth.hook.ts'
import { checkJwkScope } from '../keys/environment-entries.ts'
import { ProjectParams, UpdateQuery } from '../keys/keys.schemas.ts'
import {
  BODY_LIMIT,
  KeystoreBody,
  KeystoreParams,
  KeystoreSchema,
  KeystoreWriteBody,
  OneKeystoreBody,
} from './keystores.schemas.ts'
import * as service from './keystores.service.ts'

/*
 * Keystores: a PKCS#12 or JKS file per environment, sent base64 in JSON as documented,
 * with its password (a field the docs leave out; empty when absent). Choices:
 * - Each file is opened with its password in a worker thread (keystore.worker.ts,
 *   bounded in time and memory), never on the event loop; a wrong password or a
 *   corrupt file is a 400 naming the entry's file. Its entries (aliases, subjects,
 *   expiry) are kept and answered.
 * - File and password are sealed with AES-256-GCM bound to the keystore, environment
 *   and column, and read as the mask; the mask sent back as file keeps both.
 * - Writes answer the documented deploymentResult for the entries' environments.
 * - As documented, reads need ROLE_API_SECURITY and writes also
 *   ROLE_DEPLOY_UNDEPLOY_PROXIES; a project the caller cannot see is a 404.
 */

const tags = ['keystores']
const read = { action: 'keyMaterial.read' as const }
const write = { action: 'keyMaterial.write' as const }
const base = '/apiops/projects/:projectName/keystores'

interface Options {
  deps: service.KeystoresDeps
}

export const keystoresRoutes: FastifyPluginAsyncTypebox<Options> = async (app, options) => {
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
        operationId: 'listKeystores',
        tags,
        summary:
          "A project's keystores and their entries, files and passwords masked (ROLE_API_SECURITY)",
        params: ProjectParams,
        querystring: ListQuery,
        response: { 200: ListBody(KeystoreSchema), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) =>
      service.listKeystores(deps, principalOf(request), request.params.projectName, request.query),
  )
}

function getRoute(app: RouteApp, { deps }: Options): void {
  app.get(
    `${base}/:keystoreName/`,
    {
      config: read,
      schema: {
        operationId: 'getKeystore',
        tags,
        summary: 'One keystore and its entries, files and passwords masked (ROLE_API_SECURITY)',
        params: KeystoreParams,
        response: { 200: OneKeystoreBody, ...errorResponses(401, 403, 404) },
      },
    },
    async (request) => ({
      ...SUCCESS,
      resultList: [
        await service.getKeystore(
          deps,
          principalOf(request),
          request.params.projectName,
          request.params.keystoreName,
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
      bodyLimit: BODY_LIMIT,
      schema: {
        operationId: 'createKeystore',
        tags,
        summary:
          'Upload a keystore (PKCS12 or JKS) per environment (ROLE_API_SECURITY and ROLE_DEPLOY_UNDEPLOY_PROXIES)',
        params: ProjectParams,
        body: KeystoreBody,
        response: {
          200: KeystoreWriteBody,
          ...errorResponses(400, 401, 403, 404, 409, 413, 415, 503),
        },
      },
    },
    async (request) => ({
      ...SUCCESS,
      deploymentResult: await service.createKeystore(
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
    `${base}/:keystoreName/`,
    {
      config: write,
      bodyLimit: BODY_LIMIT,
      schema: {
        operationId: 'updateKeystore',
        tags,
        summary:
          'Replace a keystore; "********" as file keeps the stored one (ROLE_API_SECURITY and ROLE_DEPLOY_UNDEPLOY_PROXIES)',
        params: KeystoreParams,
        querystring: UpdateQuery,
        body: KeystoreBody,
        response: {
          200: KeystoreWriteBody,
          ...errorResponses(400, 401, 403, 404, 409, 413, 415, 503),
        },
      },
    },
    async (request) => {
      checkJwkScope(request.query)
      return {
        ...SUCCESS,
        deploymentResult: await service.updateKeystore(
          audited(request, deps),
          principalOf(request),
          request.params.projectName,
          request.params.keystoreName,
          request.body,
        ),
      }
    },
  )
}

function deleteRoute(app: RouteApp, { deps }: Options): void {
  app.delete(
    `${base}/:keystoreName/`,
    {
      config: write,
      schema: {
        operationId: 'deleteKeystore',
        tags,
        summary: 'Delete a keystore (ROLE_API_SECURITY and ROLE_DEPLOY_UNDEPLOY_PROXIES)',
        params: KeystoreParams,
        response: { 200: KeystoreWriteBody, ...errorResponses(401, 403, 404) },
      },
    },
    async (request) => ({
      ...SUCCESS,
      deploymentResult: await service.deleteKeystore(
        audited(request, deps),
        principalOf(request),
        request.params.projectName,
        request.params.keystoreName,
      ),
    }),
  )
}
