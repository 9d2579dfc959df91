import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { audited } from '../../audit/audit.hook.ts'
import type { RouteApp } from '../../http/route-app.ts'
import { errorResponses, Label } from '../../http/schemas.ts'
import { principalOf } from '../bearer/auth.hook.ts'
import {
  type CanaryView,
  createCanary,
  disarmCanary,
  listCanaries,
} from '../tokens/canary.service.ts'
import { TokenIdParam } from '../tokens/tokens.schemas.ts'
import { TOKEN_NAME_MAX, type TokenOwner, type TokensDeps } from '../tokens/tokens.service.ts'
import { sendIssued } from './me.routes.ts'
import { requireUser, type UsersDeps } from './users.service.ts'

/*
 * Canary tokens at their own paths, apart from real tokens: mine (any signed-in user;
 * a canary grants nothing, so a token may plant one too) and anyone's for an
 * administrator.
 */

const CanarySchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    createdAt: Type.String({ format: 'date-time' }),
    armed: Type.Boolean({ description: 'false once disarmed: it then raises nothing' }),
    disarmedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    lastTriggeredAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
      description: 'The last time someone presented it; every use is in the audit log',
    }),
    lastTriggeredFrom: Type.Union([Type.String(), Type.Null()]),
  },
  { description: 'A canary token: it grants nothing, and every use of it raises an alert' },
)
const IssuedCanarySchema = Type.Object({
  ...CanarySchema.properties,
  token: Type.String({ description: 'Shown once: plant it where a leak would be found' }),
})
const CanaryBody = Type.Object({ name: Label(TOKEN_NAME_MAX) }, { additionalProperties: false })
const CanaryList = Type.Object({ resultList: Type.Array(CanarySchema) })
const UserParams = Type.Object({ username: Type.String({ minLength: 1, maxLength: 64 }) })
const UserTokenParams = Type.Object({ ...UserParams.properties, ...TokenIdParam.properties })
const ADMIN = { action: 'administer' as const }

interface CanaryRouteOptions {
  deps: TokensDeps & UsersDeps
}

export const canaryRoutes: FastifyPluginAsyncTypebox<CanaryRouteOptions> = async (app, options) => {
  myCanaryRoutes(app, options)
  userCanaryRoutes(app, options)
}

const list = (views: CanaryView[]) => ({ resultList: views })

function myCanaryRoutes(app: RouteApp, { deps }: CanaryRouteOptions): void {
  const me = (request: Parameters<typeof principalOf>[0]): TokenOwner => {
    const p = principalOf(request)
    return { id: p.userId, username: p.username }
  }
  app.get(
    '/apiops/me/canary-tokens/',
    {
      schema: {
        operationId: 'listMyCanaryTokens',
        tags: ['me'],
        summary: 'My canary tokens, armed and disarmed',
        response: { 200: CanaryList, ...errorResponses(401) },
      },
    },
    async (request) => list(await listCanaries(deps, me(request).id)),
  )
  app.post(
    '/apiops/me/canary-tokens/',
    {
      schema: {
        operationId: 'createMyCanaryToken',
        tags: ['me'],
        summary: 'Make a canary token: it looks like any token, grants nothing, and alerts on use',
        body: CanaryBody,
        response: { 201: IssuedCanarySchema, ...errorResponses(400, 401) },
      },
    },
    async (request, reply) => {
      const source = principalOf(request).via === 'session' ? 'console' : 'api'
      const issued = await createCanary(audited(request, deps), me(request), {
        name: request.body.name,
        source,
      })
      return sendIssued(reply, issued, 201)
    },
  )
  app.delete(
    '/apiops/me/canary-tokens/:id/',
    {
      schema: {
        operationId: 'disarmMyCanaryToken',
        tags: ['me'],
        summary: 'Disarm one of my canary tokens (it is revoked and raises nothing from then on)',
        params: TokenIdParam,
        response: { 200: CanarySchema, ...errorResponses(401, 404) },
      },
    },
    async (request) =>
      disarmCanary(audited(request, deps), me(request), request.params.id, me(request).id),
  )
}

function userCanaryRoutes(app: RouteApp, { deps }: CanaryRouteOptions): void {
  const denied = errorResponses(401, 403, 404)
  app.get(
    '/apiops/users/:username/canary-tokens/',
    {
      config: ADMIN,
      schema: {
        operationId: 'listUserCanaryTokens',
        tags: ['users'],
        params: UserParams,
        response: { 200: CanaryList, ...denied },
      },
    },
    async (request) =>
      list(await listCanaries(deps, (await requireUser(deps, request.params.username)).id)),
  )
  app.post(
    '/apiops/users/:username/canary-tokens/',
    {
      config: ADMIN,
      schema: {
        operationId: 'createUserCanaryToken',
        tags: ['users'],
        summary: "Make a canary token for a user: its alerts name that user's token",
        params: UserParams,
        body: CanaryBody,
        response: { 201: IssuedCanarySchema, ...errorResponses(400), ...denied },
      },
    },
    async (request, reply) => {
      const user = await requireUser(deps, request.params.username)
      const issued = await createCanary(audited(request, deps), user, {
        name: request.body.name,
        source: 'api',
      })
      return sendIssued(reply, issued, 201)
    },
  )
  app.delete(
    '/apiops/users/:username/canary-tokens/:id/',
    {
      config: ADMIN,
      schema: {
        operationId: 'disarmUserCanaryToken',
        tags: ['users'],
        params: UserTokenParams,
        response: { 200: CanarySchema, ...denied },
      },
    },
    async (request) => {
      const user = await requireUser(deps, request.params.username)
      return disarmCanary(
        audited(request, deps),
        user,
        request.params.id,
        principalOf(request).userId,
      )
    },
  )
}
