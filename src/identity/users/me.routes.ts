import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { audited } from '../../audit/audit.hook.ts'
import { SUCCESS } from '../../http/lists.ts'
import type { RouteApp } from '../../http/route-app.ts'
import { errorResponses, ListBody } from '../../http/schemas.ts'
import { principalOf } from '../bearer/auth.hook.ts'
import { changeOwnPassword } from '../credentials/password-change.service.ts'
import {
  PasswordChangeSchema,
  PasswordSchema,
  RevokeTokensField,
} from '../credentials/passwords.schemas.ts'
import { PASSWORD_MAX_LENGTH } from '../credentials/passwords.ts'
import type { LoginThrottle } from '../throttling/throttle.ts'
import { assertMayRotate, rotateToken } from '../tokens/token-rotation.ts'
import { pageTokens } from '../tokens/tokens.list.ts'
import { findTokenById } from '../tokens/tokens.repository.ts'
import {
  CreateTokenBody,
  IssuedTokenSchema,
  RotateTokenBody,
  TokenIdParam,
  TokenListQuery,
  TokenViewSchema,
} from '../tokens/tokens.schemas.ts'
import {
  createToken,
  parseExpiry,
  revokeToken,
  type TokensDeps,
  tokenView,
} from '../tokens/tokens.service.ts'
import { projectNamesOfUser } from './memberships.repository.ts'
import { ROLES, RoleSchema } from './roles.ts'
import { myTokenPolicyRoute } from './token-policy.routes.ts'
import { findUserById } from './users.repository.ts'
import { EmailField } from './users.routes.ts'
import { setEmail, type UsersDeps } from './users.service.ts'

/** Whose tokens a request's principal holds: its own. */
const ownerOf = (me: { userId: string; username: string }) => ({
  id: me.userId,
  username: me.username,
})

/** A new secret's one showing: never cached anywhere on the way. */
export function sendIssued(
  reply: FastifyReply,
  issued: { token: string; view: object },
  status: number,
) {
  return reply
    .code(status)
    .header('cache-control', 'no-store')
    .header('pragma', 'no-cache')
    .send({ ...issued.view, token: issued.token })
}

export const MeSchema = Type.Object({
  id: Type.String(),
  username: Type.String(),
  roles: Type.Array(RoleSchema),
  projects: Type.Array(Type.String(), { description: 'Projects I am a member of' }),
  email: Type.Union([Type.String(), Type.Null()], {
    description: 'Where my expiry reminders and canary alerts go',
  }),
  authenticatedWith: Type.Union([Type.Literal('token'), Type.Literal('session')]),
  token: Type.Union([TokenViewSchema, Type.Null()], { description: 'The token this request used' }),
})

interface MeRouteOptions {
  deps: TokensDeps & UsersDeps
  /** Failed-login counts: a wrong current password counts like a failed login. */
  throttle: LoginThrottle
}

export const meRoutes: FastifyPluginAsyncTypebox<MeRouteOptions> = async (app, options) => {
  getMeRoute(app, options)
  updateMeRoute(app, options)
  listMyTokensRoute(app, options)
  createMyTokenRoute(app, options)
  revokeMyTokenRoute(app, options)
  rotateMyTokenRoute(app, options)
  changeMyPasswordRoute(app, options)
  myTokenPolicyRoute(app, options.deps)
}

function getMeRoute(app: RouteApp, { deps }: MeRouteOptions): void {
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
    async (request) => meView(deps, request),
  )
}

async function meView(deps: MeRouteOptions['deps'], request: FastifyRequest) {
  const me = principalOf(request)
  const [row, user] = await Promise.all([
    me.tokenId ? findTokenById(deps.db, me.tokenId) : undefined,
    findUserById(deps.db, me.userId),
  ])
  return {
    id: me.userId,
    username: me.username,
    roles: ROLES.filter((r) => me.roles.has(r)),
    projects: await projectNamesOfUser(deps.db, me.userId),
    email: user?.email ?? null,
    authenticatedWith: me.via,
    token: row ? tokenView(row, deps.clock.now()) : null,
  }
}

function updateMeRoute(app: RouteApp, { deps }: MeRouteOptions): void {
  app.patch(
    '/apiops/me/',
    {
      schema: {
        operationId: 'updateMe',
        tags: ['me'],
        summary: 'Change my email address (where reminders and alerts go)',
        body: Type.Object({ email: EmailField }, { additionalProperties: false }),
        response: { 200: MeSchema, ...errorResponses(400, 401) },
      },
    },
    async (request) => {
      await setEmail(audited(request, deps), principalOf(request).username, request.body.email)
      return meView(deps, request)
    },
  )
}

