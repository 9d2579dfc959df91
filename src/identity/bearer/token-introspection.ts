import { ApiError } from '../../errors.ts'
import type { Principal } from '../policy/permissions.ts'
import { expiryMs } from '../tokens/expiry.ts'
import * as repo from '../tokens/tokens.repository.ts'
import { authenticateBearer, type BearerDeps } from './bearer-check.ts'
import { CanaryTripped } from './canary.ts'
import { UsageRecorder } from './usage-recorder.ts'

/** RFC 7662 §2.2: what an active token's answer says; an inactive one says `active: false` only. */
export interface Introspection {
  active: true
  sub: string
  username: string
  client_id: string
  scope: string
  token_type: 'Bearer'
  iat: number
  exp?: number
  jti: string
}

/**
 * Asking about a token is not using it: no last-use time, no "new address" event with
 * the resource server's address. Everything else is the Bearer check's.
 */
class NotAUse extends UsageRecorder {
  override record(): void {}
}

/**
 * The Bearer check itself (the one every request runs, with the same cache, so a
 * revocation or a disabled owner is honoured here exactly when it is there: on every
 * node, at once), applied to a token someone else presents. Any refusal of it (unknown,
 * malformed, revoked, expired, owner disabled) is simply inactive.
 */
export async function introspectToken(
  deps: BearerDeps,
  token: string,
  clientIp: string,
  /** A canary presented for introspection has leaked as surely as one presented to us. */
  onCanary?: (tripped: CanaryTripped) => void,
): Promise<Introspection | undefined> {
  let principal: Principal
  try {
    principal = await authenticateBearer(
      { ...deps, usage: new NotAUse(deps.db, () => {}) },
      `Bearer ${token}`,
      clientIp,
    )
  } catch (error) {
    if (error instanceof CanaryTripped) onCanary?.(error)
    if (error instanceof ApiError) return undefined
    throw error
  }
  const tokenId = principal.tokenId as string
  const row = deps.cache.tokens.get(tokenId) ?? (await repo.findTokenById(deps.db, tokenId))
  if (!row) return undefined
  const exp = expiryMs(row.expires_at)
  return {
    active: true,
    sub: principal.userId,
    username: principal.username,
    // The user is the OAuth client of the token endpoint's client_credentials grant.
    client_id: principal.username,
    scope: [...principal.roles].sort().join(' '),
    token_type: 'Bearer',
    iat: Math.floor(Date.parse(row.created_at) / 1000),
    ...(Number.isFinite(exp) ? { exp: Math.floor(exp / 1000) } : {}),
    jti: row.id,
  }
}
