import { describe, expect, it } from 'vitest'
import { createUpstreamChooser, mayRetry, type Outcome } from '../src/gateway/upstreams/index.ts'
import { attemptPolicy } from '../src/gateway/upstreams/retry.ts'
import {
  defaultSettings,
  type StoredSettings,
} from '../src/resources/proxies/settings/settings.model.ts'
import { FrozenClock } from './helpers.ts'

/*
 * Upstream selection, in-process with a frozen clock: no sockets, because the chooser
 * only ever sees addresses and the outcomes the forwarder reports.
 */

const A = 'http://a.test'
const B = 'http://b.test'
const C = 'http://c.test'
const NONE = new Set<string>()

type Breaker = StoredSettings['circuitBreaker']

function chooser(
  algorithm: string | undefined,
  addresses: [string, number][],
  options: {
    breaker?: Partial<Breaker>
    connection?: Partial<StoredSettings['connection']>
    clock?: FrozenClock
    random?: () => number
  } = {},
) {
  const settings = defaultSettings()
  const clock = options.clock ?? new FrozenClock()
  const routing = {
    routingEnabled: true,
    ...(algorithm ? { loadBalanceAlgorithm: algorithm } : {}),
    routingAddressList: addresses.map(([address, weight]) => ({
      address,
      weight,
      healthCheckEnabled: false,
    })),
  }
  const chosen = createUpstreamChooser(
    routing,
    { ...settings.connection, ...options.connection },
    { ...settings.circuitBreaker, ...options.breaker },
    clock,
    options.random ? { random: options.random } : {},
  )
  return { chosen, clock }
}

/** n picks, each reported 'ok' at once (as a sequential client would). */
function picks(c: ReturnType<typeof chooser>['chosen'], n: number, key?: string): string[] {
  return Array.from({ length: n }, () => {
    const address = c.pick(NONE, key) as string
    c.report(address, 'ok')
    return address
  })
}

function counts(list: string[]): Record<string, number> {
  const out: Record<string, number> = {}
  for (const a of list) out[a] = (out[a] ?? 0) + 1
  return out
}

const even: [string, number][] = [
  [A, 100],
  [B, 100],
  [C, 100],
]

