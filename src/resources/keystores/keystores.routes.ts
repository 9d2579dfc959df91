import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { RefreshDeps } from '../jwks/jwks.refresh.ts'
import { perEnvironmentRoutes } from '../keys/per-environment.routes.ts'
import {
  BODY_LIMIT,
  KeystoreBody,
  KeystoreParams,
  KeystoreSchema,
  KeystoreWriteBody,
  OneKeystoreBody,
} from './keystores.schemas.ts'
import { KEYSTORES, type KeystoresDeps } from './keystores.service.ts'

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

export const keystoresRoutes: FastifyPluginAsyncTypebox<{
  deps: KeystoresDeps & RefreshDeps
}> = async (app, { deps }) => {
  perEnvironmentRoutes(app, deps, {
    kind: KEYSTORES,
    path: 'keystores',
    param: 'keystoreName',
    noun: 'Keystore',
    plural: 'Keystores',
    schemas: {
      params: KeystoreParams,
      body: KeystoreBody,
      item: KeystoreSchema,
      one: OneKeystoreBody,
      write: KeystoreWriteBody,
    },
    summaries: {
      list: "A project's keystores and their entries, files and passwords masked (ROLE_API_SECURITY)",
      get: 'One keystore and its entries, files and passwords masked (ROLE_API_SECURITY)',
      create:
        'Upload a keystore (PKCS12 or JKS) per environment (ROLE_API_SECURITY and ROLE_DEPLOY_UNDEPLOY_PROXIES)',
      update:
        'Replace a keystore; "********" as file keeps the stored one (ROLE_API_SECURITY and ROLE_DEPLOY_UNDEPLOY_PROXIES)',
      delete: 'Delete a keystore (ROLE_API_SECURITY and ROLE_DEPLOY_UNDEPLOY_PROXIES)',
    },
    bodyLimit: BODY_LIMIT,
    writeStatuses: [400, 401, 403, 404, 409, 413, 415, 503],
  })
}
