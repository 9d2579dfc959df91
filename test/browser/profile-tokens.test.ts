import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { revokeToken } from '../../src/identity/tokens/tokens.service.ts'
import { launchChromium, openPage, realProblems, type Watched } from './chromium.ts'
import { myProfile, rowNames } from './profile.ts'
import { startServer, type TestServer } from './server.ts'

/**
 * My Profile's care of personal tokens (issue 14, sections 3, 4 and 7): tokens expiring
 * soon first and marked, rotation with a grace period, canary tokens apart. In Chromium
 * against a real server.
 */

let server: TestServer
let browser: Browser

beforeAll(async () => {
  ;[server, browser] = await Promise.all([startServer(), launchChromium()])
})

afterAll(async () => {
  await browser?.close()
  await server?.close()
})

const HOUR = 3_600_000
const DAY = 24 * HOUR

/** A page whose clock reads `at` (fixed), in UTC, so calendar days do not depend on the machine. */
async function pageAt(at: Date): Promise<Watched> {
  const w = await openPage(browser, { timezoneId: 'UTC' })
  await w.page.clock.setFixedTime(at)
  return w
}

/** The next noon UTC: every instant below is after the server's real now, so still active. */
function nextNoonUtc(): Date {
  const d = new Date()
  const noon = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), 12)
  return new Date(noon > d.getTime() ? noon : noon + DAY)
}

/** The "Expires" cell's mark of a row, or null when it has none. */
async function markOf(page: Page, name: string): Promise<string | null> {
  const badge = page
    .getByRole('region', { name: 'Active tokens' })
    .getByRole('row', { name: new RegExp(`^${name}\\b`) })
    .locator('td[data-label="Expires"] .badge')
  return (await badge.count()) === 0 ? null : badge.textContent()
}

describe('console: tokens expiring soon', () => {
  test('come first among active tokens, soonest first, each marked in words; the rest keep their order', async () => {
    const noon = nextNoonUtc()
    const nia = await server.user('nia')
    const make = async (name: string, expiresAt: Date | null) => {
      await server.cliToken(nia.id, name, expiresAt)
      // Distinct creation instants, so "newest first" is one order.
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
    await make('never-bot', null)
    await make('week-bot', new Date(noon.getTime() + 6 * DAY))
    await make('eight-day-bot', new Date(noon.getTime() + 8 * DAY))
    await make('three-day-bot', new Date(noon.getTime() + 3 * DAY + HOUR))
    await make('month-bot', new Date(noon.getTime() + 30 * DAY))
    // Valid through tomorrow (UTC): it stops at the midnight after tomorrow.
    await make('tomorrow-bot', new Date(noon.getTime() - 12 * HOUR + 2 * DAY))
    await make('today-bot', new Date(noon.getTime() + 2 * HOUR))
    const gone = await server.cliToken(nia.id, 'revoked-soon-bot', new Date(noon.getTime() + DAY))
    await revokeToken(server.services, nia, gone.view.id, nia.id)

    const w = await pageAt(noon)
    const { page } = w
    const section = await myProfile(page, server.url, 'nia')
    const active = section.getByRole('region', { name: 'Active tokens' })
    await active.getByRole('row', { name: /today-bot/ }).waitFor()
    expect(await rowNames(active)).toEqual([
      'today-bot',
      'tomorrow-bot',
      'three-day-bot',
      'week-bot',
      'month-bot',
      'eight-day-bot',
      'never-bot',
    ])
    expect(await markOf(page, 'today-bot')).toBe('Expires today')
    expect(await markOf(page, 'tomorrow-bot')).toBe('Expires tomorrow')
    expect(await markOf(page, 'three-day-bot')).toBe('Expires in 3 days')
    expect(await markOf(page, 'week-bot')).toBe('Expires in 6 days')
    for (const name of ['month-bot', 'eight-day-bot', 'never-bot']) {
      expect(await markOf(page, name)).toBeNull()
    }
    // The mark is part of the row's accessible name, and the expiry still reads as before.
    const tomorrow = active.getByRole('row', { name: /tomorrow-bot.*Expires tomorrow/ })
    const through = await tomorrow.locator('td[data-label="Expires"] > span').first().textContent()
    expect(through).toMatch(/^valid through .+ \(UTC\)$/)
    // A revoked token is not "expiring": it stays with the inactive ones, unmarked.
    const inactive = section.getByRole('region', { name: 'Revoked and expired' })
    expect(await rowNames(inactive)).toEqual(['revoked-soon-bot'])
    expect(await inactive.locator('.badge-warning').count()).toBe(0)

    // The console's "now" is the browser's clock: two days on, the eight-day token is soon.
    await page.clock.setFixedTime(new Date(noon.getTime() + 2 * DAY))
    await page.reload()
    await active.getByRole('row', { name: /eight-day-bot/ }).waitFor()
    expect(await markOf(page, 'eight-day-bot')).toBe('Expires in 6 days')
    expect(await markOf(page, 'three-day-bot')).toBe('Expires tomorrow')
    expect((await rowNames(active)).slice(-2)).toEqual(['month-bot', 'never-bot'])
    expect(realProblems(w)).toEqual([])
  })
})
