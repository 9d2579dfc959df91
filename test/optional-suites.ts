import { CHROMIUM, SKIP_BROWSER_TESTS } from './browser/chromium-path.ts'

/**
 * Says, before any test runs, which optional suites this run leaves out and the
 * variable (or package) that brings each in, so a short run is never mistaken for a
 * full one. In CI nothing is optional: helpers.ts fails instead of skipping.
 */
export default function announceOptionalSuites(): void {
  const off: string[] = []
  if (!process.env.APIOPS_TEST_PG_URL) {
    off.push(
      'PostgreSQL: every database test runs on SQLite only, and the cluster, fault and availability tests are skipped. To include them: APIOPS_TEST_PG_URL=postgres://postgres@127.0.0.1:5432/test',
    )
  }
  if (!process.env.APIOPS_TEST_REDIS_URL) {
    off.push(
      'Redis: the Redis-backed throttle and rate-limit tests are skipped. To include them: APIOPS_TEST_REDIS_URL=redis://127.0.0.1:6379',
    )
  }
  if (SKIP_BROWSER_TESTS) {
    off.push(
      `Chromium: not at ${CHROMIUM}, so the browser tests (test/browser) are skipped. To include them: apt-get install -y chromium, or APIOPS_CHROMIUM=<path>`,
    )
  }
  if (off.length > 0) {
    process.stdout.write(`\nThis run leaves out:\n${off.map((o) => `  - ${o}`).join('\n')}\n\n`)
  }
}
