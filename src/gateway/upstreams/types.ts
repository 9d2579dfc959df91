/*
 * What the gateway's forwarder sees of upstream selection. The interface is shared with
 * the forwarder (src/gateway/upstream-chooser.ts holds the same shape until the merge).
 */

export interface UpstreamChooser {
  pick(excluded: Set<string>): string | undefined
  report(address: string, outcome: 'ok' | 'connect-error' | 'timeout' | 'status-5xx'): void
}

export type Outcome = Parameters<UpstreamChooser['report']>[1]

export type BreakerState = 'closed' | 'open' | 'half-open'

/** How many attempts one request may make, and how long each may take (0: no limit). */
export interface AttemptPolicy {
  /** Further attempts on the same address after a retryable failure (connection settings' retryCount). */
  sameAddressRetries: number
  /** Further attempts on other addresses (failoverRetryCount). */
  failovers: number
  connectTimeoutMs: number
  readTimeoutMs: number
}

/** What the hash algorithms need from the request; the forwarder passes it to pick(). */
export type HashKeySource = 'client-ip' | 'url' | null

export interface RoutingChooser extends UpstreamChooser {
  /** hashKey: the client IP (IP_HASH) or the request URL (URL_HASH); ignored by the others. */
  pick(excluded: Set<string>, hashKey?: string): string | undefined
  readonly hashKeySource: HashKeySource
  readonly policy: AttemptPolicy
  /** The breaker of one address ('closed' when breakers are off or the address is unknown). */
  breakerState(address: string): BreakerState
}

/** Knobs the documented settings do not name; the defaults are what the gateway uses. */
export interface Tuning {
  /** Consecutive connection failures or timeouts after which an address cools down. */
  passiveFailures: number
  coolDownMs: number
  /** A PERCENT breaker judges a window only once it holds this many outcomes. */
  percentMinimumVolume: number
  /** Uniform in [0, 1): RANDOM's source, injectable for tests. */
  random: () => number
}

export const DEFAULT_TUNING: Tuning = {
  passiveFailures: 3,
  coolDownMs: 10_000,
  percentMinimumVolume: 10,
  random: Math.random,
}
