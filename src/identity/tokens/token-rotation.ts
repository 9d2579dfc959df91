import type { Kysely } from 'kysely'
import type { Database } from '../../db/schema.ts'
import { errors } from '../../errors.ts'
import { authorize, type Principal } from '../policy/permissions.ts'
import { expiryFromColumn, expiryMs } from './expiry.ts'
import { rolesBoundBy, rotatedExpiry } from './lifetime-policy.ts'
import { tokenRoles } from './token-limits.ts'
import * as repo from './tokens.repository.ts'
import {
  announceAllTokensRevoked,
  type IssuedToken,
  issueToken,
  ownedToken,
  type TokenOwner,
  type TokensDeps,
  tokenStatus,
} from './tokens.service.ts'

/*
 * Rotation: a token's secret is replaced by a fresh token with the same name and the
 * same expiry instant (brought within the lifetime policy in force). The old one dies at once, or lives out a bounded grace period so
 * a pipeline can roll its secret without an outage. Presenting an already rotated token
 * to rotate it again means its secret is in two hands: as GitLab does, every token of
 * its rotation chain is revoked and the event is recorded.
 */

type RotationDeps = Pick<
  TokensDeps,
  'db' | 'clock' | 'events' | 'codec' | 'audit' | 'lifetimePolicy'
>

export interface RotationRequest {
  tokenId: string
  /** Who asked (user id), recorded as revoked_by. */
  rotatedBy: string
  /** 0 to MAX_GRACE_SECONDS. */
  graceSeconds: number
  /** The token the request presented (undefined: a console session or the CLI). */
  presentedTokenId: string | undefined
}

/**
 * Who may rotate which token. A token may rotate only itself: rotating another would let
 * a short-lived token (one hour, from the token endpoint) replace a never-expiring one and
 * hold its secret, outliving itself. A console session, opened with the password, may
 * rotate any of its user's tokens.
 */
export function assertMayRotate(principal: Principal, tokenId: string): void {
  if (principal.tokenId !== tokenId) authorize(principal, 'token.rotateOther')
}

export async function rotateToken(
  deps: RotationDeps,
  owner: TokenOwner,
  request: RotationRequest,
): Promise<IssuedToken> {
  const row = await ownedToken(deps, owner.id, request.tokenId)
  if (row.rotated_to !== null) {
    if (request.presentedTokenId === row.id) await revokeChain(deps, owner, row, request)
    throw errors.conflict(
      `Token '${row.id}' was already rotated into '${row.rotated_to}'; rotate that one instead.`,
    )
  }
  const now = deps.clock.now()
  const status = tokenStatus(row, now)
  if (status !== 'active')
    throw errors.conflict(`Token '${row.id}' is ${status}; only an active token can be rotated.`)
  const graceEndMs = Math.min(now.getTime() + request.graceSeconds * 1000, expiryMs(row.expires_at))
  const policy = deps.lifetimePolicy()
  const roles = await rolesBoundBy(policy, () => tokenRoles(deps.db, owner.id, row.limits))
  const expiresAt = rotatedExpiry(policy, roles, expiryFromColumn(row.expires_at), now)
  const issued = await deps.db.transaction().execute(async (trx) => {
    const fresh = await issueToken(
      { ...deps, db: trx as unknown as Kysely<Database> },
      {
        userId: owner.id,
        name: row.name,
        source: row.source,
        expiresAt,
        chainId: row.chain_id ?? row.id,
        // The new secret is exactly as narrow as the old one.
        limits: row.limits,
      },
    )
    const retired = await repo.markRotated(trx, row.id, {
      rotatedTo: fresh.view.id,
      at: now.toISOString(),
      by: request.rotatedBy,
      graceEndsAt: request.graceSeconds > 0 ? new Date(graceEndMs).toISOString() : null,
    })
    if (!retired) {
      throw errors.conflict(
        `Token '${row.id}' was revoked or rotated meanwhile; only an active token can be rotated.`,
      )
    }
    return fresh
  })
  // Every node drops the cached row: it is revoked, or its expiry is now the grace's end.
  await deps.events.publish({ type: 'token.revoked', tokenId: row.id })
  deps.audit.record('token.rotated', {
    tokenId: row.id,
    newTokenId: issued.view.id,
    owner: owner.username,
    graceSeconds: request.graceSeconds,
  })
  return issued
}

/** The rotated token was presented again: every token of its chain stops working. */
async function revokeChain(
  deps: RotationDeps,
  owner: TokenOwner,
  row: { id: string; chain_id: string | null },
  request: RotationRequest,
): Promise<void> {
  const chainId = row.chain_id ?? row.id
  const count = await repo.revokeChain(
    deps.db,
    owner.id,
    chainId,
    deps.clock.now().toISOString(),
    request.rotatedBy,
  )
  await announceAllTokensRevoked(deps, owner.id)
  deps.audit.record('token.rotationReused', {
    tokenId: row.id,
    chainId,
    owner: owner.username,
    count,
  })
}
