/*
 * The seam for choosing an upstream address. The gateway asks pick() before each
 * attempt (excluding the addresses that already failed this request) and reports how
 * each attempt went. This plain round robin is the placeholder; load balancing,
 * weights, passive health and the circuit breaker replace it behind the same factory.
 */

export type UpstreamOutcome = 'ok' | 'connect-error' | 'timeout' | 'status-5xx'

export interface UpstreamChooser {
  /** An address (origin + base path, e.g. http://10.0.0.1:8080/api) not in excluded, or undefined. */
  pick(excluded: ReadonlySet<string>): string | undefined
  report(address: string, outcome: UpstreamOutcome): void
}

/** What a chooser is built from: the deployed routing and the resolved addresses, in the same order. */
export interface ChooserInput {
  /** ROUND_ROBIN, WEIGHTED_ROUND_ROBIN, ... as stored; undefined when never set. */
  loadBalanceAlgorithm: string | undefined
  addresses: readonly { address: string; weight: number }[]
  /** The proxy's stored circuitBreaker setting, as deployed. */
  circuitBreaker: Readonly<Record<string, unknown>>
}

export type UpstreamChooserFactory = (input: ChooserInput) => UpstreamChooser

const NONE: ReadonlySet<string> = new Set()

export const createUpstreamChooser: UpstreamChooserFactory = (input) => {
  const list = input.addresses.map((a) => a.address)
  let next = 0
  return {
    pick(excluded = NONE) {
      for (let i = 0; i < list.length; i++) {
        const address = list[(next + i) % list.length] as string
        if (excluded.size === 0 || !excluded.has(address)) {
          next = (next + i + 1) % list.length
          return address
        }
      }
      return undefined
    },
    report() {},
  }
}