describe('load-balancing algorithms', () => {
  it('ROUND_ROBIN (and no algorithm at all) takes the addresses in turn', () => {
    for (const algorithm of ['ROUND_ROBIN', undefined]) {
      const { chosen } = chooser(algorithm, even)
      expect(picks(chosen, 6)).toEqual([A, B, C, A, B, C])
    }
  })

  it.each(['WEIGHTED', 'WEIGHTED_ROUND_ROBIN'])(
    '%s gives each address exactly its weight per cycle, interleaved',
    (algorithm) => {
      const { chosen } = chooser(algorithm, [
        [A, 5],
        [B, 1],
        [C, 1],
      ])
      // nginx's smooth weighted round robin: the sequence its source documents.
      expect(picks(chosen, 7)).toEqual([A, A, B, A, C, A, A])
      const { chosen: other } = chooser(algorithm, [
        [A, 300],
        [B, 200],
        [C, 7],
      ])
      expect(counts(picks(other, 507 * 3))).toEqual({ [A]: 900, [B]: 600, [C]: 21 })
    },
  )

  it('WEIGHTED treats weight 0 as a backup used only when no weighted address is usable', () => {
    const { chosen } = chooser('WEIGHTED', [
      [A, 1],
      [B, 0],
    ])
    expect(picks(chosen, 3)).toEqual([A, A, A])
    expect(chosen.pick(new Set([A]))).toBe(B)
  })

  it('LEAST_CONNECTIONS picks the address with the fewest requests in flight', () => {
    const { chosen } = chooser('LEAST_CONNECTIONS', even)
    expect([chosen.pick(NONE), chosen.pick(NONE), chosen.pick(NONE)]).toEqual([A, B, C])
    chosen.report(B, 'ok')
    expect(chosen.pick(NONE)).toBe(B)
    chosen.report(A, 'ok')
    chosen.report(C, 'ok')
    // A and C now tie at zero: the tie goes round robin from the last pick (B), so C.
    expect(chosen.pick(NONE)).toBe(C)
    expect(chosen.pick(NONE)).toBe(A)
  })

  it('LRU picks the address used longest ago', () => {
    const { chosen } = chooser('LRU', even)
    expect(picks(chosen, 3)).toEqual([A, B, C])
    // B is skipped once, so after A and C it is the least recently used.
    expect(chosen.pick(new Set([A]))).toBe(B)
    expect(picks(chosen, 3)).toEqual([A, C, B])
  })

  it('RANDOM spreads evenly and follows its random source', () => {
    const { chosen } = chooser('RANDOM', even, { random: () => 0.5 })
    expect(picks(chosen, 2)).toEqual([B, B])
    // A small LCG: deterministic, well spread.
    let seed = 42
    const lcg = () => {
      seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0
      return seed / 0x1_0000_0000
    }
    const { chosen: spread } = chooser('RANDOM', even, { random: lcg })
    const got = counts(picks(spread, 3000))
    for (const address of [A, B, C]) {
      expect(got[address]).toBeGreaterThan(900)
      expect(got[address]).toBeLessThan(1100)
    }
  })

  it('PICK_FIRST sends everything to the first usable address, in list order', () => {
    const { chosen } = chooser('PICK_FIRST', even)
    expect(picks(chosen, 3)).toEqual([A, A, A])
    expect(chosen.pick(new Set([A]))).toBe(B)
    expect(chosen.pick(new Set([A, B]))).toBe(C)
    expect(chosen.pick(new Set([A, B, C]))).toBeUndefined()
  })

  it.each([
    ['IP_HASH', 'client-ip'],
    ['URL_HASH', 'url'],
  ])('%s keeps one key on one address and says which key it needs', (algorithm, source) => {
    const { chosen } = chooser(algorithm, even)
    expect(chosen.hashKeySource).toBe(source)
    const keys = Array.from({ length: 60 }, (_, i) => `10.0.0.${i}`)
    const first = keys.map((key) => picks(chosen, 1, key)[0])
    expect(keys.map((key) => picks(chosen, 1, key)[0])).toEqual(first)
    expect(Object.keys(counts(first as string[])).sort()).toEqual([A, B, C])
    // The key's address excluded: the next one in list order, every time.
    const home = first[0] as string
    const next = [B, C, A][[A, B, C].indexOf(home)]
    expect(chosen.pick(new Set([home]), keys[0])).toBe(next)
    // No key passed: round robin rather than one address for everything.
    const { chosen: keyless } = chooser(algorithm, even)
    expect(picks(keyless, 3)).toEqual([A, B, C])
  })

  it('the other algorithms need no key', () => {
    expect(chooser('ROUND_ROBIN', even).chosen.hashKeySource).toBeNull()
  })

  it('an address listed twice is one address with the weights added up', () => {
    const { chosen } = chooser('WEIGHTED', [
      [A, 1],
      [B, 1],
      [A, 2],
    ])
    expect(counts(picks(chosen, 8))).toEqual({ [A]: 6, [B]: 2 })
    // Reports name the address, so a cool-down covers every listing of it.
    const { chosen: twice } = chooser('ROUND_ROBIN', [
      [A, 1],
      [B, 1],
      [A, 1],
    ])
    for (let i = 0; i < 3; i++) twice.report(A, 'connect-error')
    expect(picks(twice, 3)).toEqual([B, B, B])
  })

  it('no addresses: nothing to pick', () => {
    expect(chooser('ROUND_ROBIN', []).chosen.pick(NONE)).toBeUndefined()
  })
})

describe('failover', () => {
  it('skips the addresses already tried, in the algorithm order, until none is left', () => {
    const { chosen } = chooser('ROUND_ROBIN', even)
    const tried = new Set<string>()
    const order: (string | undefined)[] = []
    for (let i = 0; i < 4; i++) {
      const address = chosen.pick(tried)
      order.push(address)
      if (address) {
        chosen.report(address, 'connect-error')
        tried.add(address)
      }
    }
    expect(order).toEqual([A, B, C, undefined])
    // The rotation goes on from where failover left it.
    expect(chosen.pick(NONE)).toBe(A)
  })

  it('reports of unknown addresses change nothing', () => {
    const { chosen } = chooser('ROUND_ROBIN', [[A, 1]])
    chosen.report('http://elsewhere.test', 'connect-error')
    expect(chosen.pick(NONE)).toBe(A)
  })
})

