import type { ApiTokenRow, TokenSource } from '../../db/schema.ts'
import { errors } from '../../errors.ts'
import { NEVER_EXPIRES } from './expiry.ts'
import * as repo from './tokens.repository.ts'
import { type IssuedToken, issueToken, type TokenOwner, type TokensDeps } from './tokens.service.ts'

/*
 * Canary tokens: made like any token (same format, same signature, never expiring, so
 * nothing tells them apart), stored with kind 'canary', listed apart from real tokens,
 * and refused on every use with an alert (identity/bearer/canary.ts). Disarming one
 * revokes it: from then on it is an ordinary revoked token, and raises nothing.
 */

export interface CanaryView {
  id: string
  name: string
  createdAt: string
  armed: boolean
  disarmedAt: string | null
  /** The last time someone presented it, and from where: null while it never leaked. */
  lastTriggeredAt: string | null
  lastTriggeredFrom: string | null
}

export interface IssuedCanary {
  token: string
  view: CanaryView
}

function canaryView(row: ApiTokenRow): CanaryView {
  return {
    id: row.id,
    name: row.name,
    createdAt: row.created_at,
    armed: row.revoked_at === null,
    disarmedAt: row.revoked_at,
    lastTriggeredAt: row.last_used_at,
    lastTriggeredFrom: row.last_used_ip,
  }
}

export async function createCanary(
  deps: Pick<TokensDeps, 'db' | 'clock' | 'codec' | 'audit'>,
  owner: TokenOwner,
  input: { name: string; source: TokenSource },
): Promise<IssuedCanary> {
  const issued: IssuedToken = await issueToken(deps, {
    userId: owner.id,
    name: input.name,
    source: input.source,
    expiresAt: NEVER_EXPIRES,
    kind: 'canary',
  })
  deps.audit.record('token.canaryCreated', {
    tokenId: issued.view.id,
    owner: owner.username,
    name: issued.view.name,
  })
  const row = await repo.findTokenById(deps.db, issued.view.id)
  if (!row) throw errors.notFound(`Canary token '${issued.view.id}'`)
  return { token: issued.token, view: canaryView(row) }
}

export async function listCanaries(
  deps: Pick<TokensDeps, 'db'>,
  ownerId: string,
): Promise<CanaryView[]> {
  return (await repo.canaryTokensOfUser(deps.db, ownerId)).map(canaryView)
}

/** Disarms (revokes) a canary of this owner; anything else is 404, as another's token is. */
export async function disarmCanary(
  deps: Pick<TokensDeps, 'db' | 'clock' | 'events' | 'audit'>,
  owner: TokenOwner,
  tokenId: string,
  disarmedBy: string,
): Promise<CanaryView> {
  const row = /^[0-9a-f]{32}$/.test(tokenId)
    ? await repo.findTokenById(deps.db, tokenId)
    : undefined
  if (!row || row.user_id !== owner.id || row.kind !== 'canary') {
    throw errors.notFound(`Canary token '${tokenId}'`)
  }
  if (await repo.markRevoked(deps.db, row.id, deps.clock.now().toISOString(), disarmedBy)) {
    await deps.events.publish({ type: 'token.revoked', tokenId: row.id })
    deps.audit.record('token.revoked', { tokenId: row.id, owner: owner.username })
  }
  return canaryView((await repo.findTokenById(deps.db, row.id)) ?? row)
}
