import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Principal } from '../policy/permissions.ts'
import { findTokenById } from '../tokens/tokens.repository.ts'
import type { BearerDeps } from './bearer-check.ts'

export const TOKEN_EXPIRES_HEADER = 'x-apiops-token-expires'

/**
 * The header's value per principal. The Bearer check makes one principal per cached token
 * and owner and hands the same object to every request until either changes, and a
 * token's expiry never changes, so the value is computed once per cached token, not per
 * request: what a request pays is one WeakMap lookup and the header.
 */
const values = new WeakMap<Principal, string>()

const headerValue = (expiresAt: string | null) =>
  expiresAt === null ? 'never' : new Date(expiresAt).toISOString()

/**
 * Runs right after authentication: an answer to a request made with a token says when
 * that token stops working (`never`, or an ISO date-time), as GitHub's expiry header does,
 * so a pipeline learns of a coming expiry from any call it already makes.
 */
export function withTokenExpiresHeader(
  deps: Pick<BearerDeps, 'db' | 'cache'>,
  next: (request: FastifyRequest, reply: FastifyReply) => void | Promise<void>,
): (request: FastifyRequest, reply: FastifyReply) => void | Promise<void> {
  const stampFromStore = async (request: FastifyRequest, reply: FastifyReply, p: Principal) => {
    const row = await findTokenById(deps.db, p.tokenId as string)
    if (row) {
      values.set(p, headerValue(row.expires_at))
      reply.header(TOKEN_EXPIRES_HEADER, values.get(p))
    }
    return next(request, reply)
  }
  return (request, reply) => {
    const principal = request.principal
    if (principal === null || principal.via !== 'token') return next(request, reply)
    let value = values.get(principal)
    if (value === undefined) {
      // Just authenticated, so the row is cached, unless a flood evicted it meanwhile.
      const row = deps.cache.tokens.get(principal.tokenId as string)
      if (row === undefined) return stampFromStore(request, reply, principal)
      value = headerValue(row.expires_at)
      values.set(principal, value)
    }
    reply.header(TOKEN_EXPIRES_HEADER, value)
    return next(request, reply)
  }
}
