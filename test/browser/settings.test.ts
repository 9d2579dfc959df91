import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { focused, launchChromium, logIn, openPage, realProblems, unlabelled } from './chromium.ts'
import { startServer, type TestServer } from './server.ts'

/**
 * The administrators' Settings page: the per-token rate limit, read and changed in the
 * console, and in force on the API at once. The server starts without
 * APIOPS_TOKEN_RATE_LIMIT, so the default is 0 (no limit).
 */

const FIELD = 'Requests per minute per API token, 0 for no limit'

let server: TestServer
let browser: Browser

beforeAll(async () => {
  ;[server, browser] = await Promise.all([startServer(), launchChromium()])
  await server.user('root', ['ROLE_ADMIN'])
  await server.user('kim', ['ROLE_MANAGE_PROXIES'])
})

afterAll(async () => {
  await browser?.close()
  await server?.close()
})

/** Every PATCH of the settings the page sends: its body and its CSRF header. */
function watchPatches(page: Page) {
  const sent: { body: unknown; csrf: string | undefined }[] = []
  page.on('request', (request) => {
    if (request.method() === 'PATCH' && new URL(request.url()).pathname === '/apiops/settings/') {
      sent.push({ body: request.postDataJSON(), csrf: request.headers()['x-csrf-token'] })
    }
  })
  return sent
}

/** A Bearer request through the API, as a script would make it: its status and limit header. */
async function callWith(token: string) {
  const r = await fetch(`${server.url}/apiops/test/hello/x`, {
    headers: { authorization: `Bearer ${token}` },
  })
  await r.arrayBuffer()
  return { status: r.status, limit: r.headers.get('x-ratelimit-limit') }
}

/** What the server holds now, read with an administrator's token. */
async function serverSettings() {
  const token = await server.apiToken('root')
  const r = await fetch(`${server.url}/apiops/settings/`, {
    headers: { authorization: `Bearer ${token}` },
  })
  expect(r.status).toBe(200)
  return ((await r.json()) as { tokenRateLimit: { value: number; source: string } }).tokenRateLimit
}

/** The token lifetime policy the server holds now. */
async function serverPolicy() {
  const token = await server.apiToken('root')
  const r = await fetch(`${server.url}/apiops/settings/`, {
    headers: { authorization: `Bearer ${token}` },
  })
  expect(r.status).toBe(200)
  return ((await r.json()) as { tokenLifetimePolicy: unknown }).tokenLifetimePolicy
}

async function openSettings(page: Page) {
  await page
    .getByRole('navigation', { name: 'Main' })
    .getByRole('link', { name: 'Settings' })
    .click()
  await page.getByRole('heading', { level: 1, name: 'Settings' }).waitFor()
}