describe('passive health', () => {
  const failing = (c: ReturnType<typeof chooser>['chosen'], address: string, n: number) => {
    for (let i = 0; i < n; i++) c.report(address, 'connect-error')
  }

  it('cools an address down after three connection failures in a row, for ten seconds', () => {
    const { chosen, clock } = chooser('ROUND_ROBIN', [
      [A, 1],
      [B, 1],
    ])
    failing(chosen, A, 2)
    chosen.report(A, 'ok') // the run is broken: counting starts again
    failing(chosen, A, 2)
    expect(picks(chosen, 2)).toEqual([A, B])
    chosen.report(A, 'timeout')
    failing(chosen, A, 2)
    expect(picks(chosen, 4)).toEqual([B, B, B, B])
    clock.advance(9_999)
    expect(picks(chosen, 1)).toEqual([B])
    clock.advance(1)
    expect(picks(chosen, 2)).toEqual([A, B])
  })

  it('a 5xx neither counts as a connection failure nor clears one', () => {
    const { chosen } = chooser('ROUND_ROBIN', [
      [A, 1],
      [B, 1],
    ])
    failing(chosen, A, 2)
    for (let i = 0; i < 5; i++) chosen.report(A, 'status-5xx')
    expect(chosen.pick(NONE)).toBe(A)
    failing(chosen, A, 1)
    expect([chosen.pick(NONE), chosen.pick(NONE)]).toEqual([B, B])
  })

  it('after its cool-down an address is on probation: one more failure cools it again', () => {
    const { chosen, clock } = chooser('PICK_FIRST', [
      [A, 1],
      [B, 1],
    ])
    failing(chosen, A, 3)
    clock.advance(10_000)
    expect(chosen.pick(NONE)).toBe(A)
    chosen.report(A, 'connect-error')
    expect(chosen.pick(NONE)).toBe(B)
    clock.advance(10_000)
    expect(chosen.pick(NONE)).toBe(A)
    chosen.report(A, 'ok')
    failing(chosen, A, 2)
    expect(chosen.pick(NONE)).toBe(A)
  })

  it('when every address cools down, the one back soonest is still tried', () => {
    const { chosen, clock } = chooser('ROUND_ROBIN', [
      [A, 1],
      [B, 1],
    ])
    failing(chosen, A, 3)
    clock.advance(1_000)
    failing(chosen, B, 3)
    expect(chosen.pick(NONE)).toBe(A)
    expect(chosen.pick(new Set([A]))).toBe(B)
  })
})

