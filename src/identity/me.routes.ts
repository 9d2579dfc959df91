import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { errors } from '../errors.ts'
import { paginate } from '../http/lists.ts'
import { errorResponses, ListBody, ListQuery } from '../http/schemas.ts'
import { principalOf } from './auth.hook.ts'
import { projectNamesOfUser } from './memberships.repository.ts'
import { ROLES, RoleSchema } from './roles.ts'
import { findTokenById } from './tokens.repository.ts'
import {
  CreateTokenBody,
  IssuedTokenSchema,
  TokenIdParam,
  TokenViewSchema,
} from './tokens.schemas.ts'
import {
  type IssuedToken,
  issueToken,
  listTokens,
  parseExpiry,
  revokeToken,
  rotateToken,
  type TokensDeps,
  type TokenView,
  tokenView,
} from './tokens.service.ts'

export const TOKEN_SORT: Record<string, (t: TokenView) => string | null> = {
  createdAt: (t) => t.createdAt,
  name: (t) => t.name,
  expiresAt: (t) => t.expiresAt,
  lastUsedAt: (t) => t.lastUsedAt,
  status: (t) => t.status,
  id: (t) => t.id,
}

/** The secret is in this body: no cache, no intermediary, may keep it. */
export function sendIssued(reply: FastifyReply, issued: IssuedToken, status: number) {
  return reply
    .code(status)
    .header('cache-control', 'no-store')
    .header('pragma', 'no-cache')
    .send({ ...issued.view, token: issued.token })
}

/** Only a console session may mint tokens: a leaked token must not be able to multiply. */
async function requireSession(request: FastifyRequest): Promise<void> {
  if (principalOf(request).via !== 'session') {
    throw errors.forbidden(
      'A token cannot create tokens. Create personal API access tokens in the Management Console (My Profile), or with POST /apiops/auth/token and your username and password.',
    )
  }
}

export const MeSchema = Type.Object({
  id: Type.String(),
  username: Type.String(),
  roles: Type.Array(RoleSchema),
  projects: Type.Array(Type.String(), { description: 'Projects I am a member of' }),
  authenticatedWith: Type.Union([Type.Literal('token'), Type.Literal('session')]),
  token: Type.Union([TokenViewSchema, Type.Null()], { description: 'The token this request used' }),
})

export const meRoutes: FastifyPluginAsyncTypebox<{ deps: TokensDeps }> = async (app, { deps }) => {
  app.get(
    '/apiops/me/',
    {
      schema: {
        operationId: 'getMe',
        tags: ['me'],
        summary: 'Who am I: my roles, my projects, and the token I am using',
        response: { 200: MeSchema, ...errorResponses(401) },
      },
    },
    async (request) => {
      const me = principalOf(request)
      const row = me.tokenId ? await findTokenById(deps.db, me.tokenId) : undefined
      return {
        id: me.userId,
        username: me.username,
        roles: ROLES.filter((r) => me.roles.has(r)),
        projects: await projectNamesOfUser(deps.db, me.userId),
        authenticatedWith: me.via,
        token: row ? tokenView(row, deps.clock.now()) : null,
      }
    },
  )

  app.get(
    '/apiops/me/tokens/',
    {
      schema: {
        operationId: 'listMyTokens',
        tags: ['me'],
        summary: 'My personal API access tokens (never their secrets)',
        querystring: ListQuery,
        response: { 200: ListBody(TokenViewSchema), ...errorResponses(400, 401) },
      },
    },
    async (request) =>
      paginate(
        await listTokens(deps, principalOf(request).userId),
        request.query,
        TOKEN_SORT,
        'createdAt,desc',
      ),
  )

  app.post(
    '/apiops/me/tokens/',
    {
      preValidation: requireSession,
      schema: {
        operationId: 'createMyToken',
        tags: ['me'],
        summary: 'Create a token (console session only); the answer holds the token, shown once',
        body: CreateTokenBody,
        response: { 201: IssuedTokenSchema, ...errorResponses(400, 401, 403) },
      },
    },
    async (request, reply) => {
      const me = principalOf(request)
      const issued = await issueToken(deps, {
        userId: me.userId,
        name: request.body.name,
        source: 'console',
        expiresAt: parseExpiry(request.body.expiresAt, deps.clock.now()),
      })
      return sendIssued(reply, issued, 201)
    },
  )

  app.delete(
    '/apiops/me/tokens/:id/',
    {
      schema: {
        operationId: 'revokeMyToken',
        tags: ['me'],
        summary: 'Revoke one of my tokens; it is refused from the next request on',
        params: TokenIdParam,
        response: { 200: TokenViewSchema, ...errorResponses(401, 404) },
      },
    },
    async (request) => {
      const me = principalOf(request)
      return revokeToken(deps, me.userId, request.params.id, me.userId)
    },
  )

  app.post(
    '/apiops/me/tokens/:id/rotate/',
    {
      schema: {
        operationId: 'rotateMyToken',
        tags: ['me'],
        summary: 'Revoke a token and answer a new one with the same name and expiry instant',
        description:
          'Allowed with a token too: rotation replaces a secret, it neither adds a token nor extends a lifetime.',
        params: TokenIdParam,
        response: { 201: IssuedTokenSchema, ...errorResponses(401, 404, 409) },
      },
    },
    async (request, reply) => {
      const me = principalOf(request)
      return sendIssued(
        reply,
        await rotateToken(deps, me.userId, request.params.id, me.userId),
        201,
      )
    },
  )
}