describe('console: settings', () => {
  test('an administrator opens Settings by keyboard, sets 5 (the API enforces it), then resets to the default', async () => {
    const w = await openPage(browser)
    const { page } = w
    const patches = watchPatches(page)
    await logIn(page, server.url, 'root')

    // Tab from the top of the page to the header's Settings link: focus is visible on it.
    let onLink = false
    for (let i = 0; i < 12 && !onLink; i++) {
      await page.keyboard.press('Tab')
      onLink = (await focused(page)).text === 'Settings'
    }
    expect(onLink).toBe(true)
    const link = await focused(page)
    expect(link).toMatchObject({ tag: 'A', style: 'solid' })
    expect(link.width).toBeGreaterThanOrEqual(2)
    await page.keyboard.press('Enter')
    await page.getByRole('heading', { level: 1, name: 'Settings' }).waitFor()
    expect(new URL(page.url()).pathname).toBe('/admin/settings')
    expect(await page.title()).toBe('Settings · apiops')
    const nav = page.getByRole('navigation', { name: 'Main' })
    expect(await nav.getByRole('link').allInnerTexts()).toEqual([
      'Overview',
      'Proxies',
      'Users',
      'Projects',
      'Audit',
      'Settings',
    ])
    expect(await nav.getByRole('link', { name: 'Settings' }).getAttribute('aria-current')).toBe(
      'page',
    )

    // The default: 0 (no limit), from the environment; nothing to reset.
    const card = page.getByRole('region', { name: 'API token rate limit' })
    const field = card.getByLabel(FIELD)
    await expect.poll(() => field.inputValue()).toBe('0')
    expect(await unlabelled(page)).toEqual([])
    const details = card.locator('dl')
    expect(await details.textContent()).toMatch(/In force\s*No limit \(0\)/i)
    expect(await details.textContent()).toMatch(
      /Source\s*The server default, from APIOPS_TOKEN_RATE_LIMIT/i,
    )
    expect(await details.textContent()).toMatch(/Default\s*No limit \(0\)/i)
    expect(await card.getByRole('button', { name: 'Reset to default' }).count()).toBe(0)

    const token = await server.apiToken('kim')
    expect(await callWith(token)).toEqual({ status: 200, limit: null })

    // Set 5 with the keyboard: type it, Enter.
    await field.fill('5')
    await field.press('Enter')
    await page
      .getByRole('status')
      .getByText('Saved. Each API token may make 5 requests per minute, from the next request on.')
      .waitFor()
    await expect.poll(() => details.textContent()).toMatch(/In force\s*5 requests per minute/i)
    expect(await details.textContent()).toMatch(/Source\s*Set by root at /i)
    expect(await details.textContent()).toMatch(/Default\s*No limit \(0\)/i)
    const when = details.locator('time')
    const setAt = Date.parse((await when.getAttribute('datetime')) as string)
    expect(Math.abs(Date.now() - setAt)).toBeLessThan(60_000)
    expect(await when.getAttribute('title')).toBe(
      new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' }).format(setAt),
    )
    expect(await field.inputValue()).toBe('5')
    expect(patches).toHaveLength(1)
    expect(patches[0]?.body).toEqual({ tokenRateLimit: 5 })
    expect(patches[0]?.csrf).toMatch(/./)

    // The API applies it to the next Bearer request, with no restart.
    expect(await callWith(token)).toEqual({ status: 200, limit: '5' })
    expect(await serverSettings()).toMatchObject({ value: 5, source: 'administrator' })

    // A reload reads it back from the server.
    await page.reload()
    await expect.poll(() => field.inputValue()).toBe('5')
    expect(await details.textContent()).toMatch(/Source\s*Set by root at /i)

    // Reset to default (by keyboard too): back to 0 from the environment, the limit lifted.
    const reset = card.getByRole('button', { name: 'Reset to default' })
    await reset.focus()
    await page.keyboard.press('Enter')
    await page
      .getByRole('status')
      .getByText(
        'Back to the server default. API tokens have no rate limit, from the next request on.',
      )
      .waitFor()
    await expect.poll(() => details.textContent()).toMatch(/In force\s*No limit \(0\)/i)
    expect(await details.textContent()).toMatch(/Source\s*The server default/i)
    expect(await reset.count()).toBe(0)
    expect(await field.inputValue()).toBe('0')
    // The button went away: focus stays in the form, on the field.
    expect((await focused(page)).label).toBe(FIELD)
    expect(patches.map((p) => p.body)).toEqual([{ tokenRateLimit: 5 }, { tokenRateLimit: null }])
    expect(await callWith(token)).toEqual({ status: 200, limit: null })
    expect(await serverSettings()).toMatchObject({ value: 0, source: 'environment' })

    // Phone width: no horizontal scrolling.
    await page.setViewportSize({ width: 375, height: 800 })
    expect(
      await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth),
    ).toBeLessThanOrEqual(0)
    expect(w.jsDialogs).toEqual([])
    expect(realProblems(w)).toEqual([])
  })

  test('an invalid value gets a precise message and nothing is sent', async () => {
    const w = await openPage(browser)
    const { page } = w
    const patches = watchPatches(page)
    await logIn(page, server.url, 'root')
    await openSettings(page)
    const field = page.getByLabel(FIELD)
    await expect.poll(() => field.inputValue()).toBe('0')
    const save = page.getByRole('button', { name: 'Save' })

    for (const [typed, message] of [
      ['-1', 'The limit cannot be negative: enter a whole number from 0 to 1,000,000.'],
      ['1.5', 'The limit must be a whole number, without decimals: from 0 to 1,000,000.'],
      ['', 'Enter a whole number from 0 to 1,000,000 (0 for no limit).'],
      ['ten', 'Use digits only, without spaces or separators: from 0 to 1,000,000.'],
      ['1000001', 'The limit can be at most 1,000,000 requests per minute.'],
    ] as const) {
      await field.fill(typed)
      await save.click()
      const error = page.getByRole('alert').filter({ hasText: message })
      await error.waitFor()
      expect(await field.getAttribute('aria-invalid')).toBe('true')
      // The message is tied to the field, and focus goes back to it.
      const describedBy = ((await field.getAttribute('aria-describedby')) ?? '').split(' ')
      expect(describedBy).toContain(await error.getAttribute('id'))
      expect((await focused(page)).label).toBe(FIELD)
      // Typing clears it.
      await field.fill('7')
      await error.waitFor({ state: 'detached' })
      expect(await field.getAttribute('aria-invalid')).toBeNull()
    }
    expect(patches).toEqual([])
    expect(await serverSettings()).toMatchObject({ value: 0, source: 'environment' })
    expect(realProblems(w)).toEqual([])
  })

  test("a value the server refuses shows the server's error_description", async () => {
    const w = await openPage(browser)
    const { page } = w
    await logIn(page, server.url, 'root')
    await openSettings(page)
    const description = 'body/tokenRateLimit must be <= 100 on this server'
    // Every value the console sends is one the server accepts: stand in for a stricter one.
    await page.route('**/apiops/settings/', (route) =>
      route.request().method() === 'PATCH'
        ? route.fulfill({
            status: 400,
            contentType: 'application/json',
            body: JSON.stringify({ error: 'invalid_request', error_description: description }),
          })
        : route.fallback(),
    )
    const field = page.getByLabel(FIELD)
    await expect.poll(() => field.inputValue()).toBe('0')
    await field.fill('250')
    await page.getByRole('button', { name: 'Save' }).click()
    await page.getByRole('alert').filter({ hasText: description }).waitFor()
    expect(await field.getAttribute('aria-invalid')).toBe('true')
    expect(await field.inputValue()).toBe('250')
    // No confirmation: the (empty) status region stays hidden.
    expect(await page.getByRole('status').count()).toBe(0)
    await page.unroute('**/apiops/settings/')
    expect(await serverSettings()).toMatchObject({ value: 0, source: 'environment' })
  })

  test('the token lifetime policy: set on the Settings page, in force in the Create dialog and My Profile', async () => {
    const w = await openPage(browser)
    const { page } = w
    const patches = watchPatches(page)
    await logIn(page, server.url, 'root')
    await openSettings(page)
    const card = page.getByRole('region', { name: 'Token lifetime policy' })
    const allowNever = card.getByLabel('Allow tokens that never expire')
    await expect.poll(() => allowNever.isChecked()).toBe(true)
    await allowNever.uncheck()
    await card.getByLabel('Maximum days for ROLE_MANAGE_PROXIES').fill('45')
    await card.getByLabel('Revoke tokens unused for this many days (0: off)').fill('30')
    await card.getByRole('button', { name: 'Apply policy' }).click()
    await page
      .getByRole('status')
      .getByText(/^Saved\. Tokens that never expire are not allowed/)
      .waitFor()
    expect(patches.map((p) => p.body)).toEqual([
      {
        tokenLifetimePolicy: {
          neverExpiresAllowed: false,
          maxDaysByRole: { ROLE_MANAGE_PROXIES: 45 },
          inactivityDays: 30,
        },
      },
    ])
    expect(await serverPolicy()).toMatchObject({
      value: {
        neverExpiresAllowed: false,
        maxDaysByRole: { ROLE_MANAGE_PROXIES: 45 },
        inactivityDays: 30,
      },
      source: 'administrator',
      updatedBy: 'root',
    })
    await expect.poll(() => card.locator('dl').textContent()).toMatch(/Set by root/)

    // kim (ROLE_MANAGE_PROXIES) sees it in force: 60 and 90 days refused in words, no Never.
    const kim = await openPage(browser)
    await logIn(kim.page, server.url, 'kim', '/profile')
    await kim.page.getByText('A token unused for 30 days is revoked.').waitFor()
    await kim.page.getByRole('button', { name: 'Create API Token' }).click()
    const form = kim.page.getByRole('dialog', { name: 'Create API Token' })
    await form.getByText('This token may live at most 45 days.').waitFor()
    expect(await form.getByLabel('30 days').isChecked()).toBe(true)
    for (const label of ['60 days', '90 days']) {
      const choice = form.getByLabel(label)
      expect(await choice.isDisabled()).toBe(true)
      const reason = await choice.getAttribute('aria-describedby')
      expect(await kim.page.locator(`[id="${reason}"]`).textContent()).toBe(
        "Longer than this token's maximum of 45 days.",
      )
    }
    expect(await form.getByLabel('Never Expires').count()).toBe(0)
    await form.getByText('An administrator has turned off tokens that never expire.').waitFor()
    await form.getByLabel('Token Name').fill('policy-bot')
    await form.getByLabel('Select from Calendar').check()
    const date = form.getByLabel('Expiration date')
    const tooLate = new Date(Date.now() + 60 * 86_400_000).toISOString().slice(0, 10)
    await date.fill(tooLate)
    await form.getByRole('button', { name: 'Create' }).click()
    await form
      .getByText(/^At most 45 days for this token: choose \d{4}-\d{2}-\d{2} or earlier\.$/)
      .waitFor()
    await form.getByLabel('30 days').check()
    await form.getByRole('button', { name: 'Create' }).click()
    await kim.page.getByRole('dialog', { name: 'Copy your new token' }).waitFor()

    // Reset: the defaults again (Never allowed, no maxima, inactivity off).
    await card.getByRole('button', { name: 'Reset policy to defaults' }).click()
    await page
      .getByRole('status')
      .getByText(/^Back to the defaults\./)
      .waitFor()
    expect(patches.at(-1)?.body).toEqual({ tokenLifetimePolicy: null })
    expect(await serverPolicy()).toMatchObject({
      value: { neverExpiresAllowed: true, maxDaysByRole: {}, inactivityDays: 0 },
    })
    expect(realProblems(w)).toEqual([])
    expect(realProblems(kim)).toEqual([])
    await kim.context.close()
  })

  test('a user without ROLE_ADMIN gets no Settings link and no Settings page', async () => {
    const w = await openPage(browser)
    const { page } = w
    await logIn(page, server.url, 'kim', '/admin/settings')
    await page.getByRole('heading', { level: 1, name: 'Administrators only' }).waitFor()
    const nav = page.getByRole('navigation', { name: 'Main' })
    expect(await nav.getByRole('link').allInnerTexts()).toEqual(['Overview'])
    expect(await page.getByLabel(FIELD).count()).toBe(0)
    expect(w.urls.filter((u) => u.includes('/apiops/settings/'))).toEqual([])
    expect(realProblems(w)).toEqual([])
  })
})
