import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import ipaddr from 'ipaddr.js'
import { Type } from 'typebox'
import type { Queryable } from '../../db/types.ts'
import { errors } from '../../errors.ts'
import { errorResponses } from '../../http/schemas.ts'
import { principalOf } from '../bearer/auth.hook.ts'
import { canI, type KnownRoute } from '../policy/can-i.ts'

const CanIAnswerSchema = Type.Object({
  allowed: Type.Boolean(),
  reason: Type.String({ description: 'Why: the role missing, the token rule, the project' }),
  route: Type.Union([Type.String(), Type.Null()], {
    description:
      'The route the request would reach, e.g. "POST /apiops/projects/:projectName/apiProxies/"; null: no such route',
  }),
  action: Type.Union([Type.String(), Type.Null()], {
    description: 'The permission-table action the route is guarded by, if any',
  }),
  status: Type.Union([Type.Integer(), Type.Null()], {
    description:
      'What the request would be answered when refused (401, 403, 404); null when allowed',
  }),
})

interface CanIRouteOptions {
  deps: { db: Queryable }
  /** The app's route table, filled as routes register: read at each question. */
  routes: readonly KnownRoute[]
}

export const canIRoutes: FastifyPluginAsyncTypebox<CanIRouteOptions> = async (app, options) => {
  app.get(
    '/apiops/me/can-i',
    {
      schema: {
        operationId: 'canI',
        tags: ['me'],
        summary: 'Would I be allowed this request? Answers why, without doing it',
        description:
          "Judged as the real request would be, with this request's credentials: the token's allowFrom rule (for the address in `from`, else this call's), read-only, the roles of the route's action (the token's and its owner's), the token's projects, project membership. A path no route serves answers allowed:false, \"no such route\". Checks that depend on the body, and whether the named resource exists, are not judged.",
        querystring: Type.Object({
          method: Type.String({
            pattern: '^[A-Za-z]{3,7}$',
            'x-pattern-message': 'must be an HTTP method, such as GET, POST, PUT or DELETE',
            description: 'GET, POST, PUT, ...',
          }),
          path: Type.String({
            minLength: 1,
            maxLength: 2000,
            pattern: '^/',
            'x-pattern-message': 'must be a path beginning with /, such as /apiops/projects/',
            description: 'e.g. /apiops/projects/p1/apiProxies/x/environments/prod/',
          }),
          from: Type.Optional(
            Type.String({ maxLength: 50, description: 'Client address to judge allowFrom by' }),
          ),
        }),
        response: { 200: CanIAnswerSchema, ...errorResponses(400, 401) },
      },
    },
    async (request) => {
      const { method, path, from } = request.query
      if (from !== undefined && !ipaddr.isValid(from)) {
        throw errors.validationFailed([
          { field: 'from', message: 'must be an IPv4 or IPv6 address' },
        ])
      }
      return canI(options.deps, principalOf(request), options.routes, {
        method: method.toUpperCase(),
        path: path.split(/[?#]/)[0] ?? path,
        from: from ?? request.ip,
      })
    },
  )
}
