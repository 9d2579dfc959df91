import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { audited } from '../../audit/audit.hook.ts'
import { errors } from '../../errors.ts'
import { addressKey } from '../../http/client-address.ts'
import type { RouteApp } from '../../http/route-app.ts'
import { errorResponses } from '../../http/schemas.ts'
import { authenticateBearer, type BearerDeps } from '../bearer/bearer-check.ts'
import { type CanaryDeps, noticeCanary } from '../bearer/canary.ts'
import { introspectToken } from '../bearer/token-introspection.ts'
import { authorize, type Principal } from '../policy/permissions.ts'
import type { LoginThrottle } from '../throttling/throttle.ts'
import type { TokenRateLimiter } from '../throttling/token-rate-limit.ts'
import { revokePresentedToken } from '../tokens/tokens.revocation.ts'
import type { TokensDeps } from '../tokens/tokens.service.ts'
import { loadCachedUser } from '../users/users.service.ts'
import {
  FORM,
  readFormParameters,
  requireFormBody,
  resolveClientCredentials,
} from './client-credentials.ts'
import { loginAsClient } from './client-login.ts'
import { TOKEN_BODY_LIMIT } from './token-endpoint.routes.ts'

/*
 * The standard OAuth endpoints around the token endpoint: introspection (RFC 7662),
 * revocation (RFC 7009) and the metadata document that points at them (RFC 8414).
 */

export interface OAuthRoutesOptions {
  deps: TokensDeps & BearerDeps & Pick<CanaryDeps, 'canaryAlerts'>
  throttle: LoginThrottle
  /** Submissions to the revocation endpoint, counted per client address. */
  revocations: TokenRateLimiter
}

const PARAMETERS = ['token', 'token_type_hint', 'client_id', 'client_secret'] as const
const TOKEN_ADVICE = `send form fields (Content-Type ${FORM}): token=<the token>`
const missingToken = () => errors.invalidRequest(`Missing parameter token; ${TOKEN_ADVICE}.`)
const FormBody = Type.Optional(
  Type.Object(Object.fromEntries(PARAMETERS.map((p) => [p, Type.Optional(Type.Unknown())]))),
)
const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' }

const IntrospectionBody = Type.Object({
  active: Type.Boolean(),
  sub: Type.Optional(Type.String()),
  username: Type.Optional(Type.String()),
  client_id: Type.Optional(Type.String()),
  scope: Type.Optional(Type.String()),
  token_type: Type.Optional(Type.Literal('Bearer')),
  iat: Type.Optional(Type.Integer()),
  exp: Type.Optional(Type.Integer()),
  jti: Type.Optional(Type.String()),
})

const MetadataBody = Type.Object({
  issuer: Type.String(),
  token_endpoint: Type.String(),
  introspection_endpoint: Type.String(),
  revocation_endpoint: Type.String(),
  grant_types_supported: Type.Array(Type.String()),
  response_types_supported: Type.Array(Type.String()),
  token_endpoint_auth_methods_supported: Type.Array(Type.String()),
  introspection_endpoint_auth_methods_supported: Type.Array(Type.String()),
  revocation_endpoint_auth_methods_supported: Type.Array(Type.String()),
  service_documentation: Type.String(),
})

/**
 * The resource server asking: a Bearer token, or a username and password as the token
 * endpoint takes them (same throttle, same lockouts). Either way its user must hold
 * ROLE_TOKEN_INTROSPECTION (or ROLE_ADMIN).
 */
async function introspectionCaller(
  request: FastifyRequest,
  { deps, throttle }: OAuthRoutesOptions,
  params: Partial<Record<(typeof PARAMETERS)[number], string>>,
): Promise<Principal> {
  const authorization = request.headers.authorization
  if (authorization !== undefined && /^bearer(\s|$)/i.test(authorization)) {
    if (params.client_id !== undefined || params.client_secret !== undefined) {
      throw errors.invalidRequest('Send either a Bearer token or client credentials, not both.')
    }
    return authenticateBearer(deps, authorization, request.ip)
  }
  const credentials = resolveClientCredentials(authorization, params)
  const { audit } = audited(request, deps)
  const user = await loginAsClient(
    deps,
    { audit, throttle, channel: 'introspection', ip: request.ip },
    credentials,
  )
  const roles = (await loadCachedUser(deps, user.id))?.roles ?? new Set()
  // Proved with the password, as a console session is; it may introspect, nothing more.
  return { userId: user.id, username: user.username, roles, tokenId: undefined, via: 'session' }
}

export const oauthRoutes: FastifyPluginAsyncTypebox<OAuthRoutesOptions> = async (app, options) => {
  introspectRoute(app, options)
  revokeRoute(app, options)
  metadataRoute(app)
}

