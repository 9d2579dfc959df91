import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { audited } from '../../audit/audit.hook.ts'
import { SUCCESS } from '../../http/lists.ts'
import type { RouteApp } from '../../http/route-app.ts'
import { errorResponses, ListBody, ListQuery, SuccessBody } from '../../http/schemas.ts'
import { principalOf } from '../bearer/auth.hook.ts'
import { resetPassword } from '../credentials/password-change.service.ts'
import {
  PasswordChangeSchema,
  PasswordSchema,
  RevokeTokensField,
} from '../credentials/passwords.schemas.ts'
import { pageTokens } from '../tokens/tokens.list.ts'
import { TokenIdParam, TokenListQuery, TokenViewSchema } from '../tokens/tokens.schemas.ts'
import { revokeAllTokens, revokeToken, type TokensDeps } from '../tokens/tokens.service.ts'
import { ROLES, RoleSchema } from './roles.ts'
import {
  createUser,
  deleteUser,
  getUser,
  grantRoles,
  pageUsers,
  requireUser,
  revokeRoles,
  setEmail,
  setEnabled,
  type UsersDeps,
} from './users.service.ts'

export const UserSchema = Type.Object({
  id: Type.String(),
  username: Type.String(),
  roles: Type.Array(RoleSchema),
  enabled: Type.Boolean(),
  createdAt: Type.String({ format: 'date-time' }),
  disabledAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  email: Type.Union([Type.String(), Type.Null()], {
    description: 'Where expiry reminders and canary alerts go',
  }),
})

/** An email address to set, or null to clear it. */
export const EmailField = Type.Union([Type.String({ minLength: 3, maxLength: 256 }), Type.Null()], {
  description: 'Where expiry reminders and canary alerts go; null clears it',
})

const UsernameParams = Type.Object({ username: Type.String({ minLength: 1, maxLength: 64 }) })
const RolesBody = Type.Object(
  { roles: Type.Array(RoleSchema, { minItems: 1, maxItems: ROLES.length, uniqueItems: true }) },
  { additionalProperties: false },
)

/** Every route here is administration: ROLE_ADMIN, checked before validation. */
const ADMIN = { action: 'administer' as const }

/** User administration and every user's tokens: ROLE_ADMIN only, as the CLI offers it. */
const tags = ['users']
const denied = errorResponses(401, 403)

interface UsersRouteOptions {
  deps: TokensDeps & UsersDeps
}

export const usersRoutes: FastifyPluginAsyncTypebox<UsersRouteOptions> = async (app, options) => {
  listUsersRoute(app, options)
  createUserRoute(app, options)
  getUserRoute(app, options)
  updateUserRoute(app, options)
  deleteUserRoute(app, options)
  grantRolesRoute(app, options)
  revokeRoleRoute(app, options)
  enableDisableUserRoute(app, options)
  setUserPasswordRoute(app, options)
  listUserTokensRoute(app, options)
  revokeUserTokenRoute(app, options)
  revokeAllUserTokensRoute(app, options)
}

function listUsersRoute(app: RouteApp, { deps }: UsersRouteOptions): void {
  app.get(
    '/apiops/users/',
    {
      config: ADMIN,
      schema: {
        operationId: 'listUsers',
        tags,
        querystring: ListQuery,
        response: { 200: ListBody(UserSchema), ...errorResponses(400), ...denied },
      },
    },
    async (request) => pageUsers(deps, request.query),
  )
}

