import type { StoredSettings } from '../../resources/proxies/settings/settings.model.ts'
import type { BreakerState, Outcome } from './types.ts'

/*
 * The documented circuit breaker, one per address so a dead backend never stops traffic
 * to a healthy one. Closed: outcomes are counted over the last errorWindow seconds; when
 * the errors reach errorThresholdValue (a count, or a percentage of the window's
 * outcomes) the breaker opens. Open: the address gets nothing for sleepWindow seconds.
 * Then, with halfOpenEnabled, one trial request goes through (half-open): success closes
 * the breaker, failure opens it for another sleepWindow; without it, the breaker closes
 * with an empty window.
 *
 * The window is ten buckets, so counting is O(1) per outcome and memory does not grow
 * with the window's length.
 */

/** The documentation's example values, used where an enabled breaker leaves a field unset. */
const FALLBACK = { errorWindowS: 60, threshold: 5, sleepWindowS: 30, halfOpen: true }
const BUCKETS = 10

const CLOSED = 0
const OPEN = 1
const HALF_OPEN = 2
const STATES: readonly BreakerState[] = ['closed', 'open', 'half-open']

export interface BreakerConfig {
  windowMs: number
  threshold: number
  percent: boolean
  sleepMs: number
  halfOpen: boolean
  /** PERCENT only: fewer outcomes than this in the window never open the breaker. */
  minimumVolume: number
}

/** null when the breaker is off. */
export function breakerConfig(
  settings: StoredSettings['circuitBreaker'],
  minimumVolume: number,
): BreakerConfig | null {
  if (!settings.circuitBreakerEnabled) return null
  return {
    windowMs: (settings.errorWindow ?? FALLBACK.errorWindowS) * 1000,
    threshold: settings.errorThresholdValue ?? FALLBACK.threshold,
    percent: settings.enumErrorThresholdType === 'PERCENT',
    sleepMs: (settings.sleepWindow ?? FALLBACK.sleepWindowS) * 1000,
    halfOpen: settings.halfOpenEnabled ?? FALLBACK.halfOpen,
    minimumVolume,
  }
}

/** How many of a chooser's breakers are not closed: while none is, picking needs no clock. */
export interface TrippedCount {
  count: number
}

export class CircuitBreaker {
  private state = CLOSED
  private readonly errors = new Uint32Array(BUCKETS)
  private readonly totals = new Uint32Array(BUCKETS)
  private errorSum = 0
  private totalSum = 0
  /** Index (time / bucket width) of the newest bucket. */
  private head = 0
  private readonly bucketMs: number
  private openedAt = 0
  private probeAt = -1

  constructor(
    private readonly config: BreakerConfig,
    private readonly tripped: TrippedCount,
  ) {
    this.bucketMs = Math.max(1, Math.ceil(config.windowMs / BUCKETS))
  }

  get stateName(): BreakerState {
    return STATES[this.state] as BreakerState
  }

  /** Whether the address may be picked now; moves open to half-open (or closed) once the sleep is over. */
  admits(now: number): boolean {
    if (this.state === OPEN) {
      if (now - this.openedAt < this.config.sleepMs) return false
      if (this.config.halfOpen) {
        this.state = HALF_OPEN
        this.probeAt = -1
      } else {
        this.close(now)
      }
    }
    // A trial whose outcome never came back (the forwarder lost it) frees the slot after a sleep.
    return this.state === CLOSED || this.probeAt < 0 || now - this.probeAt >= this.config.sleepMs
  }

  /** The address was picked: in half-open, that request is the trial. */
  picked(now: number): void {
    if (this.state === HALF_OPEN) this.probeAt = now
  }

  record(outcome: Outcome, now: number): void {
    const failed = outcome !== 'ok'
    if (this.state === HALF_OPEN) {
      if (failed) this.open(now)
      else this.close(now)
      return
    }
    // Late outcomes of requests sent before the breaker opened change nothing.
    if (this.state === OPEN) return
    this.advance(now)
    const slot = this.head % BUCKETS
    this.totals[slot] = (this.totals[slot] as number) + 1
    this.totalSum++
    if (failed) {
      this.errors[slot] = (this.errors[slot] as number) + 1
      this.errorSum++
    }
    // A success can trip a PERCENT breaker too: the one that brings the minimum volume.
    if (this.trips()) this.open(now)
  }

  private trips(): boolean {
    const { threshold, percent, minimumVolume } = this.config
    if (!percent) return this.errorSum >= threshold
    return this.totalSum >= minimumVolume && this.errorSum * 100 >= threshold * this.totalSum
  }

  /** Drops the buckets that fell out of the window since the last outcome. */
  private advance(now: number): void {
    const current = Math.floor(now / this.bucketMs)
    if (current === this.head) return
    const steps = Math.min(BUCKETS, current - this.head)
    for (let i = 1; i <= steps; i++) {
      const slot = (this.head + i) % BUCKETS
      this.errorSum -= this.errors[slot] as number
      this.totalSum -= this.totals[slot] as number
      this.errors[slot] = 0
      this.totals[slot] = 0
    }
    this.head = current
  }

  private open(now: number): void {
    if (this.state === CLOSED) this.tripped.count++
    this.state = OPEN
    this.openedAt = now
    this.probeAt = -1
  }

  private close(now: number): void {
    if (this.state !== CLOSED) this.tripped.count--
    this.state = CLOSED
    this.errors.fill(0)
    this.totals.fill(0)
    this.errorSum = 0
    this.totalSum = 0
    this.head = Math.floor(now / this.bucketMs)
  }
}
