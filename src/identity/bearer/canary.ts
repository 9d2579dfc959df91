import type { FastifyRequest } from 'fastify'
import { audited } from '../../audit/audit.hook.ts'
import type { AuditSink } from '../../audit/audit.recorder.ts'
import type { Clock } from '../../clock.ts'
import type { Queryable } from '../../db/types.ts'
import { ApiError, errors } from '../../errors.ts'
import type { CanaryAlerts } from '../tokens/canary-alerts.ts'
import { touchToken } from '../tokens/tokens.repository.ts'
import type { AuthCache } from './auth-cache.ts'

/*
 * A canary token grants nothing: whoever presents it gets the answer a revoked token
 * gets, so nothing tells them it was a trap, and its owner is alerted with the address,
 * user agent and path of every use.
 */

/** What the Bearer check throws for a canary: a revoked token's 401, saying which token. */
export class CanaryTripped extends ApiError {
  constructor(
    readonly tokenId: string,
    readonly userId: string,
  ) {
    const revoked = errors.tokenRevoked()
    super(revoked.code, revoked.description, revoked.extra)
  }
}

export interface CanaryDeps {
  db: Queryable
  clock: Clock
  cache: AuthCache
  audit: AuditSink
  canaryAlerts: CanaryAlerts
}

/** Records the alert (and the use, for the canary list) when `error` is a tripped canary. */
export function noticeCanary(deps: CanaryDeps, request: FastifyRequest, error: unknown): unknown {
  if (!(error instanceof CanaryTripped)) return error
  const owner = deps.cache.users.get(error.userId)
  const path = request.url.split('?')[0] ?? ''
  const userAgent = request.headers['user-agent'] ?? ''
  audited(request, deps).audit.record(
    'token.canaryTriggered',
    { tokenId: error.tokenId, method: request.method, path, userAgent },
    {
      outcome: 'failure',
      actor: { userId: error.userId, username: owner?.username ?? null, tokenId: error.tokenId },
    },
  )
  deps.canaryAlerts.raise(
    {
      tokenId: error.tokenId,
      userId: error.userId,
      username: owner?.username ?? '(unknown user)',
      address: request.ip,
      userAgent,
      method: request.method,
      path,
    },
    (err: unknown) => request.log.warn({ err }, 'could not alert the owner of a canary token'),
  )
  const at = new Date(deps.clock.nowMs()).toISOString()
  touchToken(deps.db, error.tokenId, at, request.ip).catch((err: unknown) =>
    request.log.warn({ err }, 'could not record the use of a canary token'),
  )
  return error
}
