import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import {
  focused,
  launchChromium,
  logIn,
  openPage,
  realProblems,
  submitLogin,
  unlabelled,
} from './chromium.ts'
import { startServer, type TestServer } from './server.ts'

/** Labels, focus, empty states, locale, phone width, CSP: what a person and the browser see. */

let server: TestServer
let browser: Browser

beforeAll(async () => {
  ;[server, browser] = await Promise.all([startServer(), launchChromium()])
  const admin = await server.user('ada', ['ROLE_ADMIN'])
  await server.cliToken(admin.id, 'terraform-production-deployments')
  await server.cliToken(admin.id, 'nightly-backup', new Date(Date.now() + 30 * 86_400_000))
  const revoked = await server.cliToken(admin.id, 'old-laptop')
  await server.services.db
    .updateTable('api_tokens')
    .set({ revoked_at: new Date().toISOString() })
    .where('id', '=', revoked.view.id)
    .execute()
})

afterAll(async () => {
  await browser?.close()
  await server?.close()
})

async function noHorizontalScroll(
  page: Page,
): Promise<{ scrollWidth: number; innerWidth: number }> {
  return page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
  }))
}

async function nav(page: Page, name: string) {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name }).click()
  await page.getByRole('heading', { level: 1, name }).waitFor()
}

async function openMyProfile(page: Page) {
  await page.getByRole('button', { name: /Quick Menu/ }).click()
  await page.getByRole('menuitem', { name: 'My Profile' }).click()
  await page.getByRole('heading', { level: 1, name: 'My Profile' }).waitFor()
}

describe('console: usability', () => {
  test('every field is labelled, in every form and dialog, and keyboard focus is always visible', async () => {
    const w = await openPage(browser)
    const { page } = w
    await page.goto(`${server.url}/`)
    await page.getByLabel('Username').waitFor()
    expect(await unlabelled(page)).toEqual([])
    await page.keyboard.press('Tab') // username -> password
    await page.keyboard.press('Tab') // -> Log in
    const onButton = await focused(page)
    expect(onButton).toMatchObject({ tag: 'BUTTON', text: 'Log in', style: 'solid' })
    expect(onButton.width).toBeGreaterThanOrEqual(2)

    await submitLogin(page, 'ada')
    // From the top of the page: the skip link first, then the header's links.
    await page.keyboard.press('Tab')
    expect(await focused(page)).toMatchObject({ text: 'Skip to content', style: 'solid' })
    await page.keyboard.press('Tab')
    const brand = await focused(page)
    expect(brand).toMatchObject({ tag: 'A', style: 'solid' })
    expect(brand.width).toBeGreaterThanOrEqual(2)

    await openMyProfile(page)
    await page.getByRole('button', { name: 'Create API Token' }).click()
    const form = page.getByRole('dialog', { name: 'Create API Token' })
    await form.getByLabel('Select from Calendar').check()
    for (const label of [
      'Token Name',
      'Never Expires',
      'Select from Calendar',
      'Expiration date',
    ]) {
      expect(await form.getByLabel(label).count()).toBe(1)
    }
    expect(await unlabelled(page)).toEqual([])
    await page.keyboard.press('Escape')

    await nav(page, 'Users')
    await page.getByRole('button', { name: 'Create User' }).click()
    expect(await unlabelled(page)).toEqual([])
    await page.keyboard.press('Escape')
    await page.getByRole('link', { name: 'ada' }).click()
    await page.getByLabel('New password').waitFor()
    expect(await unlabelled(page)).toEqual([])
    await nav(page, 'Projects')
    await page.getByRole('button', { name: 'Create Project' }).click()
    expect(await unlabelled(page)).toEqual([])
    expect(realProblems(w)).toEqual([])
  })

  test("dates are in the reader's locale and time zone", async () => {
    const w = await openPage(browser, { locale: 'de-DE', timezoneId: 'Asia/Kolkata' })
    const { page } = w
    await logIn(page, server.url, 'ada', '/profile')
    const row = page.getByRole('row', { name: /nightly-backup/ })
    const created = row.locator('td[data-label="Created"] time')
    const iso = (await created.getAttribute('datetime')) as string
    const inZone = (options: Intl.DateTimeFormatOptions) =>
      new Intl.DateTimeFormat('de-DE', { ...options, timeZone: 'Asia/Kolkata' }).format(
        new Date(iso),
      )
    // German medium date and 24-hour time, in India's zone (UTC+05:30).
    const [date, time] = ((await created.textContent()) ?? '').split(/\s+/)
    expect(date).toMatch(/^\d{2}\.\d{2}\.\d{4}$/)
    expect(time).toMatch(/^\d{2}:\d{2}$/)
    expect(date).toBe(inZone({ dateStyle: 'medium' }))
    expect(time).toBe(inZone({ timeStyle: 'short' }))
    expect(await created.getAttribute('title')).toBe(
      inZone({ dateStyle: 'medium', timeStyle: 'short' }),
    )
  })

  test('works at 1280 px and at phone width (375 px) without horizontal scrolling', async () => {
    for (const width of [1280, 375]) {
      const w = await openPage(browser, { viewport: { width, height: 800 } })
      const { page } = w
      const check = async (what: string) => {
        const size = await noHorizontalScroll(page)
        expect(size.scrollWidth, `${what} at ${width}px`).toBeLessThanOrEqual(size.innerWidth)
      }
      await page.goto(`${server.url}/profile`)
      await page.getByLabel('Username').waitFor()
      await check('login')
      await submitLogin(page, 'ada')
      await page.getByRole('row', { name: /terraform-production-deployments/ }).waitFor()
      await check('profile')
      const shot = await page.screenshot({ fullPage: true })
      expect(shot.subarray(1, 4).toString()).toBe('PNG')
      await page.getByRole('button', { name: 'Create API Token' }).click()
      await check('create dialog')
      await page.keyboard.press('Escape')
      // The Quick Menu is reachable at either width.
      await page.getByRole('button', { name: /Quick Menu/ }).click()
      await page.getByRole('menuitem', { name: 'My Profile' }).waitFor()
      await check('quick menu')
      await page.keyboard.press('Escape')
      await nav(page, 'Users')
      await page.getByRole('link', { name: 'ada' }).click()
      await page.getByRole('heading', { level: 1, name: 'ada' }).waitFor()
      await check('user page')
      expect(realProblems(w)).toEqual([])
      await w.context.close()
    }
  })

  test('the page runs under the strict CSP, and the session cookie is out of reach of scripts', async () => {
    const w = await openPage(browser)
    const { page } = w
    const response = await page.goto(`${server.url}/admin/projects`)
    const csp = response?.headers()['content-security-policy'] ?? ''
    expect(csp).toContain("script-src 'self'")
    expect(csp).toContain("style-src 'self'")
    expect(csp).toContain("frame-ancestors 'none'")
    await submitLogin(page, 'ada')
    await page.getByRole('heading', { level: 1, name: 'Projects' }).waitFor()
    expect(await page.evaluate(() => document.cookie)).not.toContain('apiops_session')
    // Every script and style came from the server itself, and none was refused.
    const foreign = w.urls.filter((u) => !u.startsWith(server.url))
    expect(foreign).toEqual([])
    expect(realProblems(w)).toEqual([])
  })
})
