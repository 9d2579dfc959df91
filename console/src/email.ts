import type { Me, UserView } from './api.ts'

/*
 * Where a user's expiry reminders, inactivity warnings and canary alerts go (issue 14,
 * section 3): one address per user, set by the user on My Profile or by an administrator.
 */

type Send = <T>(method: string, path: string, body?: unknown) => Promise<T>

const seg = encodeURIComponent

export function emailCalls(send: Send) {
  return {
    /** null removes my address; the answer is GET /apiops/me/'s. */
    setMyEmail: (email: string | null) => send<Me>('PATCH', '/apiops/me/', { email }),
    setUserEmail: (u: string, email: string | null) =>
      send<UserView>('PATCH', `/apiops/users/${seg(u)}/`, { email }),
  }
}
