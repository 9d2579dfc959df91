import type { ApiTokenRow } from '../../db/schema.ts'
import type { Principal } from '../policy/permissions.ts'
import type { CachedUser } from './auth-cache.ts'

/**
 * "Tokens inherit the permissions of the user who created them": a token carries no roles
 * of its own; whoever presents it acts with its owner's roles as they are now, so a role
 * granted or taken away applies to every token of that user at once.
 */
export function permissionsOfTokenOwner(
  token: Pick<ApiTokenRow, 'id'>,
  owner: Pick<CachedUser, 'id' | 'username' | 'roles'>,
): Principal {
  return {
    userId: owner.id,
    username: owner.username,
    roles: owner.roles,
    tokenId: token.id,
    via: 'token',
  }
}
