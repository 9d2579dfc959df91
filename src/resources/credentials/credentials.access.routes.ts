import { Type } from 'typebox'
import { audited } from '../../audit/audit.hook.ts'
import { SUCCESS } from '../../http/lists.ts'
import type { RouteApp } from '../../http/route-app.ts'
import { errorResponses, NameParam } from '../../http/schemas.ts'
import { principalOf } from '../../identity/bearer/auth.hook.ts'
import { DeploymentResultSchema } from '../environments/in-effect.ts'
import * as access from './credentials.access.ts'
import { CredentialParams } from './credentials.schemas.ts'
import type { CredentialsDeps } from './credentials.service.ts'

/*
 * A credential's access to API proxies and proxy groups, at the documented paths:
 * GET lists the grants, PUT grants, DELETE revokes, each with a credentialAccessList.
 * Grants and revokes are all or nothing; reads need membership, writes
 * ROLE_API_SECURITY, like the credential itself.
 */

const tags = ['credentials']
const path = '/apiops/projects/:projectName/credentials/:username/access/'

const AccessItemSchema = Type.Object(
  {
    name: NameParam,
    type: Type.Unsafe<'API_PROXY' | 'API_PROXY_GROUP'>({
      type: 'string',
      enum: ['API_PROXY', 'API_PROXY_GROUP'],
    }),
  },
  { additionalProperties: false },
)

export const AccessBody = Type.Object(
  { credentialAccessList: Type.Array(AccessItemSchema, { minItems: 1, maxItems: 500 }) },
  { additionalProperties: false },
)

const AccessListSchema = Type.Object({
  status: Type.Literal('SUCCESS'),
  success: Type.Literal(true),
  resultList: Type.Array(AccessItemSchema),
  resultCount: Type.Integer(),
})

const AccessChangeSchema = Type.Object({
  status: Type.Literal('SUCCESS'),
  success: Type.Literal(true),
  deploymentResult: DeploymentResultSchema,
})

export function credentialAccessRoutes(app: RouteApp, { deps }: { deps: CredentialsDeps }): void {
  app.get(
    path,
    {
      schema: {
        operationId: 'listCredentialAccess',
        tags,
        summary: 'The API proxies and proxy groups a credential may call (members)',
        params: CredentialParams,
        response: { 200: AccessListSchema, ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => {
      const resultList = await access.listAccess(
        deps,
        principalOf(request),
        request.params.projectName,
        request.params.username,
      )
      return { ...SUCCESS, resultList, resultCount: resultList.length }
    },
  )
  for (const [method, operationId, summary, change] of [
    [
      'PUT',
      'grantCredentialAccess',
      'Let a credential call these API proxies and groups; a grant it already has is a 409 (ROLE_API_SECURITY)',
      access.grantAccess,
    ],
    [
      'DELETE',
      'revokeCredentialAccess',
      'Stop a credential calling these API proxies and groups; a grant it lacks is a 404 (ROLE_API_SECURITY)',
      access.revokeAccess,
    ],
  ] as const) {
    app.route({
      method,
      url: path,
      config: { action: 'security.write' },
      schema: {
        operationId,
        tags,
        summary,
        params: CredentialParams,
        body: AccessBody,
        response: { 200: AccessChangeSchema, ...errorResponses(400, 401, 403, 404, 409, 415) },
      },
      handler: async (request) => ({
        ...SUCCESS,
        deploymentResult: await change(
          audited(request, deps),
          principalOf(request),
          request.params.projectName,
          request.params.username,
          request.body.credentialAccessList,
        ),
      }),
    })
  }
}
