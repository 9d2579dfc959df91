import { timingSafeEqual } from 'node:crypto'
import { ApiError, errors } from '../../errors.ts'
import * as repo from './tokens.repository.ts'
import type { TokensDeps } from './tokens.service.ts'

/*
 * Revocations that name no token id: a token string whoever holds it hands in (RFC 7009),
 * and every token issued before an instant (after a breach, a departure, a key leak).
 */

function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

/**
 * Revokes the token if it is one of ours and not dead already; says whether it did.
 * Holding the string is the proof, so the owner's state does not matter: a leaked token
 * of a disabled user is revoked too, and stays dead if the user is enabled again.
 * Anything that is not a token of ours is no error (RFC 7009 §2.2): nothing happens.
 */
export async function revokePresentedToken(
  deps: Pick<TokensDeps, 'db' | 'clock' | 'events' | 'codec' | 'audit'>,
  token: string,
): Promise<boolean> {
  const now = deps.clock.now()
  let verified: ReturnType<TokensDeps['codec']['verify']>
  try {
    // Signature, claims and time: an expired token is dead already.
    verified = deps.codec.verify(token, now)
  } catch (error) {
    if (error instanceof ApiError) return false
    throw error
  }
  const { claims, key, hash } = verified
  const row = await repo.findTokenById(deps.db, claims.jti)
  if (!row || row.user_id !== claims.sub || row.kid !== key.kid) return false
  if (!sameHash(row.token_hash, hash)) return false
  if (!(await repo.markRevoked(deps.db, row.id, now.toISOString(), row.user_id))) return false
  await deps.events.publish({ type: 'token.revoked', tokenId: row.id })
  const owner = await repo.ownerName(deps.db, row.user_id)
  deps.audit.record(
    'token.revokedByPresenter',
    { tokenId: row.id, owner: owner ?? row.user_id },
    { actor: { userId: row.user_id, username: owner ?? null, tokenId: row.id } },
  )
  return true
}

/**
 * An instant as an administrator gives it: an ISO 8601 date-time with a time zone, not
 * in the future (a later instant would read as "and every token made until then", which
 * a one-off revocation cannot keep). Absent means now.
 */
export function parseBefore(value: string | undefined, now: Date): Date {
  if (value === undefined) return now
  const shape = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/
  const parsed = shape.test(value) ? new Date(value) : undefined
  if (!parsed || Number.isNaN(parsed.getTime())) {
    throw errors.validationFailed([
      { field: 'before', message: 'must be an ISO 8601 date-time with a time zone' },
    ])
  }
  if (parsed.getTime() > now.getTime()) {
    throw errors.validationFailed([{ field: 'before', message: 'must not be in the future' }])
  }
  return parsed
}

/**
 * Revokes every live token issued strictly before `before`: of one user, or of everyone
 * (owner undefined); canaries stay armed, as with revoke-all. Every node drops the tokens from its cache before this returns
 * (one user: that user's tokens; everyone: the whole cache).
 */
export async function revokeTokensIssuedBefore(
  deps: Pick<TokensDeps, 'db' | 'clock' | 'events' | 'audit'>,
  owner: { id: string; username: string } | undefined,
  before: Date,
  revokedBy: string,
): Promise<number> {
  const count = await repo.markLiveRevoked(deps.db, {
    userId: owner?.id,
    issuedBefore: before.toISOString(),
    at: deps.clock.now().toISOString(),
    by: revokedBy,
  })
  await deps.events.publish(
    owner ? { type: 'user.tokens-revoked', userId: owner.id } : { type: 'cache.flush' },
  )
  deps.audit.record('token.revokedBefore', {
    owner: owner?.username ?? '*',
    before: before.toISOString(),
    count,
  })
  return count
}
