import type { Browser, Locator, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { listCanaries } from '../../src/identity/tokens/canary.service.ts'
import { findTokenById } from '../../src/identity/tokens/tokens.repository.ts'
import { revokeToken } from '../../src/identity/tokens/tokens.service.ts'
import { launchChromium, openPage, realProblems, type Watched } from './chromium.ts'
import { finishReveal, myProfile, rowNames } from './profile.ts'
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

/** Open Rotate on a token's row, choose a grace period, and rotate; answers the reveal. */
async function rotate(
  page: Page,
  row: Locator,
  name: string,
  grace: string | RegExp,
  minutes?: string,
) {
  await row.getByRole('button', { name: `Rotate ${name}` }).click()
  const form = page.getByRole('dialog', { name: 'Rotate token' })
  await form.getByText(/old and the new token both work/).waitFor()
  expect(await form.getByLabel('No grace: the old token stops now').isChecked()).toBe(true)
  await form.getByLabel(grace).check()
  if (minutes !== undefined) await form.getByLabel(/Minutes of grace/).fill(minutes)
  await form.getByRole('button', { name: 'Rotate token' }).click()
  return form
}

/** A time of day as the console writes it in this page's locale and zone. */
const written = (page: Page, iso: string) =>
  page.evaluate(
    (at) => new Intl.DateTimeFormat(undefined, { timeStyle: 'short' }).format(new Date(at)),
    iso,
  )

/** The old token's end, as the server keeps it: within seconds of now plus the grace. */
async function graceEndOf(id: string, seconds: number): Promise<string> {
  const end = (await findTokenById(server.services.db, id))?.expires_at ?? ''
  expect(Math.abs(Date.parse(end) - Date.now() - seconds * 1000)).toBeLessThan(15_000)
  return end
}

describe('console: rotating a token with a grace period', () => {
  test('1 hour of grace: the new secret is shown held; the old row says when it ends, both work meanwhile', async () => {
    const omar = await server.user('omar')
    const old = await server.cliToken(omar.id, 'pipeline-bot')
    const w = await openPage(browser)
    const { page } = w
    const section = await myProfile(page, server.url, 'omar')
    const active = section.getByRole('region', { name: 'Active tokens' })
    await rotate(page, active.getByRole('row', { name: /pipeline-bot/ }), 'pipeline-bot', '1 hour')

    const reveal = page.getByRole('dialog', { name: 'Copy your new token' })
    await reveal.getByText(/was rotated: its old secret keeps working until/).waitFor()
    await page.keyboard.press('Escape')
    await page.mouse.click(5, 5)
    expect(await reveal.isVisible()).toBe(true)
    const fresh = await reveal.getByLabel(/Token/).inputValue()
    expect(fresh).toMatch(/^eyJ/)
    expect(fresh).not.toBe(old.token)
    expect(await server.hello(fresh)).toBe(200)
    expect(await server.hello(old.token)).toBe(200)
    await finishReveal(reveal)

    const end = await graceEndOf(old.view.id, 3600)
    const oldRow = active.getByRole('row', { name: new RegExp(old.view.id.slice(0, 8)) })
    const mark = `Rotated: ends at ${await written(page, end)} (grace)`
    await oldRow.getByText(mark).waitFor()
    await page
      .getByRole('status')
      .getByText(/its old secret keeps working until/)
      .waitFor()
    // The old token, ending soonest, comes first; only the new one can be rotated again.
    expect(await rowNames(active)).toEqual(['pipeline-bot', 'pipeline-bot'])
    expect(await active.locator('tbody tr').first().textContent()).toContain(mark)
    expect(await oldRow.getByRole('button', { name: /Rotate/ }).count()).toBe(0)
    expect(await active.getByRole('button', { name: 'Rotate pipeline-bot' }).count()).toBe(1)
    expect(realProblems(w)).toEqual([])
  })

  test('no grace: the old token stops at once and leaves the active list; a custom grace is checked, then kept', async () => {
    const pia = await server.user('pia')
    const old = await server.cliToken(pia.id, 'deploy-bot')
    const other = await server.cliToken(pia.id, 'report-bot')
    const w = await openPage(browser)
    const { page } = w
    const section = await myProfile(page, server.url, 'pia')
    const active = section.getByRole('region', { name: 'Active tokens' })
    await rotate(page, active.getByRole('row', { name: /deploy-bot/ }), 'deploy-bot', /No grace/)
    const reveal = page.getByRole('dialog', { name: 'Copy your new token' })
    await reveal.getByText(/its old secret stopped working/).waitFor()
    const fresh = await reveal.getByLabel(/Token/).inputValue()
    await finishReveal(reveal)
    expect(await server.hello(old.token)).toBe(401)
    expect(await server.hello(fresh)).toBe(200)
    const inactive = section.getByRole('region', { name: 'Revoked and expired' })
    await inactive.getByRole('row', { name: /deploy-bot/ }).waitFor()
    expect((await rowNames(active)).sort()).toEqual(['deploy-bot', 'report-bot'])

    // Custom minutes: out of range is refused in the dialog, and nothing is rotated.
    const row = active.getByRole('row', { name: /report-bot/ })
    const form = await rotate(page, row, 'report-bot', 'Custom, in minutes', '1441')
    const minutes = form.getByLabel(/Minutes of grace/)
    await form.getByText('Enter whole minutes from 0 to 1,440 (24 hours).').waitFor()
    expect(await minutes.getAttribute('aria-invalid')).toBe('true')
    expect(await minutes.evaluate((el) => el === document.activeElement)).toBe(true)
    expect((await findTokenById(server.services.db, other.view.id))?.rotated_to).toBeNull()
    await minutes.fill('90')
    await form.getByRole('button', { name: 'Rotate token' }).click()
    await finishReveal(page.getByRole('dialog', { name: 'Copy your new token' }))
    const end = await graceEndOf(other.view.id, 90 * 60)
    await active
      .getByRole('row', { name: new RegExp(other.view.id.slice(0, 8)) })
      .getByText(`Rotated: ends at ${await written(page, end)} (grace)`)
      .waitFor()
    expect(await server.hello(other.token)).toBe(200)
    expect(realProblems(w)).toEqual([])
  })
})

describe('console: canary tokens', () => {
  test('made in their own panel, shown once (held), never among personal tokens; a use is shown prominently; disarm asks first', async () => {
    const quin = await server.user('quin')
    await server.cliToken(quin.id, 'real-bot')
    const w = await openPage(browser)
    const { page } = w
    const tokens = await myProfile(page, server.url, 'quin')
    const panel = page.getByRole('region', { name: 'Canary tokens' })
    await panel.getByText('No canary tokens').waitFor()
    await panel.getByRole('button', { name: 'Create canary token' }).click()
    const form = page.getByRole('dialog', { name: 'Create canary token' })
    await form.getByRole('button', { name: 'Create' }).click()
    await form.getByText('Enter a name that tells you where you plant it.').waitFor()
    await form.getByLabel('Canary name').fill('env-file-canary')
    await form.getByRole('button', { name: 'Create' }).click()

    const reveal = page.getByRole('dialog', { name: 'Copy your new token' })
    await reveal.getByText(/A canary token grants nothing/).waitFor()
    await page.keyboard.press('Escape')
    await page.mouse.click(5, 5)
    expect(await reveal.isVisible()).toBe(true)
    const canary = await reveal.getByLabel(/Token/).inputValue()
    expect(canary).toMatch(/^eyJ/)
    await finishReveal(reveal)

    const row = panel.getByRole('row', { name: /env-file-canary/ })
    expect(await row.locator('td[data-label="State"]').textContent()).toBe('Armed')
    expect(await row.locator('td[data-label="Last triggered"]').textContent()).toBe(
      'Never triggered',
    )
    // Not a personal token, whether or not short-lived tokens are shown.
    await tokens.getByRole('switch', { name: 'Show short-lived' }).check()
    await tokens.getByRole('row', { name: /real-bot/ }).waitFor()
    expect(await tokens.getByText('env-file-canary').count()).toBe(0)

    // Someone uses it: refused, and the panel says so, with when and from where.
    expect(await server.hello(canary)).toBe(401)
    await expect
      .poll(async () => (await listCanaries(server.services, quin.id))[0]?.lastTriggeredAt)
      .toBeTruthy()
    await page.reload()
    const used = panel.locator('.alert-error')
    await used.getByText('A canary token was used: someone has a copy.').waitFor()
    expect(await used.textContent()).toMatch(/“env-file-canary” last at .+ from 127\.0\.0\.1/)
    expect(await row.locator('td[data-label="Last triggered"]').textContent()).toContain(
      'from 127.0.0.1',
    )

    await row.getByRole('button', { name: 'Disarm env-file-canary' }).click()
    let confirm = page.getByRole('dialog', { name: 'Disarm canary token?' })
    await confirm.getByRole('button', { name: 'Cancel' }).click()
    await confirm.waitFor({ state: 'detached' })
    expect((await listCanaries(server.services, quin.id))[0]?.armed).toBe(true)
    await row.getByRole('button', { name: 'Disarm env-file-canary' }).click()
    confirm = page.getByRole('dialog', { name: 'Disarm canary token?' })
    await confirm.getByRole('button', { name: 'Disarm' }).click()
    await page
      .getByRole('status')
      .getByText('Canary token “env-file-canary” was disarmed.')
      .waitFor()
    expect(await row.locator('td[data-label="State"] .badge').textContent()).toBe('Disarmed')
    expect(await row.getByRole('button', { name: /Disarm/ }).count()).toBe(0)
    expect((await listCanaries(server.services, quin.id))[0]?.armed).toBe(false)
    expect(await server.hello(canary)).toBe(401)
    expect(realProblems(w)).toEqual([])
  })
})
