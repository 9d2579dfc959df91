import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { beforeAll, describe, expect, it } from 'vitest'
import { ensureServerBuilt } from '../scripts/ensure-build.js'

/**
 * bin/v8-tuning.js turns V8's allocation-site pretenuring off (its comment says what
 * that cured). V8 has no API that reads a flag back, but with pretenuring on,
 * --trace-pretenuring-statistics prints a "pretenuring:" line at every scavenge that
 * found allocation sites. With it off, the trace prints nothing. Every process here
 * allocates enough to scavenge many times.
 */
const run = promisify(execFile)
const BIN = new URL('../bin/apiops.js', import.meta.url).pathname
const TUNING = new URL('../bin/v8-tuning.js', import.meta.url).href
const TRACE = '--trace-pretenuring-statistics'
/** Short-lived literals in bulk: scavenges with allocation sites to report. */
const ALLOCATE =
  'const keep = []; for (let i = 0; i < 300000; i++) { keep.push({ a: i, b: [i] }); if (keep.length > 50000) keep.length = 0 }'

async function traceLines(args: string[]): Promise<number> {
  const { stdout } = await run(process.execPath, args, { maxBuffer: 16 * 1024 * 1024 })
  return stdout.split('\n').filter((line) => line.includes('pretenuring:')).length
}

describe('V8 tuning', () => {
  // bin/apiops.js runs the compiled server.
  beforeAll(() => ensureServerBuilt(), 120_000)

  it('the trace shows pretenuring at work in a plain node process (so its silence means something)', async () => {
    expect(await traceLines([TRACE, '-e', ALLOCATE])).toBeGreaterThan(0)
  })

  it('the tuning module turns pretenuring off', async () => {
    expect(await traceLines([TRACE, '--import', TUNING, '-e', ALLOCATE])).toBe(0)
  })

  it('the apiops command loads it before anything else', async () => {
    // Loading every module of the compiled server scavenges dozens of times (44 without it).
    expect(await traceLines([TRACE, BIN, '--help'])).toBe(0)
  })
})
