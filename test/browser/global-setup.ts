import { ensureConsoleBuilt } from '../../scripts/ensure-build.js'

/** The browser tests drive the built console: build it first when it is missing or stale. */
export default async function setup(): Promise<void> {
  const started = Date.now()
  if (await ensureConsoleBuilt()) {
    process.stdout.write(`console built for the browser tests in ${Date.now() - started} ms\n`)
  }
}
