import type { ApiTokenRow } from '../../db/schema.ts'
import type { Principal } from '../policy/permissions.ts'
import { effectiveLimits } from '../tokens/token-limits.ts'
import type { Role } from '../users/roles.ts'
import type { CachedUser } from './auth-cache.ts'

/**
 * "Tokens inherit the permissions of the user who created them": a token carries no roles
 * of its own; whoever presents it acts with its owner's roles as they are now, so a role
 * granted or taken away applies to every token of that user at once. A narrowed token
 * keeps only those of its roles the owner still has (ROLE_ADMIN counting as every role):
 * a role taken from the owner leaves the token too, one granted later is not added.
 * Called once per token row and owner version (bearer-check.ts keeps the answer).
 */
export function permissionsOfTokenOwner(
  token: Pick<ApiTokenRow, 'id' | 'limits'>,
  owner: Pick<CachedUser, 'id' | 'username' | 'roles'>,
): Principal {
  const limits = effectiveLimits(token.limits)
  const subset = limits?.roles
  const roles = subset ? narrowed(owner.roles, subset) : owner.roles
  return {
    userId: owner.id,
    username: owner.username,
    roles,
    tokenId: token.id,
    via: 'token',
    limits,
  }
}

function narrowed(held: ReadonlySet<Role>, subset: readonly Role[]): ReadonlySet<Role> {
  const admin = held.has('ROLE_ADMIN')
  return new Set(subset.filter((role) => admin || held.has(role)))
}
