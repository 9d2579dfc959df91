import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The browser tests drive the built console: build it when missing or stale.
    globalSetup: ['test/browser/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Two cores here: more workers only contend for them (argon2 is CPU-bound).
    maxWorkers: 2,
  },
})