function listMyTokensRoute(app: RouteApp, { deps }: MeRouteOptions): void {
  app.get(
    '/apiops/me/tokens/',
    {
      schema: {
        operationId: 'listMyTokens',
        tags: ['me'],
        summary: 'My personal API access tokens (never their secrets)',
        description:
          "Without `source`, the token endpoint's short-lived tokens are left out; `?source=api` lists only them.",
        querystring: TokenListQuery,
        response: { 200: ListBody(TokenViewSchema), ...errorResponses(400, 401) },
      },
    },
    async (request) => pageTokens(deps, principalOf(request).userId, request.query),
  )
}

function createMyTokenRoute(app: RouteApp, { deps }: MeRouteOptions): void {
  app.post(
    '/apiops/me/tokens/',
    {
      config: { action: 'token.create' },
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
      const { name, expiresAt, ...limits } = request.body
      const issued = await createToken(audited(request, deps), ownerOf(me), {
        name,
        source: 'console',
        expiresAt: parseExpiry(expiresAt, deps.clock.now()),
        limits,
      })
      return sendIssued(reply, issued, 201)
    },
  )
}

function revokeMyTokenRoute(app: RouteApp, { deps }: MeRouteOptions): void {
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
      return revokeToken(audited(request, deps), ownerOf(me), request.params.id, me.userId)
    },
  )
}

function rotateMyTokenRoute(app: RouteApp, { deps }: MeRouteOptions): void {
  app.post(
    '/apiops/me/tokens/:id/rotate/',
    {
      schema: {
        operationId: 'rotateMyToken',
        tags: ['me'],
        summary: 'Replace a token by a new one with the same name and expiry instant',
        description:
          'A token may rotate only itself (the token this request presents): rotation replaces its secret and never extends its lifetime. Any other token answers 403, since a short-lived token must not take over a longer-lived one; a console session may rotate any of its tokens. With graceSeconds the old token keeps working that long (never past its expiry). Presenting an already rotated token to rotate it again revokes every token of its rotation chain (409).',
        params: TokenIdParam,
        body: RotateTokenBody,
        response: { 201: IssuedTokenSchema, ...errorResponses(400, 401, 403, 404, 409) },
      },
      // The body is optional: a client that sends none (as before graceSeconds) rotates with none.
      preValidation: async (request) => {
        request.body ??= {}
      },
    },
    async (request, reply) => {
      const me = principalOf(request)
      assertMayRotate(me, request.params.id)
      return sendIssued(
        reply,
        await rotateToken(audited(request, deps), ownerOf(me), {
          tokenId: request.params.id,
          rotatedBy: me.userId,
          graceSeconds: request.body.graceSeconds ?? 0,
          presentedTokenId: me.tokenId,
        }),
        201,
      )
    },
  )
}

function changeMyPasswordRoute(app: RouteApp, { deps, throttle }: MeRouteOptions): void {
  app.put(
    '/apiops/me/password/',
    {
      config: { action: 'password.changeOwn' },
      bodyLimit: 8192,
      schema: {
        operationId: 'changeMyPassword',
        tags: ['me'],
        summary:
          'Change my password (console session only); by default also revoke my API tokens and end my other sessions',
        description:
          'A token gets 403: with a new password it could mint tokens and outlive itself. A wrong currentPassword answers 400 and counts as a failed login (the same lockout as the token endpoint and the console login, 429 while locked). The session making the change stays signed in.',
        body: Type.Object(
          {
            currentPassword: Type.String({ minLength: 1, maxLength: PASSWORD_MAX_LENGTH }),
            newPassword: PasswordSchema,
            revokeTokens: RevokeTokensField,
          },
          { additionalProperties: false },
        ),
        response: {
          200: PasswordChangeSchema,
          ...errorResponses(400, 401, 403, 413, 415, 429, 503),
        },
      },
    },
    async (request) => {
      const change = await changeOwnPassword(
        audited(request, deps),
        throttle,
        principalOf(request),
        { ...request.body, revokeTokens: request.body.revokeTokens ?? true },
        { ip: request.ip, sessionId: request.session?.sessionId },
      )
      return { ...SUCCESS, ...change }
    },
  )
}
