import type { UserRow } from '../../db/schema.ts'
import { ApiError, errors } from '../../errors.ts'
import { authorize, type Principal } from '../policy/permissions.ts'
import { deleteSessionsOfUser } from '../sessions/sessions.repository.ts'
import { sessionKey } from '../sessions/trusted-clients.ts'
import type { LoginThrottle } from '../throttling/throttle.ts'
import { markLiveRevoked } from '../tokens/tokens.repository.ts'
import { announceAllTokensRevoked } from '../tokens/tokens.service.ts'
import { updateUser } from '../users/users.repository.ts'
import {
  announceUserChanged,
  authenticatePassword,
  checkPassword,
  requireUser,
  type UsersDeps,
} from '../users/users.service.ts'
import { hashPassword } from './passwords.ts'

/**
 * Password changes: an administrator's reset (API and CLI) and a person's own change in
 * the console. A new password is usually set because the old one may be known to
 * someone else, who may also hold a token or a session made with it; so by default the
 * change also revokes every live token of the user and ends their console sessions, in
 * the same transaction, and only an explicit choice keeps them.
 */

export interface PasswordChange {
  /** Live tokens of the user revoked with the change (0 when they were kept). */
  revokedTokenCount: number
  /** Console sessions of the user ended with the change (0 when they were kept). */
  endedSessionCount: number
}

interface ChangeOptions {
  revokeTokens: boolean
  /** Recorded as the revoker of the tokens. */
  revokedBy: string
  /** The session making the change stays, so its person is not signed out of the page. */
  keepSessionId?: string | undefined
}

async function replacePassword(
  deps: UsersDeps,
  user: UserRow,
  password: string,
  options: ChangeOptions,
): Promise<PasswordChange> {
  const passwordHash = await hashPassword(password)
  const now = deps.clock.now().toISOString()
  const change = await deps.db.transaction().execute(async (trx) => {
    await updateUser(trx, user.id, { password_hash: passwordHash, updated_at: now })
    if (!options.revokeTokens) return { revokedTokenCount: 0, endedSessionCount: 0 }
    return {
      revokedTokenCount: await markLiveRevoked(trx, {
        userId: user.id,
        at: now,
        by: options.revokedBy,
      }),
      endedSessionCount: await deleteSessionsOfUser(trx, user.id, options.keepSessionId),
    }
  })
  // Sessions are read from the database on every request; tokens and users are cached.
  if (options.revokeTokens) await announceAllTokensRevoked(deps, user.id)
  await announceUserChanged(deps, user.id)
  return change
}

/**
 * An administrator (or the CLI, when `actor` is absent) sets a user's password. A token
 * may not set its own user's password: with it, it could mint tokens and outlive itself.
 */
export async function resetPassword(
  deps: UsersDeps,
  username: string,
  password: string,
  options: { revokeTokens: boolean; actor?: Principal; keepSessionId?: string | undefined },
): Promise<PasswordChange> {
  checkPassword(password)
  const user = await requireUser(deps, username)
  const { actor } = options
  if (actor && actor.userId === user.id) authorize(actor, 'password.changeOwn')
  const change = await replacePassword(deps, user, password, {
    revokeTokens: options.revokeTokens,
    revokedBy: actor?.userId ?? user.id,
    keepSessionId: options.keepSessionId,
  })
  deps.audit.record('password.reset', { username, revokeTokens: options.revokeTokens })
  return change
}

/**
 * A person changes their own password from a console session. The current password is
 * checked under the login throttle, so this cannot serve to guess it faster than a login
 * could, yet a wrong one ends nothing, so a typo does not sign anyone out. The session
 * was opened with the password, so it is a trusted client with its own count (like a
 * device cookie): strangers who keep the username locked do not stop its owner from
 * changing the password, and a stolen session gets only that count's few guesses.
 */
export async function changeOwnPassword(
  deps: UsersDeps,
  throttle: LoginThrottle,
  me: Principal,
  input: { currentPassword: string; newPassword: string; revokeTokens: boolean },
  context: { ip: string; sessionId: string | undefined },
): Promise<PasswordChange> {
  authorize(me, 'password.changeOwn')
  if (context.sessionId === undefined) throw errors.tokenCannotChangePassword()
  checkPassword(input.newPassword, 'newPassword')
  let user: UserRow
  try {
    const client = {
      username: me.username,
      ip: context.ip,
      trustedKey: sessionKey(context.sessionId),
    }
    user = await throttle.attempt(client, async () => {
      const found = await authenticatePassword(deps, me.username, input.currentPassword)
      if (!found) throw errors.badCredentials()
      return found
    })
  } catch (error) {
    if (error instanceof ApiError && error.code === 'unauthorized_client') {
      throw errors.currentPasswordWrong()
    }
    throw error
  }
  const change = await replacePassword(deps, user, input.newPassword, {
    revokeTokens: input.revokeTokens,
    revokedBy: me.userId,
    keepSessionId: context.sessionId,
  })
  deps.audit.record('password.changed', {
    username: me.username,
    revokeTokens: input.revokeTokens,
  })
  return change
}
