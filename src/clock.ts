/** Time as a dependency, so every expiry rule can be tested with a frozen clock. */
export interface Clock {
  now(): Date
}

export const systemClock: Clock = { now: () => new Date() }
