/**
 * The console's one notion of "now": everything that says how soon something happens
 * (a token expiring in 3 days, tomorrow's date in a calendar) asks here, so the page and
 * a test that sets the browser's clock (Playwright's page.clock) agree on the instant.
 */
export function now(): Date {
  return new Date()
}
