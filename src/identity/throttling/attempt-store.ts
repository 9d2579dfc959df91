import type { AttemptState, LockRule } from './lock-rule.ts'

/** A key and the rule its failures are counted by. */
export interface Entry {
  key: string
  rule: LockRule
}

export interface HitResult {
  /** The key's state after the call. */
  state: AttemptState
  /** When the lock in force just before this failure ends (0: the key was not locked). */
  lockedBefore: number
  /** False when `unlessLocked` found the key locked: nothing was counted. */
  counted: boolean
}

/**
 * Where the counts live. Every node must see the same store for the counts to add up,
 * and each operation on a key is atomic: it reads whether the key is locked and changes
 * it in one step, which is what keeps the budget exact with attempts settling in
 * parallel on several nodes (see throttle.ts).
 */
export interface AttemptStore {
  /** Each key's state now (expired counts read as none). */
  get(keys: readonly string[], now: number): Promise<AttemptState[]>
  /** Counts one failure; with `unlessLocked`, a key locked now is left as it is. */
  hit(entry: Entry, now: number, unlessLocked: boolean): Promise<HitResult>
  /** Forgets the key's count unless it is locked now; answers that lock's end, else 0. */
  clearUnlessLocked(key: string, now: number): Promise<number>
}

/** The store could not be reached: the caller must refuse (503), never skip the limit. */
export class StoreUnavailableError extends Error {
  constructor(cause: unknown) {
    super('the rate-limit store is unavailable', { cause })
    this.name = 'StoreUnavailableError'
  }
}
