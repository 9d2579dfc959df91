import { configDefaults, defineConfig } from 'vitest/config'
import { SKIP_BROWSER_TESTS } from './test/browser/chromium-path.ts'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Announced by test/optional-suites.ts; never skipped in CI.
    exclude: [...configDefaults.exclude, ...(SKIP_BROWSER_TESTS ? ['test/browser/**'] : [])],
    // The browser tests drive the built console: build it when missing or stale.
    globalSetup: ['test/optional-suites.ts', 'test/browser/global-setup.ts'],
    testTimeout: 30_000,
    // Setup hooks build several apps and migrate each one; with two workers on two
    // cores a loaded run once took past 30 s, so setup gets more room than a test.
    hookTimeout: 120_000,
    // Two cores here: more workers only contend for them (argon2 is CPU-bound).
    maxWorkers: 2,
  },
})
