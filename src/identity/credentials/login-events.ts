import type { AuditSink } from '../../audit/audit.recorder.ts'
import type { LoginChannel } from '../../audit/events.ts'
import { ApiError } from '../../errors.ts'
import type { LoginClient, LoginThrottle } from '../throttling/throttle.ts'

/**
 * A password login under the throttle, recorded once, whichever door it came through
 * (the token endpoint, the console): a wrong password is login.failed, a refusal while
 * locked out login.locked, both under the username that was typed (the recorder keeps
 * it only if a user has it). The caller records login.succeeded, which names what the
 * login made.
 */
export async function attemptLogin<T>(
  deps: { audit: AuditSink; throttle: LoginThrottle },
  channel: LoginChannel,
  who: LoginClient,
  check: () => Promise<T>,
): Promise<T> {
  try {
    return await deps.throttle.attempt(who, check)
  } catch (error) {
    const code = error instanceof ApiError ? error.code : undefined
    const failed = { outcome: 'failure', attemptedUsername: who.username } as const
    if (code === 'unauthorized_client') deps.audit.record('login.failed', { channel }, failed)
    else if (code === 'rate_limit_exceeded') deps.audit.record('login.locked', { channel }, failed)
    throw error
  }
}
