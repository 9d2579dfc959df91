import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { errors } from '../../errors.ts'
import { errorResponses } from '../../http/schemas.ts'
import { knownAddressKey, rememberAddress } from '../sessions/trusted-clients.ts'
import type { LoginThrottle } from '../throttling/throttle.ts'
import { issueToken, type TokensDeps } from '../tokens/tokens.service.ts'
import { authenticatePassword } from '../users/users.service.ts'

export interface TokenEndpointOptions {
  deps: TokensDeps
  /** Lifetime of the minted token, in seconds. */
  ttlSeconds: number
  /** Failed-login counts shared with the console login (429 while locked out). */
  throttle: LoginThrottle
}

/** The seed's endpoint takes form fields only, and caps the body: 8 KiB is plenty. */
export const TOKEN_BODY_LIMIT = 8192
const FORM = 'application/x-www-form-urlencoded'
const PARAMETERS = ['grant_type', 'client_id', 'client_secret'] as const

interface ClientCredentials {
  username: string
  password: string
}

// --- The steps, in the order they run. Each one either passes or throws its error.

const FORM_ADVICE = `send form fields (Content-Type ${FORM}): grant_type=client_credentials&client_id=<username>&client_secret=<password>`

/** What every request without form fields hears, however it lacks them. */
const missingGrantType = () =>
  errors.invalidRequest(`Missing parameter grant_type; ${FORM_ADVICE}.`)

/**
 * Before the body is parsed: a request that is not a form gets the same plain advice
 * as an empty form (a body without a Content-Type is never read), and a JSON body is
 * told so, instead of hearing a parser's or a schema's error.
 */
async function requireFormBody(request: FastifyRequest): Promise<void> {
  const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? ''
  if (type === FORM) return
  if (type === '') throw missingGrantType()
  if (type === 'application/json' || type.endsWith('+json')) {
    throw errors.invalidRequest(`This endpoint takes form fields, not JSON: ${FORM_ADVICE}.`)
  }
  throw errors.unsupportedMediaType(type, FORM)
}

/** Every parameter at most once; RFC 6749 §3.2 forbids repeats. */
function readParameters(body: unknown): Partial<Record<(typeof PARAMETERS)[number], string>> {
  const form = (body ?? {}) as Record<string, unknown>
  const out: Partial<Record<(typeof PARAMETERS)[number], string>> = {}
  for (const name of PARAMETERS) {
    const value = form[name]
    if (Array.isArray(value))
      throw errors.invalidRequest(`Parameter ${name} is repeated; send it once.`)
    if (typeof value === 'string' && value !== '') out[name] = value
  }
  return out
}

function checkGrantType(grantType: string | undefined): void {
  if (grantType === undefined) throw missingGrantType()
  if (grantType !== 'client_credentials') throw errors.unsupportedGrantType()
}

/** RFC 6749 §2.3.1: each half of a Basic header is form-urlencoded before base64. */
function decodeBasic(header: string): ClientCredentials {
  const match = /^basic +([A-Za-z0-9+/]+={0,2})$/i.exec(header.trim())
  const decoded = match ? Buffer.from(match[1] as string, 'base64').toString('utf8') : ''
  const colon = decoded.indexOf(':')
  if (colon === -1) {
    throw errors.invalidRequest(
      'The Authorization header must be "Basic base64(client_id:client_secret)" on this endpoint.',
    )
  }
  const formDecode = (s: string) => decodeURIComponent(s.replaceAll('+', ' '))
  try {
    return {
      username: formDecode(decoded.slice(0, colon)),
      password: formDecode(decoded.slice(colon + 1)),
    }
  } catch {
    throw errors.invalidRequest(
      'The Basic credentials are not valid form-urlencoding (RFC 6749 §2.3.1).',
    )
  }
}

function resolveClientCredentials(
  authorization: string | undefined,
  params: ReturnType<typeof readParameters>,
): ClientCredentials {
  const inBody = params.client_id !== undefined || params.client_secret !== undefined
  if (authorization !== undefined) {
    if (inBody) {
      throw errors.invalidRequest(
        'Client credentials were sent both in the Authorization header and in the body; use one.',
      )
    }
    return decodeBasic(authorization)
  }
  if (params.client_id === undefined)
    throw errors.invalidRequest('Missing parameter client_id (your username).')
  if (params.client_secret === undefined) {
    throw errors.invalidRequest('Missing parameter client_secret (your password).')
  }
  return { username: params.client_id, password: params.client_secret }
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
      onRequest: requireFormBody,
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
      const params = readParameters(request.body)
      checkGrantType(params.grant_type)
      const credentials = resolveClientCredentials(request.headers.authorization, params)
      // An address this username logged in from lately is judged by its own count.
      const trustedKey = await knownAddressKey(deps, credentials.username, request.ip)
      const user = await throttle.attempt(
        { username: credentials.username, ip: request.ip, trustedKey },
        async () => {
          const found = await authenticatePassword(deps, credentials.username, credentials.password)
          if (!found) throw errors.badCredentials()
          return found
        },
      )
      const now = deps.clock.now()
      // Side by side: remembering the address adds no wait to the token's own write.
      const [{ token }] = await Promise.all([
        issueToken(deps, {
          userId: user.id,
          name: `Token endpoint ${now.toISOString().slice(0, 16).replace('T', ' ')} UTC`,
          source: 'api',
          expiresAt: new Date(Math.floor(now.getTime() / 1000) * 1000 + ttlSeconds * 1000),
        }),
        rememberAddress(deps, user.id, request.ip, request.log),
      ])
      reply.header('cache-control', 'no-store').header('pragma', 'no-cache')
      return { access_token: token, token_type: 'Bearer' as const, expires_in: ttlSeconds }
    },
  )
}