function createUserRoute(app: RouteApp, { deps }: UsersRouteOptions): void {
  app.post(
    '/apiops/users/',
    {
      config: ADMIN,
      schema: {
        operationId: 'createUser',
        tags,
        body: Type.Object(
          {
            username: Type.String({ minLength: 1, maxLength: 64 }),
            password: PasswordSchema,
            roles: Type.Optional(
              Type.Array(RoleSchema, { maxItems: ROLES.length, uniqueItems: true }),
            ),
            email: Type.Optional(EmailField),
          },
          { additionalProperties: false },
        ),
        response: { 201: UserSchema, ...errorResponses(400, 409), ...denied },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await createUser(audited(request, deps), request.body)),
  )
}

function getUserRoute(app: RouteApp, { deps }: UsersRouteOptions): void {
  app.get(
    '/apiops/users/:username/',
    {
      config: ADMIN,
      schema: {
        operationId: 'getUser',
        tags,
        params: UsernameParams,
        response: { 200: UserSchema, ...errorResponses(404), ...denied },
      },
    },
    async (request) => getUser(deps, request.params.username),
  )
}

function updateUserRoute(app: RouteApp, { deps }: UsersRouteOptions): void {
  app.patch(
    '/apiops/users/:username/',
    {
      config: ADMIN,
      schema: {
        operationId: 'updateUser',
        tags,
        summary: "Change a user's email address",
        params: UsernameParams,
        body: Type.Object({ email: EmailField }, { additionalProperties: false }),
        response: { 200: UserSchema, ...errorResponses(400, 404), ...denied },
      },
    },
    async (request) =>
      setEmail(audited(request, deps), request.params.username, request.body.email),
  )
}

function deleteUserRoute(app: RouteApp, { deps }: UsersRouteOptions): void {
  app.delete(
    '/apiops/users/:username/',
    {
      config: ADMIN,
      schema: {
        operationId: 'deleteUser',
        tags,
        summary: 'Delete a user, their tokens and memberships',
        params: UsernameParams,
        response: { 200: SuccessBody, ...errorResponses(404, 409), ...denied },
      },
    },
    async (request) => {
      await deleteUser(audited(request, deps), request.params.username)
      return SUCCESS
    },
  )
}

function grantRolesRoute(app: RouteApp, { deps }: UsersRouteOptions): void {
  app.post(
    '/apiops/users/:username/roles/',
    {
      config: ADMIN,
      schema: {
        operationId: 'grantRoles',
        tags,
        summary: "Grant roles; the user's existing tokens carry them from the next request",
        params: UsernameParams,
        body: RolesBody,
        response: { 200: UserSchema, ...errorResponses(400, 404), ...denied },
      },
    },
    async (request) =>
      grantRoles(audited(request, deps), request.params.username, request.body.roles),
  )
}

function revokeRoleRoute(app: RouteApp, { deps }: UsersRouteOptions): void {
  app.delete(
    '/apiops/users/:username/roles/:role/',
    {
      config: ADMIN,
      schema: {
        operationId: 'revokeRole',
        tags,
        summary: "Take a role away; the user's existing tokens lose it from the next request",
        params: Type.Object({ username: UsernameParams.properties.username, role: RoleSchema }),
        response: { 200: UserSchema, ...errorResponses(400, 404, 409), ...denied },
      },
    },
    async (request) =>
      revokeRoles(audited(request, deps), request.params.username, [request.params.role]),
  )
}

function enableDisableUserRoute(app: RouteApp, { deps }: UsersRouteOptions): void {
  for (const [action, enabled] of [
    ['enable', true],
    ['disable', false],
  ] as const) {
    app.post(
      `/apiops/users/:username/${action}/`,
      {
        config: ADMIN,
        schema: {
          operationId: `${action}User`,
          tags,
          summary: enabled
            ? 'Enable a user'
            : 'Disable a user: all of their tokens stop working at once',
          params: UsernameParams,
          response: { 200: UserSchema, ...errorResponses(404, 409), ...denied },
        },
      },
      async (request) => setEnabled(audited(request, deps), request.params.username, enabled),
    )
  }
}

function setUserPasswordRoute(app: RouteApp, { deps }: UsersRouteOptions): void {
  app.put(
    '/apiops/users/:username/password/',
    {
      config: ADMIN,
      schema: {
        operationId: 'setUserPassword',
        tags,
        summary:
          "Set a user's password; by default also revoke all of their API tokens and end their console sessions",
        description:
          "A token cannot set its own user's password (403): with it, it could mint new tokens and outlive itself. Reset your own password in the console instead.",
        params: UsernameParams,
        body: Type.Object(
          { password: PasswordSchema, revokeTokens: RevokeTokensField },
          { additionalProperties: false },
        ),
        response: { 200: PasswordChangeSchema, ...errorResponses(400, 404), ...denied },
      },
    },
    async (request) => {
      const change = await resetPassword(
        audited(request, deps),
        request.params.username,
        request.body.password,
        {
          revokeTokens: request.body.revokeTokens ?? true,
          actor: principalOf(request),
          keepSessionId: request.session?.sessionId,
        },
      )
      return { ...SUCCESS, ...change }
    },
  )
}

function listUserTokensRoute(app: RouteApp, { deps }: UsersRouteOptions): void {
  app.get(
    '/apiops/users/:username/tokens/',
    {
      config: ADMIN,
      schema: {
        operationId: 'listUserTokens',
        tags,
        description:
          "Without `source`, the token endpoint's short-lived tokens are left out; `?source=api` lists only them.",
        querystring: TokenListQuery,
        params: UsernameParams,
        response: { 200: ListBody(TokenViewSchema), ...errorResponses(400, 404), ...denied },
      },
    },
    async (request) => {
      const user = await requireUser(deps, request.params.username)
      return pageTokens(deps, user.id, request.query)
    },
  )
}

function revokeUserTokenRoute(app: RouteApp, { deps }: UsersRouteOptions): void {
  app.delete(
    '/apiops/users/:username/tokens/:id/',
    {
      config: ADMIN,
      schema: {
        operationId: 'revokeUserToken',
        tags,
        params: Type.Object({ ...UsernameParams.properties, ...TokenIdParam.properties }),
        response: { 200: TokenViewSchema, ...errorResponses(404), ...denied },
      },
    },
    async (request) => {
      const user = await requireUser(deps, request.params.username)
      return revokeToken(
        audited(request, deps),
        user,
        request.params.id,
        principalOf(request).userId,
      )
    },
  )
}

function revokeAllUserTokensRoute(app: RouteApp, { deps }: UsersRouteOptions): void {
  app.delete(
    '/apiops/users/:username/tokens/',
    {
      config: ADMIN,
      schema: {
        operationId: 'revokeAllUserTokens',
        tags,
        summary: 'Revoke every live token of a user',
        params: UsernameParams,
        response: {
          200: Type.Object({ ...SuccessBody.properties, revokedCount: Type.Integer() }),
          ...errorResponses(404),
          ...denied,
        },
      },
    },
    async (request) => {
      const user = await requireUser(deps, request.params.username)
      const revokedCount = await revokeAllTokens(
        audited(request, deps),
        user,
        principalOf(request).userId,
      )
      return { ...SUCCESS, revokedCount }
    },
  )
}
