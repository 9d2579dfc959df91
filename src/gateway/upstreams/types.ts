import type { Clock } from '../../clock.ts'
import type {
  StoredRouting,
  StoredSettings,
} from '../../resources/proxies/settings/settings.model.ts'

/* What the gateway's forwarder sees of upstream selection: the one chooser interface. */

export type Outcome = 'ok' | 'connect-error' | 'timeout' | 'status-5xx'

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

export interface UpstreamChooser {
  /**
   * An address not in excluded, or undefined (every address excluded, cooling down past
   * hope or behind an open breaker). hashKey: the client IP (IP_HASH) or the request
   * URL (URL_HASH); ignored by the others. Every address returned is reported once.
   */
  pick(excluded: ReadonlySet<string>, hashKey?: string): string | undefined
  report(address: string, outcome: Outcome): void
  readonly hashKeySource: HashKeySource
  readonly policy: AttemptPolicy
  /** The breaker of one address ('closed' when breakers are off or the address is unknown). */
  breakerState(address: string): BreakerState
}

/** One address a chooser may name, split for the forwarder. */
export interface Upstream {
  /** As the chooser names it: the resolved address. */
  address: string
  origin: string
  /** The address's path without a trailing slash ('' for none). */
  basePath: string
}

/** Where a request may go: a chooser and the addresses it names. */
export interface UpstreamTarget {
  chooser: UpstreamChooser
  upstreams: ReadonlyMap<string, Upstream>
}

/** The seam the gateway builds its choosers through (createUpstreamChooser unless a test says otherwise). */
export type UpstreamChooserFactory = (
  routing: StoredRouting,
  connectionSettings: StoredSettings['connection'],
  circuitBreakerSettings: StoredSettings['circuitBreaker'],
  clock: Clock,
) => UpstreamChooser

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
