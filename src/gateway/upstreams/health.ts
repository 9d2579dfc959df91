import type { Outcome } from './types.ts'

/*
 * Passive health: an address whose connections fail (refused, reset, timed out) several
 * times in a row cools down, and pick() skips it while another address is usable. When
 * the cool-down ends it comes back on probation: one more failure cools it again, one
 * success clears it. A 5xx proves the address reachable, so it neither counts nor clears.
 */
export class PassiveHealth {
  private readonly failures: Uint32Array
  private readonly coolUntil: Float64Array
  /** Addresses cooling down now: zero lets pick() skip the clock entirely. */
  cooling = 0

  constructor(
    size: number,
    private readonly threshold: number,
    private readonly coolDownMs: number,
  ) {
    this.failures = new Uint32Array(size)
    this.coolUntil = new Float64Array(size)
  }

  isCooling(i: number, now: number): boolean {
    const until = this.coolUntil[i] as number
    if (until === 0) return false
    if (now < until) return true
    this.coolUntil[i] = 0
    this.cooling--
    this.failures[i] = this.threshold - 1
    return false
  }

  /** When the cooling address among `usable` ends its cool-down first, or -1: the last resort when all cool. */
  soonestBack(usable: (i: number) => boolean): number {
    let best = -1
    for (let i = 0; i < this.coolUntil.length; i++) {
      const until = this.coolUntil[i] as number
      if (until !== 0 && usable(i) && (best < 0 || until < (this.coolUntil[best] as number)))
        best = i
    }
    return best
  }

  record(i: number, outcome: Outcome, now: number): void {
    if (outcome === 'status-5xx') return
    if (outcome === 'ok') {
      this.failures[i] = 0
      if (this.coolUntil[i] !== 0) {
        this.coolUntil[i] = 0
        this.cooling--
      }
      return
    }
    const failures = (this.failures[i] as number) + 1
    if (failures < this.threshold) {
      this.failures[i] = failures
      return
    }
    this.failures[i] = 0
    if (this.coolUntil[i] === 0) this.cooling++
    this.coolUntil[i] = now + this.coolDownMs
  }
}
