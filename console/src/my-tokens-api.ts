import type { IssuedToken, TokenLimitsInput, TokenView } from './api.ts'
import { type TokenPolicy, tokenLists } from './token-policy.ts'

/*
 * My Profile's calls on my own tokens: personal tokens (made, rotated, revoked) and
 * canary tokens, which the server keeps at their own paths, apart.
 */

/** A canary token: it grants nothing, and every use of it raises an alert. */
export interface CanaryView {
  id: string
  name: string
  createdAt: string
  /** false once disarmed: it then raises nothing. */
  armed: boolean
  disarmedAt: string | null
  /** The last time someone presented it, and from where: null while it never leaked. */
  lastTriggeredAt: string | null
  lastTriggeredFrom: string | null
}

/** The one answer that holds a canary's secret: kept in component state only. */
export interface IssuedCanary extends CanaryView {
  token: string
}

/** The most a grace period may last (src/identity/tokens/tokens.schemas.ts). */
export const MAX_GRACE_SECONDS = 86_400

type Send = <T>(method: string, path: string, body?: unknown) => Promise<T>
type List = <T>(path: string) => Promise<T[]>

const seg = encodeURIComponent

export function myTokenCalls(send: Send, list: List) {
  return {
    /** My tokens; the token endpoint's short-lived ones only when asked for. */
    myTokens: (shortLived = false) => tokenLists(list, '/apiops/me/tokens/', shortLived),
    tokenPolicy: () => send<TokenPolicy>('GET', '/apiops/me/token-policy/'),
    createToken: (name: string, expiresAt: string | null, limits: TokenLimitsInput = {}) =>
      send<IssuedToken>('POST', '/apiops/me/tokens/', { name, expiresAt, ...limits }),
    revokeMyToken: (id: string) => send<TokenView>('DELETE', `/apiops/me/tokens/${seg(id)}/`),
    /** A new secret for the token; the old one works `graceSeconds` more (0: stops now). */
    rotateMyToken: (id: string, graceSeconds: number) =>
      send<IssuedToken>('POST', `/apiops/me/tokens/${seg(id)}/rotate/`, { graceSeconds }),

    myCanaries: () => list<CanaryView>('/apiops/me/canary-tokens/'),
    createCanary: (name: string) =>
      send<IssuedCanary>('POST', '/apiops/me/canary-tokens/', { name }),
    /** Disarming revokes it: from then on it is refused like any revoked token, silently. */
    disarmCanary: (id: string) =>
      send<CanaryView>('DELETE', `/apiops/me/canary-tokens/${seg(id)}/`),
  }
}
