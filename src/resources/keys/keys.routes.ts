import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { RefreshDeps } from '../jwks/jwks.refresh.ts'
import { KeyBody, KeyParams, KeySchema, KeyWriteBody, OneKeyBody } from './keys.schemas.ts'
import { KEYS, type KeysDeps } from './keys.service.ts'
import { perEnvironmentRoutes } from './per-environment.routes.ts'

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

export const keysRoutes: FastifyPluginAsyncTypebox<{ deps: KeysDeps & RefreshDeps }> = async (
  app,
  { deps },
) => {
  perEnvironmentRoutes(app, deps, {
    kind: KEYS,
    path: 'keys',
    param: 'keyName',
    noun: 'Key',
    plural: 'Keys',
    schemas: {
      params: KeyParams,
      body: KeyBody,
      item: KeySchema,
      one: OneKeyBody,
      write: KeyWriteBody,
    },
    summaries: {
      list: "A project's keys, private keys masked (ROLE_API_SECURITY)",
      get: 'One key, its private keys masked (ROLE_API_SECURITY)',
      create: 'Create a key (ROLE_API_SECURITY and ROLE_DEPLOY_UNDEPLOY_PROXIES)',
      update:
        'Replace a key; "********" keeps a stored private key (ROLE_API_SECURITY and ROLE_DEPLOY_UNDEPLOY_PROXIES)',
      delete: 'Delete a key (ROLE_API_SECURITY and ROLE_DEPLOY_UNDEPLOY_PROXIES)',
    },
    writeStatuses: [400, 401, 403, 404, 409, 415],
  })
}