const formOnly = requireFormBody(missingToken, TOKEN_ADVICE)

function introspectRoute(app: RouteApp, options: OAuthRoutesOptions): void {
  app.post(
    '/apiops/auth/introspect',
    {
      config: { public: true },
      bodyLimit: TOKEN_BODY_LIMIT,
      onRequest: formOnly,
      schema: {
        operationId: 'introspectToken',
        tags: ['auth'],
        summary: 'Is this token active, and whose is it? (RFC 7662)',
        description:
          'For resource servers. The caller authenticates with HTTP Basic or form client_id/client_secret (username and password, as at the token endpoint), or with a Bearer token; its user needs ROLE_TOKEN_INTROSPECTION or ROLE_ADMIN. A revoked, expired, unknown or malformed token, or one whose owner is disabled, answers {"active": false} and nothing else. token_type_hint is accepted and ignored (RFC 7662 §2.1: the type is detected).',
        security: [],
        consumes: [FORM],
        body: FormBody,
        response: {
          200: IntrospectionBody,
          ...errorResponses(400, 401, 403, 413, 415, 429, 503),
        },
      },
    },
    async (request, reply) => {
      const params = readFormParameters(request.body, PARAMETERS)
      const caller = await introspectionCaller(request, options, params)
      request.principal = caller
      authorize(caller, 'token.introspect')
      if (params.token === undefined) throw missingToken()
      reply.headers(NO_STORE)
      const seen = await introspectToken(options.deps, params.token, request.ip, (tripped) =>
        noticeCanary(options.deps, request, tripped),
      )
      return seen ?? { active: false }
    },
  )
}

function revokeRoute(app: RouteApp, { deps, revocations }: OAuthRoutesOptions): void {
  app.post(
    '/apiops/auth/revoke',
    {
      config: { public: true },
      bodyLimit: TOKEN_BODY_LIMIT,
      onRequest: formOnly,
      schema: {
        operationId: 'revokePresentedToken',
        tags: ['auth'],
        summary: 'Revoke the token sent (RFC 7009); no credentials needed',
        description:
          'Whoever holds a token may revoke it: its owner, or anyone who found it leaked. Credentials, if sent, are not needed and not checked. Answers 200 whether or not the token existed or was alive (RFC 7009 §2.2). token_type_hint is accepted and ignored (§2.1). Limited per client address (429).',
        security: [],
        consumes: [FORM],
        body: FormBody,
        response: { 200: Type.Object({}), ...errorResponses(400, 413, 415, 429, 503) },
      },
    },
    async (request, reply) => {
      const decision = await revocations.take(`revoke:${addressKey(request.ip)}`)
      if (decision && !decision.allowed) {
        throw errors.rateLimited(
          decision.retryAfter,
          `This address may submit ${decision.limit} tokens per minute for revocation`,
        )
      }
      const params = readFormParameters(request.body, PARAMETERS)
      if (params.token === undefined) throw missingToken()
      await revokePresentedToken(audited(request, deps), params.token)
      reply.headers(NO_STORE)
      return {}
    },
  )
}

function metadataRoute(app: RouteApp): void {
  app.get(
    '/.well-known/oauth-authorization-server',
    {
      config: { public: true },
      schema: {
        operationId: 'oauthAuthorizationServerMetadata',
        tags: ['auth'],
        summary: 'OAuth 2.0 authorization server metadata (RFC 8414)',
        security: [],
        response: { 200: MetadataBody },
      },
    },
    async (request) => metadata(`${request.protocol}://${request.host}`),
  )
}

/**
 * The issuer is where the client reached us (behind a proxy: what X-Forwarded-Proto and
 * -Host say, when APIOPS_TRUST_PROXY trusts it), since RFC 8414 §3.3 has clients
 * compare it with the address they asked.
 */
function metadata(issuer: string) {
  const secretMethods = ['client_secret_basic', 'client_secret_post']
  return {
    issuer,
    token_endpoint: `${issuer}/apiops/auth/token`,
    introspection_endpoint: `${issuer}/apiops/auth/introspect`,
    revocation_endpoint: `${issuer}/apiops/auth/revoke`,
    grant_types_supported: ['client_credentials'],
    // No authorization endpoint: RFC 8414 requires the member; it lists none.
    response_types_supported: [],
    token_endpoint_auth_methods_supported: secretMethods,
    introspection_endpoint_auth_methods_supported: [...secretMethods, 'bearer'],
    revocation_endpoint_auth_methods_supported: ['none', ...secretMethods],
    service_documentation: `${issuer}/apiops/openapi`,
  }
}