describe('circuit breaker', () => {
  const countBreaker = {
    circuitBreakerEnabled: true,
    errorWindow: 10,
    errorThresholdValue: 3,
    enumErrorThresholdType: 'COUNT',
    sleepWindow: 5,
    halfOpenEnabled: true,
  } as const

  const fail = (c: ReturnType<typeof chooser>['chosen'], n: number, outcome: Outcome) => {
    for (let i = 0; i < n; i++) {
      const address = c.pick(NONE) as string
      c.report(address, outcome)
    }
  }

  it('opens at the error count, sleeps, lets one trial through half-open, and closes on success', () => {
    const { chosen, clock } = chooser('ROUND_ROBIN', [[A, 1]], { breaker: countBreaker })
    fail(chosen, 2, 'status-5xx')
    expect(chosen.breakerState(A)).toBe('closed')
    fail(chosen, 1, 'status-5xx')
    expect(chosen.breakerState(A)).toBe('open')
    expect(chosen.pick(NONE)).toBeUndefined()
    clock.advance(4_999)
    expect(chosen.pick(NONE)).toBeUndefined()
    clock.advance(1)
    expect(chosen.breakerState(A)).toBe('half-open')
    expect(chosen.pick(NONE)).toBe(A)
    expect(chosen.pick(NONE)).toBeUndefined() // one trial at a time
    chosen.report(A, 'timeout')
    expect(chosen.breakerState(A)).toBe('open')
    clock.advance(5_000)
    expect(chosen.pick(NONE)).toBe(A)
    chosen.report(A, 'ok')
    expect(chosen.breakerState(A)).toBe('closed')
    expect(picks(chosen, 3)).toEqual([A, A, A])
    // Closing empties the window: two more errors do not reopen it.
    fail(chosen, 2, 'status-5xx')
    expect(chosen.breakerState(A)).toBe('closed')
  })

  it('counts errors only within the error window', () => {
    const { chosen, clock } = chooser('ROUND_ROBIN', [[A, 1]], { breaker: countBreaker })
    fail(chosen, 2, 'status-5xx')
    clock.advance(11_000)
    fail(chosen, 2, 'status-5xx')
    expect(chosen.breakerState(A)).toBe('closed')
    clock.advance(5_000)
    fail(chosen, 1, 'status-5xx')
    expect(chosen.breakerState(A)).toBe('open')
  })

  it('PERCENT opens at the error share once the window holds ten outcomes', () => {
    const { chosen } = chooser('ROUND_ROBIN', [[A, 1]], {
      breaker: { ...countBreaker, enumErrorThresholdType: 'PERCENT', errorThresholdValue: 50 },
    })
    fail(chosen, 8, 'status-5xx')
    expect(chosen.breakerState(A)).toBe('closed') // 100%, but only 8 outcomes
    fail(chosen, 1, 'ok')
    expect(chosen.breakerState(A)).toBe('closed')
    fail(chosen, 1, 'ok')
    expect(chosen.breakerState(A)).toBe('open') // 8 of 10
    const { chosen: healthy } = chooser('ROUND_ROBIN', [[A, 1]], {
      breaker: { ...countBreaker, enumErrorThresholdType: 'PERCENT', errorThresholdValue: 50 },
    })
    fail(healthy, 6, 'ok')
    fail(healthy, 4, 'status-5xx')
    expect(healthy.breakerState(A)).toBe('closed') // 40%
    fail(healthy, 1, 'status-5xx')
    expect(healthy.breakerState(A)).toBe('closed') // 5 of 11: 45%
    fail(healthy, 1, 'status-5xx')
    expect(healthy.breakerState(A)).toBe('open') // 6 of 12: 50%
  })

  it('without half-open, closes outright when the sleep is over', () => {
    const { chosen, clock } = chooser('ROUND_ROBIN', [[A, 1]], {
      breaker: { ...countBreaker, halfOpenEnabled: false },
    })
    fail(chosen, 3, 'status-5xx')
    clock.advance(5_000)
    expect(chosen.breakerState(A)).toBe('closed')
    expect([chosen.pick(NONE), chosen.pick(NONE)]).toEqual([A, A])
  })

  it('is per address: an open breaker sends the traffic to the others', () => {
    const { chosen } = chooser(
      'ROUND_ROBIN',
      [
        [A, 1],
        [B, 1],
      ],
      { breaker: countBreaker },
    )
    for (let i = 0; i < 3; i++) chosen.report(A, 'status-5xx')
    expect(chosen.breakerState(B)).toBe('closed')
    expect(picks(chosen, 3)).toEqual([B, B, B])
  })

  it('an enabled breaker with unset fields uses the documented example: 5 errors in 60 s, 30 s sleep', () => {
    const { chosen, clock } = chooser('ROUND_ROBIN', [[A, 1]], {
      breaker: { circuitBreakerEnabled: true },
    })
    fail(chosen, 4, 'status-5xx')
    clock.advance(59_000)
    fail(chosen, 1, 'status-5xx')
    expect(chosen.breakerState(A)).toBe('open')
    clock.advance(29_999)
    expect(chosen.pick(NONE)).toBeUndefined()
    clock.advance(1)
    expect(chosen.breakerState(A)).toBe('half-open')
  })

  it('off by default: errors never open it', () => {
    const { chosen } = chooser('ROUND_ROBIN', [[A, 1]])
    fail(chosen, 50, 'status-5xx')
    expect(chosen.breakerState(A)).toBe('closed')
    expect(chosen.pick(NONE)).toBe(A)
  })
})

describe('retries', () => {
  it.each([
    // Never sent: safe for any method.
    ['POST', false, 'connect-error', true],
    ['POST', false, 'timeout', true],
    ['GET', false, 'connect-error', true],
    // Sent: only an idempotent method, only after a connection error.
    ['GET', true, 'connect-error', true],
    ['put', true, 'connect-error', true],
    ['DELETE', true, 'connect-error', true],
    ['POST', true, 'connect-error', false],
    ['PATCH', true, 'connect-error', false],
    ['GET', true, 'timeout', false],
    // An answer is never retried.
    ['GET', true, 'status-5xx', false],
    ['GET', false, 'status-5xx', false],
    ['GET', true, 'ok', false],
  ] as const)('%s, sent %s, %s: retry %s', (method, sent, outcome, expected) => {
    expect(mayRetry(method, sent, outcome)).toBe(expected)
  })

  it('the attempt budget follows the connection settings, with the documented defaults', () => {
    const connection = defaultSettings().connection
    expect(attemptPolicy(connection, 3)).toEqual({
      sameAddressRetries: 0,
      failovers: 2,
      connectTimeoutMs: 30_000,
      readTimeoutMs: 60_000,
    })
    const { chosen } = chooser('ROUND_ROBIN', even, {
      connection: { retryCount: 2, failoverRetryCount: 1, connectTimeout: 5, readTimeout: 0 },
    })
    expect(chosen.policy).toEqual({
      sameAddressRetries: 2,
      failovers: 1,
      connectTimeoutMs: 5_000,
      readTimeoutMs: 0,
    })
  })
})
