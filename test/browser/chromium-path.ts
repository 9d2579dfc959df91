import { existsSync } from 'node:fs'

/** Debian's Chromium: no browser is ever downloaded. */
export const CHROMIUM = process.env.APIOPS_CHROMIUM ?? '/usr/bin/chromium'

/**
 * Outside CI a machine without Chromium skips the browser tests (and says so before
 * the run); in CI a missing browser fails the run instead, like a missing database.
 */
export const SKIP_BROWSER_TESTS = !existsSync(CHROMIUM) && !process.env.CI
