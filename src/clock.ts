/** Time as a dependency, so every expiry rule can be tested with a frozen clock. */
export interface Clock {
  now(): Date
  /** now().getTime() without making a Date: for the per-request hot path. */
  nowMs(): number
}

export const systemClock: Clock = { now: () => new Date(), nowMs: Date.now }
