import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { audited } from '../../audit/audit.hook.ts'
import { SUCCESS } from '../../http/lists.ts'
import { errorResponses, SuccessBody } from '../../http/schemas.ts'
import { principalOf } from '../bearer/auth.hook.ts'
import { parseBefore, revokeTokensIssuedBefore } from '../tokens/tokens.revocation.ts'
import type { TokensDeps } from '../tokens/tokens.service.ts'
import { requireUser, type UsersDeps } from './users.service.ts'

/*
 * Revocation by time: every token issued before an instant, of one user or of everyone
 * (after a breach, a departure, a leaked secret). ROLE_ADMIN, like all user administration.
 */

const BeforeBody = Type.Object(
  {
    before: Type.Optional(
      Type.String({
        maxLength: 40,
        description:
          'ISO 8601 date-time with a time zone; tokens created before it are revoked. Default: now.',
      }),
    ),
  },
  { additionalProperties: false },
)
/** No body at all means "before now", like an empty object. */
const emptyIsNothing = async (request: { body: unknown }) => {
  request.body ??= {}
}
const Answer = Type.Object({
  ...SuccessBody.properties,
  revokedCount: Type.Integer(),
  before: Type.String({ format: 'date-time' }),
})
const responses = { 200: Answer, ...errorResponses(400, 401, 403) }

export const revokeBeforeRoutes: FastifyPluginAsyncTypebox<{
  deps: TokensDeps & UsersDeps
}> = async (app, { deps }) => {
  app.post(
    '/apiops/users/:username/tokens/revoke-before/',
    {
      config: { action: 'administer' },
      preValidation: emptyIsNothing,
      schema: {
        operationId: 'revokeUserTokensIssuedBefore',
        tags: ['users'],
        summary: 'Revoke every live token of a user issued before an instant (default now)',
        params: Type.Object({ username: Type.String({ minLength: 1, maxLength: 64 }) }),
        body: BeforeBody,
        response: { ...responses, ...errorResponses(404) },
      },
    },
    async (request) => {
      const before = parseBefore(request.body?.before, deps.clock.now())
      const user = await requireUser(deps, request.params.username)
      const revokedCount = await revokeTokensIssuedBefore(
        audited(request, deps),
        user,
        before,
        principalOf(request).userId,
      )
      return { ...SUCCESS, revokedCount, before: before.toISOString() }
    },
  )

  app.post(
    '/apiops/tokens/revoke-before/',
    {
      config: { action: 'administer' },
      preValidation: emptyIsNothing,
      schema: {
        operationId: 'revokeAllTokensIssuedBefore',
        tags: ['users'],
        summary: "Revoke every user's live tokens issued before an instant (default now)",
        description:
          "The caller's own tokens too, the one presenting this request included: a console session survives.",
        body: BeforeBody,
        response: responses,
      },
    },
    async (request) => {
      const before = parseBefore(request.body?.before, deps.clock.now())
      const revokedCount = await revokeTokensIssuedBefore(
        audited(request, deps),
        undefined,
        before,
        principalOf(request).userId,
      )
      return { ...SUCCESS, revokedCount, before: before.toISOString() }
    },
  )
}
