import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { audited } from '../../audit/audit.hook.ts'
import { errors } from '../../errors.ts'
import { errorResponses } from '../../http/schemas.ts'
import { rememberAddress } from '../sessions/trusted-clients.ts'
import type { LoginThrottle } from '../throttling/throttle.ts'
import { cappedLifetimeSeconds, rolesBoundBy } from '../tokens/lifetime-policy.ts'
import { newTokenId } from '../tokens/token-format.ts'
import { issueToken, type TokensDeps } from '../tokens/tokens.service.ts'
import { rolesOf } from '../users/users.repository.ts'
import {
  FORM,
  readFormParameters,
  requireFormBody,
  resolveClientCredentials,
} from './client-credentials.ts'
import { loginAsClient } from './client-login.ts'

export interface TokenEndpointOptions {
  deps: TokensDeps
  /** Lifetime of the minted token, in seconds. */
  ttlSeconds: number
  /** Failed-login counts shared with the console login (429 while locked out). */
  throttle: LoginThrottle
}

/** The seed's endpoint takes form fields only, and caps the body: 8 KiB is plenty. */
export const TOKEN_BODY_LIMIT = 8192
const PARAMETERS = ['grant_type', 'client_id', 'client_secret'] as const

const FORM_ADVICE = `send form fields (Content-Type ${FORM}): grant_type=client_credentials&client_id=<username>&client_secret=<password>`

/**
 * The name of a token from this endpoint: unique (to the second, then the token's short
 * id, the one the console and the audit log show), so two made in one minute differ.
 */
export function endpointTokenName(now: Date, id: string): string {
  return `Token endpoint ${now.toISOString().slice(0, 19).replace('T', ' ')} UTC ${id.slice(0, 8)}`
}

/** What every request without form fields hears, however it lacks them. */
const missingGrantType = () =>
  errors.invalidRequest(`Missing parameter grant_type; ${FORM_ADVICE}.`)

function checkGrantType(grantType: string | undefined): void {
  if (grantType === undefined) throw missingGrantType()
  if (grantType !== 'client_credentials') throw errors.unsupportedGrantType()
}

export const tokenRoutes: FastifyPluginAsyncTypebox<TokenEndpointOptions> = async (
  app,
  { deps, ttlSeconds, throttle },
) => {
  app.post(
    '/apiops/auth/token',
    {
      config: { public: true },
      bodyLimit: TOKEN_BODY_LIMIT,
      onRequest: requireFormBody(missingGrantType, FORM_ADVICE),
      schema: {
        operationId: 'createTokenWithCredentials',
        tags: ['auth'],
        summary: 'Exchange a username and password for a personal API access token',
        description:
          'OAuth2 client_credentials with the user as client. Form fields, or HTTP Basic for the credentials.',
        security: [],
        consumes: [FORM],
        body: Type.Optional(
          Type.Object({
            grant_type: Type.Optional(Type.Unknown()),
            client_id: Type.Optional(Type.Unknown()),
            client_secret: Type.Optional(Type.Unknown()),
          }),
        ),
        response: {
          200: Type.Object({
            access_token: Type.String(),
            token_type: Type.Literal('Bearer'),
            expires_in: Type.Integer(),
          }),
          ...errorResponses(400, 401, 413, 415, 429, 503),
        },
      },
    },
    async (request, reply) => {
      const params = readFormParameters(request.body, PARAMETERS)
      checkGrantType(params.grant_type)
      const credentials = resolveClientCredentials(request.headers.authorization, params)
      const { audit } = audited(request, deps)
      const user = await loginAsClient(
        deps,
        { audit, throttle, channel: 'token_endpoint', ip: request.ip },
        credentials,
      )
      const now = deps.clock.now()
      const policy = deps.lifetimePolicy()
      const roles = await rolesBoundBy(policy, () => rolesOf(deps.db, user.id))
      const lifetime = cappedLifetimeSeconds(policy, roles, ttlSeconds, now)
      const id = newTokenId()
      // Side by side: remembering the address adds no wait to the token's own write.
      const [{ token, view }] = await Promise.all([
        issueToken(deps, {
          userId: user.id,
          id,
          name: endpointTokenName(now, id),
          source: 'api',
          expiresAt: new Date(Math.floor(now.getTime() / 1000) * 1000 + lifetime * 1000),
        }),
        rememberAddress(deps, user.id, request.ip, request.log),
      ])
      audit.record(
        'login.succeeded',
        { channel: 'token_endpoint', tokenId: view.id },
        { actor: { userId: user.id, username: user.username } },
      )
      reply.header('cache-control', 'no-store').header('pragma', 'no-cache')
      return { access_token: token, token_type: 'Bearer' as const, expires_in: lifetime }
    },
  )
}
