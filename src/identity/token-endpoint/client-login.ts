import type { AuditSink } from '../../audit/audit.recorder.ts'
import type { LoginChannel } from '../../audit/events.ts'
import type { UserRow } from '../../db/schema.ts'
import { errors } from '../../errors.ts'
import { attemptLogin } from '../credentials/login-events.ts'
import { knownAddressKey } from '../sessions/trusted-clients.ts'
import type { LoginThrottle } from '../throttling/throttle.ts'
import type { TokensDeps } from '../tokens/tokens.service.ts'
import { authenticatePassword } from '../users/users.service.ts'
import type { ClientCredentials } from './client-credentials.ts'

/**
 * A client's username and password checked under the login throttle, whichever OAuth
 * endpoint they came to: the same lockouts and the same "Bad credentials" everywhere,
 * so no endpoint is a cheaper place to guess a password.
 */
export async function loginAsClient(
  deps: Pick<TokensDeps, 'db' | 'clock'>,
  how: { audit: AuditSink; throttle: LoginThrottle; channel: LoginChannel; ip: string },
  credentials: ClientCredentials,
): Promise<UserRow> {
  // An address this username logged in from lately is judged by its own count.
  const trustedKey = await knownAddressKey(deps, credentials.username, how.ip)
  return attemptLogin(
    how,
    how.channel,
    { username: credentials.username, ip: how.ip, trustedKey },
    async () => {
      const found = await authenticatePassword(deps, credentials.username, credentials.password)
      if (!found) throw errors.badCredentials()
      return found
    },
  )
}
