import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { beforeAll, describe, expect, it } from 'vitest'
import { ensureServerBuilt } from '../scripts/ensure-build.js'

/**
 * bin/v8-tuning.js turns V8's allocation-site pretenuring off unless
 * APIOPS_V8_PRETENURING=on (its comment and docs/performance.md say why). V8 has no API that reads a flag back, but with pretenuring
 * on, --trace-pretenuring-statistics prints a "pretenuring:" line at every scavenge that
 * found allocation sites; with it off, the trace prints nothing. Every process here
 * allocates enough to scavenge many times.
 */
const run = promisify(execFile)
const BIN = new URL('../bin/apiops.js', import.meta.url).pathname
const TUNING = new URL('../bin/v8-tuning.js', import.meta.url).href
const TRACE = '--trace-pretenuring-statistics'
/** Short-lived literals in bulk: scavenges with allocation sites to report. */
const ALLOCATE =
  'const keep = []; for (let i = 0; i < 300000; i++) { keep.push({ a: i, b: [i] }); if (keep.length > 50000) keep.length = 0 }'

/** The environment without the switch, plus `setting` when given. */
function envWith(setting: string | undefined): NodeJS.ProcessEnv {
  const env = { ...process.env }
  delete env.APIOPS_V8_PRETENURING
  if (setting !== undefined) env.APIOPS_V8_PRETENURING = setting
  return env
}

async function traceLines(args: string[], setting?: string): Promise<number> {
  const { stdout } = await run(process.execPath, args, {
    maxBuffer: 16 * 1024 * 1024,
    env: envWith(setting),
  })
  return stdout.split('\n').filter((line) => line.includes('pretenuring:')).length
}

describe('V8 tuning', () => {
  // bin/apiops.js runs the compiled server.
  beforeAll(() => ensureServerBuilt(), 120_000)

  it('the trace shows pretenuring at work in a plain node process (so its silence means something)', async () => {
    expect(await traceLines([TRACE, '-e', ALLOCATE])).toBeGreaterThan(0)
  })

  it('turns pretenuring off by default and with APIOPS_V8_PRETENURING=off (any case)', async () => {
    expect(await traceLines([TRACE, '--import', TUNING, '-e', ALLOCATE])).toBe(0)
    expect(await traceLines([TRACE, '--import', TUNING, '-e', ALLOCATE], 'off')).toBe(0)
    expect(await traceLines([TRACE, '--import', TUNING, '-e', ALLOCATE], 'OFF')).toBe(0)
  })

  it("leaves V8's pretenuring on with APIOPS_V8_PRETENURING=on", async () => {
    expect(await traceLines([TRACE, '--import', TUNING, '-e', ALLOCATE], 'on')).toBeGreaterThan(0)
  })

  it('refuses any other value before anything runs, as the configuration does', async () => {
    const failed = await run(process.execPath, [BIN, '--help'], {
      env: envWith('no'),
    }).catch((error) => error)
    expect(failed.code).toBe(2)
    expect(failed.stderr).toContain('APIOPS_V8_PRETENURING must be on or off (got "no")')
    expect(failed.stdout).toBe('')
  })

  it('the apiops command applies the switch before anything else', async () => {
    // Loading every module of the compiled server scavenges dozens of times.
    expect(await traceLines([TRACE, BIN, '--help'])).toBe(0)
    expect(await traceLines([TRACE, BIN, '--help'], 'on')).toBeGreaterThan(0)
  })
})
