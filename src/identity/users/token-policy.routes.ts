import { Type } from 'typebox'
import type { RouteApp } from '../../http/route-app.ts'
import { errorResponses } from '../../http/schemas.ts'
import { principalOf } from '../bearer/auth.hook.ts'
import { maxLifetimeOf } from '../tokens/lifetime-policy.ts'
import type { TokensDeps } from '../tokens/tokens.service.ts'
import { ROLES } from './roles.ts'

const TokenPolicySchema = Type.Object({
  neverExpiresAllowed: Type.Boolean(),
  maxDaysByRole: Type.Record(Type.String(), Type.Integer(), {
    description:
      "Longest lifetime in days per role; a token's maximum is the smallest among its roles",
  }),
  maxLifetimeDays: Type.Union([Type.Integer(), Type.Null()], {
    description: 'The maximum for a token carrying all my roles; null: none',
  }),
  inactivityDays: Type.Integer({
    description: 'Unused this many days, a token is revoked; 0: off',
  }),
})

/**
 * The lifetime rules my next token is held to, so the console and scripts can offer only
 * what will be accepted. Anyone signed in may read them: they are rules, not secrets.
 */
export function myTokenPolicyRoute(app: RouteApp, deps: Pick<TokensDeps, 'lifetimePolicy'>): void {
  app.get(
    '/apiops/me/token-policy/',
    {
      schema: {
        operationId: 'getMyTokenPolicy',
        tags: ['me'],
        summary: 'The token lifetime rules in force for me',
        response: { 200: TokenPolicySchema, ...errorResponses(401) },
      },
    },
    async (request) => {
      const policy = deps.lifetimePolicy()
      const me = principalOf(request)
      const roles = ROLES.filter((r) => me.roles.has(r))
      return {
        neverExpiresAllowed: policy.neverExpiresAllowed,
        maxDaysByRole: policy.maxDaysByRole,
        maxLifetimeDays: maxLifetimeOf(policy, roles)?.days ?? null,
        inactivityDays: policy.inactivityDays,
      }
    },
  )
}
