/**
 * What upstream selection costs per request: ns per pick() (and per pick() + report())
 * for each algorithm over three addresses, and how many garbage collections the loop
 * triggered (none means the hot path allocates nothing that survives a scavenge trigger).
 *
 *   node --import tsx bench/upstreams.bench.ts [--picks 5000000]
 */
import { PerformanceObserver } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { systemClock } from '../src/clock.ts'
import { createUpstreamChooser } from '../src/gateway/upstreams/index.ts'
import { defaultSettings } from '../src/resources/proxies/settings/settings.model.ts'

const { values } = parseArgs({ options: { picks: { type: 'string', default: '5000000' } } })
const PICKS = Number(values.picks)
const ALGORITHMS = [
  'ROUND_ROBIN',
  'WEIGHTED',
  'LEAST_CONNECTIONS',
  'LRU',
  'RANDOM',
  'PICK_FIRST',
  'URL_HASH',
]
const NONE = new Set<string>()

let gcs = 0
new PerformanceObserver((list) => {
  gcs += list.getEntries().length
}).observe({ entryTypes: ['gc'] })

function chooserFor(algorithm: string, breaker: boolean) {
  const settings = defaultSettings()
  return createUpstreamChooser(
    {
      routingEnabled: true,
      loadBalanceAlgorithm: algorithm,
      routingAddressList: ['http://a:1', 'http://b:2', 'http://c:3'].map((address, i) => ({
        address,
        weight: 100 * (i + 1),
        healthCheckEnabled: false,
      })),
    },
    settings.connection,
    { ...settings.circuitBreaker, circuitBreakerEnabled: breaker },
    systemClock,
  )
}

async function measure(algorithm: string, withReport: boolean, breaker: boolean) {
  const chooser = chooserFor(algorithm, breaker)
  const key = '/orders/42'
  for (let i = 0; i < 100_000; i++) chooser.report(chooser.pick(NONE, key) as string, 'ok')
  // Let the warm-up's collections be counted before the measured loop starts.
  await new Promise((resolve) => setTimeout(resolve, 50))
  const before = gcs
  const start = process.hrtime.bigint()
  let sink = 0
  for (let i = 0; i < PICKS; i++) {
    const address = chooser.pick(NONE, key) as string
    sink += address.length
    if (withReport) chooser.report(address, 'ok')
  }
  const ns = Number(process.hrtime.bigint() - start) / PICKS
  await new Promise((resolve) => setTimeout(resolve, 50))
  if (sink === 0) throw new Error('unreachable')
  return { ns, gcs: gcs - before }
}

console.log(`${PICKS.toLocaleString('en')} picks each, three addresses, node ${process.version}`)
console.log('algorithm           breaker  pick ns  pick+report ns  GCs during pick+report')
for (const algorithm of ALGORITHMS) {
  for (const breaker of [false, true]) {
    const pick = await measure(algorithm, false, breaker)
    const both = await measure(algorithm, true, breaker)
    console.log(
      `${algorithm.padEnd(20)}${(breaker ? 'on' : 'off').padEnd(9)}${pick.ns.toFixed(1).padStart(7)}` +
        `${both.ns.toFixed(1).padStart(16)}${String(both.gcs).padStart(24)}`,
    )
  }
}
