import type { Clock } from '../../clock.ts'
import type {
  StoredRouting,
  StoredSettings,
} from '../../resources/proxies/settings/settings.model.ts'
import { type Balancer, createBalancer, type PoolView, type Usable } from './balancers.ts'
import { breakerConfig, CircuitBreaker, type TrippedCount } from './breaker.ts'
import { PassiveHealth } from './health.ts'
import { attemptPolicy } from './retry.ts'
import {
  type AttemptPolicy,
  type BreakerState,
  DEFAULT_TUNING,
  type HashKeySource,
  type Outcome,
  type Tuning,
  type UpstreamChooser,
} from './types.ts'

export { attemptPolicy, mayRetry } from './retry.ts'
export type {
  AttemptPolicy,
  BreakerState,
  HashKeySource,
  Outcome,
  Tuning,
  Upstream,
  UpstreamChooser,
  UpstreamChooserFactory,
  UpstreamTarget,
} from './types.ts'

/*
 * Upstream selection for one deployed proxy: its load-balancing algorithm over its
 * routing addresses, skipping the addresses the forwarder already tried (`excluded`),
 * those cooling down after consecutive connection failures, and those whose circuit
 * breaker is open. The forwarder reports every attempt's outcome exactly once.
 *
 * Addresses are taken as given: ${VAR} references must already be resolved for the
 * environment. The chooser ignores routingEnabled (the forwarder answers a disabled
 * route before choosing). One chooser per proxy per gateway node; state is node-local.
 */

const NOTHING: ReadonlySet<string> = new Set()

/**
 * One entry per address, in first-seen order, weights added up: reports name an
 * address, so two entries for one address could not be told apart.
 */
function distinct(
  list: StoredRouting['routingAddressList'],
): { address: string; weight: number }[] {
  const byAddress = new Map<string, { address: string; weight: number }>()
  for (const { address, weight } of list) {
    const seen = byAddress.get(address)
    if (seen) seen.weight += weight
    else byAddress.set(address, { address, weight })
  }
  return [...byAddress.values()]
}

class Chooser implements UpstreamChooser, PoolView {
  readonly size: number
  readonly weights: Int32Array
  readonly inFlight: Int32Array
  readonly lastPicked: Float64Array
  readonly hashKeySource: HashKeySource
  readonly policy: AttemptPolicy
  private readonly addresses: readonly string[]
  private readonly indexOf: Map<string, number>
  private readonly balancer: Balancer
  private readonly health: PassiveHealth
  private readonly breakers: CircuitBreaker[] | null
  private readonly tripped: TrippedCount = { count: 0 }
  private picks = 0
  // pick()'s arguments, read by `usable` (bound once, so picking allocates nothing).
  private excluded: ReadonlySet<string> = NOTHING
  private now = 0
  private readonly usable: Usable
  private readonly usableIgnoringCoolDown: Usable

  constructor(
    routing: StoredRouting,
    connection: StoredSettings['connection'],
    circuitBreaker: StoredSettings['circuitBreaker'],
    private readonly clock: Clock,
    tuning: Tuning,
  ) {
    const list = distinct(routing.routingAddressList)
    this.addresses = list.map((a) => a.address)
    this.size = list.length
    this.indexOf = new Map(this.addresses.map((address, i) => [address, i]))
    this.weights = Int32Array.from(list, (a) => a.weight)
    this.inFlight = new Int32Array(this.size)
    this.lastPicked = new Float64Array(this.size)
    this.health = new PassiveHealth(this.size, tuning.passiveFailures, tuning.coolDownMs)
    const config = breakerConfig(circuitBreaker, tuning.percentMinimumVolume)
    this.breakers = config
      ? this.addresses.map(() => new CircuitBreaker(config, this.tripped))
      : null
    this.balancer = createBalancer(routing.loadBalanceAlgorithm, this, tuning.random)
    this.hashKeySource =
      routing.loadBalanceAlgorithm === 'IP_HASH'
        ? 'client-ip'
        : routing.loadBalanceAlgorithm === 'URL_HASH'
          ? 'url'
          : null
    this.policy = attemptPolicy(connection, this.size)
    this.usableIgnoringCoolDown = (i) => {
      if (this.excluded.size > 0 && this.excluded.has(this.addresses[i] as string)) return false
      return this.tripped.count === 0 || this.breakerOf(i).admits(this.now)
    }
    this.usable = (i) =>
      (this.health.cooling === 0 || !this.health.isCooling(i, this.now)) &&
      this.usableIgnoringCoolDown(i)
  }

  pick(excluded: ReadonlySet<string>, hashKey?: string): string | undefined {
    if (this.size === 0) return undefined
    this.excluded = excluded
    // The clock is read only while an address cools down or a breaker is not closed.
    if (this.health.cooling > 0 || this.tripped.count > 0) this.now = this.clock.nowMs()
    let i = this.balancer.next(this.usable, hashKey)
    // Everything usable is cooling down: the address back soonest beats no answer at all.
    if (i < 0 && this.health.cooling > 0) i = this.health.soonestBack(this.usableIgnoringCoolDown)
    if (i < 0) {
      this.excluded = NOTHING
      return undefined
    }
    this.inFlight[i] = (this.inFlight[i] as number) + 1
    this.lastPicked[i] = ++this.picks
    if (this.tripped.count > 0) this.breakerOf(i).picked(this.now)
    this.excluded = NOTHING
    return this.addresses[i]
  }

  report(address: string, outcome: Outcome): void {
    const i = this.indexOf.get(address)
    if (i === undefined) return
    if (this.inFlight[i] as number) this.inFlight[i] = (this.inFlight[i] as number) - 1
    // An 'ok' with nothing cooling and no breakers (the common case) needs no clock.
    const needsTime = outcome !== 'ok' || this.health.cooling > 0 || this.breakers !== null
    const now = needsTime ? this.clock.nowMs() : 0
    this.health.record(i, outcome, now)
    if (this.breakers !== null) (this.breakers[i] as CircuitBreaker).record(outcome, now)
  }

  /** Only while tripped.count > 0, which implies breakers exist. */
  private breakerOf(i: number): CircuitBreaker {
    return (this.breakers as CircuitBreaker[])[i] as CircuitBreaker
  }

  breakerState(address: string): BreakerState {
    const i = this.indexOf.get(address)
    if (i === undefined || this.breakers === null) return 'closed'
    const breaker = this.breakers[i] as CircuitBreaker
    // Reading the state should show a finished sleep as half-open, as the next pick would.
    breaker.admits(this.clock.nowMs())
    return breaker.stateName
  }
}

export function createUpstreamChooser(
  routing: StoredRouting,
  connectionSettings: StoredSettings['connection'],
  circuitBreakerSettings: StoredSettings['circuitBreaker'],
  clock: Clock,
  tuning: Partial<Tuning> = {},
): UpstreamChooser {
  return new Chooser(routing, connectionSettings, circuitBreakerSettings, clock, {
    ...DEFAULT_TUNING,
    ...tuning,
  })
}
