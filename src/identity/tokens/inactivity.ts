import type { TokenLifetimePolicy } from './lifetime-policy.ts'
import * as repo from './tokens.repository.ts'
import type { TokensDeps } from './tokens.service.ts'

/** What revoked_by holds for a token the inactivity rule revoked (no person did). */
export const REVOKED_FOR_INACTIVITY = 'policy:inactivity'
const DAY_MS = 86_400_000

/**
 * The inactivity rule: every live personal token unused for the policy's number of days
 * (never used: since it was made) is revoked. Every node may run this at once: only the
 * node whose update revoked a token announces and records it, so each is recorded once.
 */
export async function revokeInactiveTokens(
  deps: Pick<TokensDeps, 'db' | 'clock' | 'events' | 'audit'>,
  policy: TokenLifetimePolicy,
  /** The token presenting the request that runs this: in use now, whatever its row says. */
  inUse?: string,
): Promise<number> {
  if (policy.inactivityDays === 0) return 0
  const now = deps.clock.now()
  const cutoff = new Date(now.getTime() - policy.inactivityDays * DAY_MS)
  const stale = await repo.inactiveTokens(deps.db, {
    cutoff: cutoff.toISOString(),
    now: now.toISOString(),
  })
  let revoked = 0
  for (const token of stale) {
    if (token.id === inUse) continue
    if (!(await repo.markRevoked(deps.db, token.id, now.toISOString(), REVOKED_FOR_INACTIVITY))) {
      continue
    }
    revoked++
    await deps.events.publish({ type: 'token.revoked', tokenId: token.id })
    deps.audit.record('token.revokedInactive', {
      tokenId: token.id,
      owner: token.username,
      inactivityDays: policy.inactivityDays,
      lastUsedAt: token.last_used_at ?? 'never',
    })
  }
  return revoked
}

/** Runs the inactivity rule now and then every `everyMs`; returns the stop function. */
export function scheduleInactivitySweep(
  deps: Pick<TokensDeps, 'db' | 'clock' | 'events' | 'audit' | 'lifetimePolicy'>,
  options: {
    everyMs: number
    onRevoked: (count: number) => void
    onError: (error: unknown) => void
  },
): () => void {
  const sweep = () =>
    revokeInactiveTokens(deps, deps.lifetimePolicy()).then(
      (count) => count > 0 && options.onRevoked(count),
      options.onError,
    )
  void sweep()
  const timer = setInterval(sweep, options.everyMs)
  timer.unref()
  return () => clearInterval(timer)
}
