import type { FastifyInstance, FastifyRequest } from 'fastify'
import { errors } from '../errors.ts'
import type { Principal } from './permissions.ts'
import { authenticateBearer, type TokensDeps } from './tokens.service.ts'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Reachable without a token (health check, token endpoint, OpenAPI documents). */
    public?: boolean
  }
  interface FastifyRequest {
    principal: Principal | null
  }
}

export const API_PREFIX = '/apiops/'

/**
 * Every request under /apiops/ carries a Bearer token unless its route is marked
 * public; unknown /apiops/ paths too, so a 404 never tells an anonymous caller which
 * routes exist.
 */
export function installBearerAuth(app: FastifyInstance, deps: TokensDeps): void {
  app.decorateRequest('principal', null)
  app.addHook('onRequest', async (request) => {
    if (!request.url.startsWith(API_PREFIX) && request.url !== '/apiops') return
    if (request.routeOptions.config.public) return
    if (request.headers.authorization === undefined) throw missingCredentialsError(request)
    request.principal = await authenticateBearer(deps, request.headers.authorization, request.ip)
  })
}

/** Names the mistake when the token was sent somewhere we deliberately never read it. */
function missingCredentialsError(request: FastifyRequest) {
  const query = request.url.split('?')[1] ?? ''
  if (/(^|&)(access_token|token|bearer)=/i.test(query)) {
    return errors.tokenInWrongPlace('the query string')
  }
  if (/(^|;\s*)(access_token|token)=/i.test(request.headers.cookie ?? '')) {
    return errors.tokenInWrongPlace('a cookie')
  }
  return errors.authorizationMissing()
}

export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw errors.authorizationMissing()
  return request.principal
}
