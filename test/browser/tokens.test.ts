import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import {
  launchChromium,
  logIn,
  openPage,
  pageHolds,
  realProblems,
  unlabelled,
  type Watched,
  webStorage,
} from './chromium.ts'
import { finishReveal } from './profile.ts'
import { PASSWORD, startServer, type TestServer } from './server.ts'

/**
 * The seed's "Method 1: From Management Console" and "Revoking Tokens", as a person
 * does them in Chromium against a real server.
 */

let server: TestServer
let browser: Browser
const opened: Watched[] = []

beforeAll(async () => {
  ;[server, browser] = await Promise.all([startServer(), launchChromium()])
})

afterAll(async () => {
  await browser?.close()
  await server?.close()
})

async function open(options: Parameters<typeof openPage>[1] = {}) {
  const watched = await openPage(browser, options)
  opened.push(watched)
  return watched
}

async function goToMyProfile(w: Watched) {
  await w.page.getByRole('button', { name: /Quick Menu/ }).click()
  await w.page.getByRole('menuitem', { name: 'My Profile' }).click()
  await w.page.getByRole('heading', { level: 1, name: 'My Profile' }).waitFor()
}

describe('console: personal API access tokens', () => {
  test('login works with the keyboard alone; a wrong password gets one generic message, never echoed', async () => {
    await server.user('alice')
    const w = await open()
    const { page } = w
    await page.goto(`${server.url}/`)
    const username = page.getByLabel('Username')
    const password = page.getByLabel('Password')
    await expect.poll(() => username.evaluate((el) => el === document.activeElement)).toBe(true)

    const wrong = 'Wrong-Secret-4321'
    await page.keyboard.type('alice')
    await page.keyboard.press('Tab')
    expect(await password.evaluate((el) => el === document.activeElement)).toBe(true)
    await page.keyboard.type(wrong)
    await page.keyboard.press('Enter')
    const alert = page.getByRole('alert')
    await expect.poll(() => alert.textContent()).toBe('Incorrect username or password.')
    expect(await password.inputValue()).toBe('')
    expect(await password.getAttribute('type')).toBe('password')
    expect(await page.content()).not.toContain(wrong)

    // An unknown user gets exactly the same message.
    await username.fill('nobody-here')
    await password.fill(wrong)
    await password.press('Enter')
    await expect.poll(() => alert.textContent()).toBe('Incorrect username or password.')
    expect(await page.getByRole('alert').count()).toBe(1)

    await username.fill('alice')
    await password.focus()
    await page.keyboard.type('correct horse battery')
    await page.keyboard.press('Enter')
    await page.getByRole('button', { name: /Quick Menu/ }).waitFor()
    expect(await page.content()).not.toContain('correct horse battery')
    // The CSRF token is in memory only.
    expect(await webStorage(page)).toBe('[{},{}]')

    // The Quick Menu works from the keyboard too.
    await page.getByRole('button', { name: /Quick Menu/ }).focus()
    await page.keyboard.press('Enter')
    await expect
      .poll(() => page.evaluate(() => document.activeElement?.textContent))
      .toBe('My Profile')
    await page.keyboard.press('Enter')
    await page.getByRole('heading', { level: 1, name: 'My Profile' }).waitFor()
    expect(realProblems(w)).toEqual([])
  })

  test('Quick Menu > My Profile > Create API Token (Never Expires): shown once, copied, gone after close and reload', async () => {
    await server.user('bob')
    const w = await open({ permissions: ['clipboard-read', 'clipboard-write'] })
    const { page } = w
    await logIn(page, server.url, 'bob')
    await goToMyProfile(w)
    expect(new URL(page.url()).pathname).toBe('/profile')

    const section = page.getByRole('region', { name: 'Personal API Access Tokens' })
    await section.scrollIntoViewIfNeeded()
    await section.getByText('No tokens yet').waitFor()
    await page.getByText('Not a member of any project yet').waitFor()
    await section.getByRole('button', { name: 'Create API Token' }).click()

    const form = page.getByRole('dialog', { name: 'Create API Token' })
    expect(await form.getAttribute('aria-modal')).toBe('true')
    await form.getByLabel('Token Name').fill('ci-pipeline')
    expect(await form.getByLabel('30 days').isChecked()).toBe(true)
    await form.getByLabel('Never Expires').check()
    await form.getByLabel(/I understand this token never expires/).check()
    await form.getByRole('button', { name: 'Create' }).click()

    const reveal = page.getByRole('dialog', { name: 'Copy your new token' })
    await reveal.waitFor()
    await reveal.getByText('It will not be shown again.').waitFor()
    const token = await reveal.getByLabel(/Token/).inputValue()
    expect(token).toMatch(/^eyJ[\w-]+\.[\w-]+\.[\w-]+$/)
    // The check below can see it while it is shown...
    expect(await pageHolds(w, token)).toBe(true)
    expect(await server.hello(token)).toBe(200)

    await reveal.getByRole('button', { name: 'Copy' }).click()
    await reveal.getByText('Copied to clipboard.').waitFor()
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(token)

    await finishReveal(reveal)
    const row = section.getByRole('row', { name: /ci-pipeline/ })
    await row.waitFor()
    expect(await row.getByRole('cell').allInnerTexts()).toEqual(
      expect.arrayContaining(['Never', 'Never used', 'Console', 'Active']),
    )

    // ...and it is gone once the dialog closes, and after a reload.
    expect(await pageHolds(w, token)).toBe(false)
    await page.reload()
    await section.getByRole('row', { name: /ci-pipeline/ }).waitFor()
    expect(await pageHolds(w, token)).toBe(false)
    expect(await webStorage(page)).toBe('[{},{}]')
    expect(w.jsDialogs).toEqual([])
    expect(realProblems(w)).toEqual([])
  })

  test('Select from Calendar: min is tomorrow, a past date is refused with a clear message, a future date is kept', async () => {
    await server.user('cora')
    const w = await open()
    const { page } = w
    await logIn(page, server.url, 'cora')
    await goToMyProfile(w)
    await page.getByRole('button', { name: 'Create API Token' }).click()
    const form = page.getByRole('dialog', { name: 'Create API Token' })
    await form.getByLabel('Token Name').fill('nightly-report')
    await form.getByLabel('Select from Calendar').check()
    const date = form.getByLabel('Expiration date')
    expect(await date.getAttribute('type')).toBe('date')
    const { tomorrow, yesterday, inMonth } = await page.evaluate(() => {
      const day = (offset: number) => {
        const d = new Date()
        d.setDate(d.getDate() + offset)
        return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`
      }
      return { tomorrow: day(1), yesterday: day(-1), inMonth: day(30) }
    })
    expect(await date.getAttribute('min')).toBe(tomorrow)

    await date.fill(yesterday)
    await form.getByRole('button', { name: 'Create' }).click()
    await form
      .getByText('The expiration date must be in the future: choose tomorrow or a later date.')
      .waitFor()
    expect(await date.getAttribute('aria-invalid')).toBe('true')
    expect(await page.getByRole('dialog', { name: 'Copy your new token' }).count()).toBe(0)

    await date.fill(inMonth)
    // Valid through that day (UTC), named as the day itself, in the reader's date format.
    const through = await page.evaluate((day) => {
      const [y, m, d] = day.split('-').map(Number) as [number, number, number]
      const format = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeZone: 'UTC' })
      return `valid through ${format.format(new Date(Date.UTC(y, m - 1, d)))} (UTC)`
    }, inMonth)
    await form.getByText(`The token is ${through}.`).waitFor()
    await form.getByRole('button', { name: 'Create' }).click()
    const reveal = page.getByRole('dialog', { name: 'Copy your new token' })
    await reveal.getByText(through, { exact: false }).waitFor()
    await finishReveal(reveal)

    const row = page.getByRole('row', { name: /nightly-report/ })
    expect(await row.locator('td[data-label="Expires"]').textContent()).toBe(through)
    expect(realProblems(w)).toEqual([])
  })

  test('Create API Token with limits: a role the user lacks is refused by name; the list shows the limits', async () => {
    await server.user('lena', ['ROLE_MANAGE_PROXIES'])
    const w = await open()
    const { page } = w
    await logIn(page, server.url, 'lena')
    await goToMyProfile(w)
    await page.getByRole('button', { name: 'Create API Token' }).click()
    const form = page.getByRole('dialog', { name: 'Create API Token' })
    await form.getByLabel('Token Name').fill('narrow-bot')
    await form.getByLabel('Only these roles').fill('ROLE_ADMIN')
    await form.getByLabel('Only from these addresses').fill('10.0.0.0/8, 2001:db8::/32')
    await form.getByLabel('Read-only (GET and HEAD only)').check()
    await form.getByRole('button', { name: 'Create' }).click()
    await form.getByText(/'ROLE_ADMIN' is not one of the owner's roles/).waitFor()
    await form.getByLabel('Only these roles').fill('ROLE_MANAGE_PROXIES')
    await form.getByRole('button', { name: 'Create' }).click()
    await finishReveal(page.getByRole('dialog', { name: 'Copy your new token' }))
    const row = page.getByRole('row', { name: /narrow-bot/ })
    expect(await row.locator('td[data-label="Limits"]').textContent()).toBe(
      'roles: ROLE_MANAGE_PROXIES; read-only; from: 10.0.0.0/8, 2001:db8::/32',
    )
    expect(realProblems(w)).toEqual([])
  })

  test('tokens from the token endpoint and the CLI are listed with how they were made; names are text, never markup', async () => {
    const dan = await server.user('dan')
    const markup = '<img src=x onerror=alert(1)>'
    await server.cliToken(dan.id, markup)
    const w = await open()
    const { page } = w
    await logIn(page, server.url, 'dan')
    await goToMyProfile(w)
    const section = page.getByRole('region', { name: 'Personal API Access Tokens' })
    await section.getByRole('row', { name: /onerror/ }).waitFor()
    expect(await section.getByRole('row').count()).toBe(2) // header + one token

    // A pipeline asks the token endpoint for a token (a form POST, as the seed shows) and uses it.
    const apiToken = await server.apiToken('dan')
    expect(await server.hello(apiToken)).toBe(200)
    await server.services.usage.flush()
    await page.reload()
    // Short-lived, like a session: listed only with the switch on.
    await section.getByRole('row', { name: /onerror/ }).waitFor()
    expect(await section.getByRole('row').count()).toBe(2)
    await section.getByRole('switch', { name: 'Show short-lived' }).check()
    const apiRow = section.getByRole('row').filter({ hasText: 'API' })
    await apiRow.waitFor()
    expect(await apiRow.locator('td[data-label="Made with"]').textContent()).toBe('API')
    expect(await apiRow.locator('td[data-label="Last used"]').textContent()).toContain(
      'from 127.0.0.1',
    )
    expect(await apiRow.locator('td[data-label="Expires"]').textContent()).not.toBe('Never')
    const cliRow = section.getByRole('row', { name: /onerror/ })
    expect(await cliRow.locator('td[data-label="Made with"]').textContent()).toBe('CLI')

    // The markup is shown as the literal text, and nothing ran.
    expect(await section.getByText(markup, { exact: true }).isVisible()).toBe(true)
    expect(await page.locator('img').count()).toBe(0)
    expect(w.jsDialogs).toEqual([])
    expect(realProblems(w)).toEqual([])
  })

  test('Revoke asks in an accessible dialog (not window.confirm), and the API refuses the token at once', async () => {
    const erin = await server.user('erin')
    const { token } = await server.cliToken(erin.id, 'deploy-bot')
    const { token: other } = await server.cliToken(erin.id, 'report-bot')
    expect(await server.hello(token)).toBe(200)
    const w = await open()
    const { page } = w
    await logIn(page, server.url, 'erin')
    await goToMyProfile(w)

    const row = page.getByRole('row', { name: /deploy-bot/ })
    await row.getByRole('button', { name: 'Revoke deploy-bot' }).click()
    let confirm = page.getByRole('dialog', { name: 'Revoke token?' })
    expect(await confirm.getAttribute('aria-modal')).toBe('true')
    await confirm.getByText(/deploy-bot/).waitFor()
    // Cancel is focused first, and cancelling changes nothing.
    expect(
      await confirm
        .getByRole('button', { name: 'Cancel' })
        .evaluate((el) => el === document.activeElement),
    ).toBe(true)
    await page.keyboard.press('Escape')
    await confirm.waitFor({ state: 'detached' })
    expect(await server.hello(token)).toBe(200)

    await row.getByRole('button', { name: 'Revoke deploy-bot' }).click()
    confirm = page.getByRole('dialog', { name: 'Revoke token?' })
    await confirm.getByRole('button', { name: 'Revoke token' }).click()
    await page.getByRole('status').getByText('Token “deploy-bot” was revoked.').waitFor()
    expect(await row.locator('td[data-label="Status"]').textContent()).toContain('Revoked')
    expect(await row.getByRole('button', { name: /Revoke/ }).count()).toBe(0)

    expect(await server.hello(token)).toBe(401)
    expect(await server.hello(other)).toBe(200)
    expect(w.jsDialogs).toEqual([])
    expect(realProblems(w)).toEqual([])
  })

  async function openChangePassword(w: Watched, username: string) {
    await logIn(w.page, server.url, username)
    await goToMyProfile(w)
    await w.page.getByRole('button', { name: 'Change password' }).click()
    const form = w.page.getByRole('form', { name: 'Change password' })
    const revokeAll = form.getByLabel('Also revoke all API tokens and sign out of all sessions')
    expect(await revokeAll.isChecked()).toBe(true)
    return form
  }

  test('My Profile > Change password: labelled, checked as typed, and a wrong current password changes nothing', async () => {
    const hal = await server.user('hal')
    const before = await server.cliToken(hal.id, 'made before')
    const w = await open()
    const form = await openChangePassword(w, 'hal')
    const current = form.getByLabel('Current password')
    expect(await current.evaluate((el) => el === document.activeElement)).toBe(true)
    expect(await unlabelled(w.page)).toEqual([])
    await current.fill('not my password')
    await form.getByLabel('New password', { exact: true }).fill('hal new password')
    await form.getByLabel('Confirm new password').fill('hal new passwort')
    await form.getByRole('button', { name: 'Change password' }).click()
    await form.getByText('The two new passwords differ.').waitFor()
    await form.getByLabel('Confirm new password').fill('hal new password')
    await form.getByRole('button', { name: 'Change password' }).click()
    await form.getByText(/is not your current password/).waitFor()
    expect(await current.getAttribute('aria-invalid')).toBe('true')
    expect(await server.hello(before.token)).toBe(200)
    expect(await server.tokenEndpointStatus('hal', 'hal new password')).toBe(401)
    expect(realProblems(w)).toEqual([])
  })

  test('My Profile > Change password: revokes my tokens and other sessions (preselected), this session stays', async () => {
    const gus = await server.user('gus')
    const before = await server.cliToken(gus.id, 'made before')
    const elsewhere = await open()
    await logIn(elsewhere.page, server.url, 'gus')
    const w = await open()
    const { page } = w
    const form = await openChangePassword(w, 'gus')
    await form.getByLabel('Current password').fill(PASSWORD)
    await form.getByLabel('New password', { exact: true }).fill('gus new password')
    await form.getByLabel('Confirm new password').fill('gus new password')
    await form.getByRole('button', { name: 'Change password' }).click()
    await page
      .getByRole('status')
      .getByText('Your password was changed. Revoked 1 API token and signed out 1 other session.')
      .waitFor()
    expect(await form.count()).toBe(0)
    expect(await server.hello(before.token)).toBe(401)
    // This page stays signed in and shows the token revoked; the other session has ended.
    await page
      .getByRole('row', { name: /made before/ })
      .locator('td[data-label="Status"]')
      .getByText('Revoked')
      .waitFor()
    await elsewhere.page.reload()
    await elsewhere.page.getByRole('button', { name: 'Log in' }).waitFor()
    expect(await server.tokenEndpointStatus('gus', 'gus new password')).toBe(200)
    expect(realProblems(w)).toEqual([])
  })

  test('Log out: the old session cookie no longer works', async () => {
    await server.user('fay')
    const w = await open()
    const { page, context } = w
    await logIn(page, server.url, 'fay')
    const cookie = (await context.cookies()).find((c) => c.name === 'apiops_session')
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' })
    const me = (c: string) =>
      fetch(`${server.url}/apiops/me/`, { headers: { cookie: `apiops_session=${c}` } }).then(
        (r) => r.status,
      )
    expect(await me(cookie?.value ?? '')).toBe(200)

    await page.getByRole('button', { name: /Quick Menu/ }).click()
    await page.getByRole('menuitem', { name: 'Log out' }).click()
    await page.getByText('You have logged out.').waitFor()
    await page.getByLabel('Username').waitFor()
    expect(await me(cookie?.value ?? '')).toBe(401)
    expect((await context.cookies()).some((c) => c.name === 'apiops_session')).toBe(false)
    await page.reload()
    await page.getByRole('button', { name: 'Log in' }).waitFor()
    expect(realProblems(w)).toEqual([])
  })
})
