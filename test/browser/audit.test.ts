import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { launchChromium, logIn, openPage, realProblems, unlabelled } from './chromium.ts'
import { PASSWORD, startServer, type TestServer } from './server.ts'

/** The audit log in the console: My Profile's Activity tab, and the administrators' Audit page. */

let server: TestServer
let browser: Browser

beforeAll(async () => {
  ;[server, browser] = await Promise.all([startServer(), launchChromium()])
  await server.user('root', ['ROLE_ADMIN'])
  await server.user('ivy')
  await server.user('jack', ['ROLE_MANAGE_PROXIES'])
})

afterAll(async () => {
  await browser?.close()
  await server?.close()
})

async function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
}

describe('console: audit', () => {
  test('My Profile > Activity lists my own events in plain words, by keyboard and at phone width', async () => {
    const wrong = 'Ivy-Wrong-Password-77'
    expect(await server.tokenEndpointStatus('ivy', wrong)).toBe(401)
    expect(await server.tokenEndpointStatus('ivy', PASSWORD)).toBe(200)
    // Someone else's event must not show.
    expect(await server.tokenEndpointStatus('jack', PASSWORD)).toBe(200)

    const w = await openPage(browser, { locale: 'de-DE', timezoneId: 'Asia/Kolkata' })
    const { page } = w
    await logIn(page, server.url, 'ivy', '/profile')
    const tabs = page.getByRole('tablist', { name: 'My Profile' })
    const tokensTab = tabs.getByRole('tab', { name: 'API Tokens' })
    expect(await tokensTab.getAttribute('aria-selected')).toBe('true')
    await page.getByRole('region', { name: 'Personal API Access Tokens' }).waitFor()

    // Arrow keys move between the tabs and show the chosen one.
    await tokensTab.focus()
    await page.keyboard.press('ArrowRight')
    const activityTab = tabs.getByRole('tab', { name: 'Activity' })
    expect(await activityTab.getAttribute('aria-selected')).toBe('true')
    expect(await activityTab.evaluate((el) => el === document.activeElement)).toBe(true)
    expect(new URL(page.url()).pathname).toBe('/profile/activity')
    const panel = page.getByRole('tabpanel', { name: 'Activity' })
    const activity = panel.getByRole('region', { name: 'Recent activity' })
    await activity.getByRole('row', { name: /Logged in.*channel=console/ }).waitFor()
    expect(await page.getByRole('region', { name: 'Personal API Access Tokens' }).count()).toBe(0)

    const rows = activity.getByRole('row', { name: /channel=token_endpoint/ })
    expect(await rows.count()).toBe(2)
    const failed = rows.filter({ hasText: 'Failed' })
    expect(await failed.count()).toBe(1)
    expect(await failed.textContent()).toContain('HTTP 401')
    expect(await failed.textContent()).toContain('curl/8.5.0')
    expect(await activity.textContent()).not.toContain('jack')
    expect(await page.content()).not.toContain(wrong)

    // Times are in the reader's locale and zone.
    const time = activity.getByRole('row', { name: /Logged in.*channel=console/ }).locator('time')
    const iso = (await time.getAttribute('datetime')) as string
    expect(await time.getAttribute('title')).toBe(
      new Intl.DateTimeFormat('de-DE', {
        dateStyle: 'medium',
        timeStyle: 'short',
        timeZone: 'Asia/Kolkata',
      }).format(new Date(iso)),
    )

    // A reload keeps the tab (it has its own address); the other arrow goes back.
    await page.reload()
    await activity.getByRole('row', { name: /Logged in.*channel=console/ }).waitFor()
    await page.getByRole('tab', { name: 'Activity' }).focus()
    await page.keyboard.press('ArrowLeft')
    await page.getByRole('region', { name: 'Personal API Access Tokens' }).waitFor()
    expect(new URL(page.url()).pathname).toBe('/profile')

    await page.setViewportSize({ width: 375, height: 800 })
    await page.getByRole('tab', { name: 'Activity' }).click()
    await activity.getByRole('row', { name: /Logged in.*channel=console/ }).waitFor()
    expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0)
    expect(realProblems(w)).toEqual([])
  })

  test('Audit page: filter by user, action (in plain words), outcome and dates; page through', async () => {
    // Enough events for two pages, and a few of known shape.
    const now = Date.now()
    for (let i = 0; i < 60; i++) {
      server.services.audit.write({
        at: new Date(now - 3_600_000 - i * 1000),
        actorUsername: 'bulk-bot',
        action: 'proxy.deployed',
        target: `projectName=P apiProxyName=px${i}`,
        clientIp: '192.0.2.50',
        outcome: 'success',
        status: 200,
      })
    }
    expect(await server.tokenEndpointStatus('jack', 'not-jacks-password')).toBe(401)
    const w = await openPage(browser)
    const { page } = w
    await logIn(page, server.url, 'root')
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Audit' })
      .click()
    await page.getByRole('heading', { level: 1, name: 'Audit' }).waitFor()
    expect(await unlabelled(page)).toEqual([])
    const events = page.getByRole('region', { name: 'Audit events' })
    await events
      .getByRole('row', { name: /Logged in.*channel=console/ })
      .first()
      .waitFor()
    const pager = page.getByRole('navigation', { name: 'Pages of the audit log' })
    const status = async () => (await pager.locator('.pager-status').textContent()) ?? ''
    expect(await status()).toMatch(/^1–50 of \d+$/)
    expect(await pager.getByRole('button', { name: 'Newer' }).isDisabled()).toBe(true)
    await pager.getByRole('button', { name: 'Older' }).click()
    await expect.poll(status).toMatch(/^51–\d+ of \d+$/)
    expect(new URL(page.url()).searchParams.get('page')).toBe('1')

    const filters = page.getByRole('form', { name: 'Filter the audit log' })
    await filters.getByLabel('User').fill('jack')
    await filters.getByLabel('Outcome').selectOption({ label: 'Failed' })
    await filters.getByRole('button', { name: 'Apply filters' }).click()
    await expect.poll(status).toBe('1–1 of 1')
    const row = events.getByRole('row', { name: /Login failed/ })
    expect(await row.textContent()).toContain('jack')
    expect(await row.textContent()).toContain('Failed')
    const url = new URL(page.url())
    expect(url.pathname).toBe('/admin/audit')
    expect(Object.fromEntries(url.searchParams)).toEqual({ username: 'jack', outcome: 'failure' })

    // Plain words for the action are understood; the address keeps the filters.
    await filters.getByRole('button', { name: 'Clear' }).click()
    await expect.poll(() => new URL(page.url()).search).toBe('')
    await filters.getByLabel('Action').fill('Login failed')
    await filters.getByRole('button', { name: 'Apply filters' }).click()
    await expect.poll(() => new URL(page.url()).searchParams.get('action')).toBe('login.failed')
    await expect
      .poll(async () => events.getByRole('row', { name: /Logged in.*channel=console/ }).count())
      .toBe(0)
    expect(await events.getByRole('row', { name: /Login failed/ }).count()).toBeGreaterThan(0)
    await page.reload()
    expect(await filters.getByLabel('Action').inputValue()).toBe('login.failed')

    // Dates: the end before the start is caught before asking; a day with nothing is empty.
    await filters.getByRole('button', { name: 'Clear' }).click()
    await filters.getByLabel('From').fill('2030-01-02')
    await filters.getByLabel('To').fill('2030-01-01')
    await filters.getByRole('button', { name: 'Apply filters' }).click()
    await filters.getByText('The end date is before the start date.').waitFor()
    await filters.getByLabel('To').fill('2030-01-03')
    await filters.getByRole('button', { name: 'Apply filters' }).click()
    await events.getByText('No events match these filters').waitFor()

    // From a user's page to their events.
    await page.goto(`${server.url}/admin/users/ivy`)
    await page.getByRole('link', { name: 'Audit events of ivy' }).click()
    await page.getByRole('heading', { level: 1, name: 'Audit' }).waitFor()
    await expect.poll(() => filters.getByLabel('User').inputValue()).toBe('ivy')
    await events.getByRole('row').nth(1).waitFor()
    const actors = await events.locator('td[data-label="Who"]').allInnerTexts()
    expect(new Set(actors)).toEqual(new Set(['ivy']))

    await page.setViewportSize({ width: 375, height: 800 })
    expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0)
    expect(realProblems(w)).toEqual([])
  })

  test('Audit page: repeated failures read as one counted line; unknown names only as a hash', async () => {
    // A flood of junk tokens from one address, and a name no user has, tried twice.
    for (let i = 0; i < 12; i++) {
      const r = await fetch(`${server.url}/apiops/projects/`, {
        headers: { authorization: 'Bearer junk' },
      })
      expect(r.status).toBe(401)
    }
    const typo = 'Ghost-Not-A-User'
    expect(await server.tokenEndpointStatus(typo, 'whatever-1')).toBe(401)
    expect(await server.tokenEndpointStatus(typo, 'whatever-2')).toBe(401)
    // What a shutdown does: the open window's count is written now.
    await server.services.audit.close()

    const w = await openPage(browser)
    const { page } = w
    await logIn(page, server.url, 'root', '/admin/audit?action=audit.folded')
    const events = page.getByRole('region', { name: 'Audit events' })
    const folded = events.getByRole('row', { name: /Repeated failures, counted/ })
    await folded.first().waitFor()
    expect(await folded.count()).toBe(1)
    expect(await folded.locator('td[data-label="Target"]').textContent()).toMatch(
      /^7 more requests with an invalid token from 127\.0\.0\.1 (at once|in \d+ s)/,
    )

    await page.goto(`${server.url}/admin/audit?username=${encodeURIComponent('(unknown user)')}`)
    const unknown = events.getByRole('row', { name: /Login failed/ })
    await expect.poll(() => unknown.count()).toBe(2)
    await unknown.first().getByRole('link', { name: 'Attempts with the same name' }).click()
    await expect
      .poll(() => new URL(page.url()).searchParams.get('username_hash'))
      .toMatch(/^[0-9a-f]{16}$/)
    const filters = page.getByRole('form', { name: 'Filter the audit log' })
    expect(await filters.getByLabel('Unknown name (hash)').inputValue()).toMatch(/^[0-9a-f]{16}$/)
    await expect.poll(() => unknown.count()).toBe(2)
    expect(await page.content()).not.toContain(typo)

    // A mistyped hash is caught before asking.
    await filters.getByLabel('Unknown name (hash)').fill('not-a-hash')
    await filters.getByRole('button', { name: 'Apply filters' }).click()
    await filters.getByText(/A name hash is 16 characters/).waitFor()

    await page.setViewportSize({ width: 375, height: 800 })
    expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0)
    expect(realProblems(w)).toEqual([])
  })

  test('anyone but an administrator gets no Audit link and no Audit page', async () => {
    const w = await openPage(browser)
    const { page } = w
    await logIn(page, server.url, 'jack', '/admin/audit')
    await page.getByRole('heading', { level: 1, name: 'Administrators only' }).waitFor()
    const main = page.getByRole('navigation', { name: 'Main' })
    expect(await main.getByRole('link').allInnerTexts()).toEqual(['Overview'])
    expect(realProblems(w)).toEqual([])
  })
})
