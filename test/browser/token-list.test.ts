import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { launchChromium, openPage, realProblems, type Watched } from './chromium.ts'
import { myProfile as signedInProfile } from './profile.ts'
import { startServer, type TestServer } from './server.ts'

/**
 * A token list people can read (issue 14, section 8) and the Create dialog's lifetime
 * choices (section 2), in Chromium against a real server.
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

async function open() {
  const watched = await openPage(browser)
  opened.push(watched)
  return watched
}

const myProfile = (page: Page, username: string) => signedInProfile(page, server.url, username)

/** A fresh user, signed in on My Profile in a page of their own. */
async function newUserOnProfile(username: string) {
  const user = await server.user(username)
  const w = await open()
  const section = await myProfile(w.page, username)
  return { user, w, page: w.page, section }
}

async function openCreate(page: Page, name: string) {
  await page.getByRole('button', { name: 'Create API Token' }).click()
  const form = page.getByRole('dialog', { name: 'Create API Token' })
  await form.getByLabel('Token Name').fill(name)
  return form
}

/** "valid through Dec 15, 2026 (UTC)" for the UTC day `days` from now, as the reader's browser formats it. */
function throughDay(page: Page, days: number) {
  return page.evaluate((n) => {
    const day = new Date(Date.now() + n * 86_400_000)
    const format = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeZone: 'UTC' })
    return `valid through ${format.format(day)} (UTC)`
  }, days)
}

describe('console: a token list people can read', () => {
  test("short-lived tokens are hidden until the switch shows them; the short id is the audit log's", async () => {
    const ivy = await server.user('ivy', ['ROLE_ADMIN'])
    const short = await server.apiToken('ivy')
    expect(await server.hello(short)).toBe(200)
    const w = await open()
    const { page } = w
    const section = await myProfile(page, 'ivy')
    await section.getByText('No tokens yet').waitFor()

    const toggle = section.getByRole('switch', { name: 'Show short-lived' })
    await server.cliToken(ivy.id, 'deploy-bot')
    await page.reload()
    await section.getByRole('row', { name: /deploy-bot/ }).waitFor()
    expect(await section.getByRole('row', { name: /Token endpoint/ }).count()).toBe(0)
    await toggle.check()
    const row = section.getByRole('row', { name: /Token endpoint/ })
    await row.waitFor()
    const shortId = (await row.locator('td[data-label="Token id"]').textContent()) ?? ''
    expect(shortId).toMatch(/^[0-9a-f]{8}$/)
    expect(await row.locator('th').textContent()).toContain(shortId)
    await toggle.uncheck()
    await row.waitFor({ state: 'detached' })

    // The audit log names the same token by the same short id, in monospace.
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Audit' })
      .click()
    const events = page.getByRole('region', { name: 'Audit events' })
    const login = events.getByRole('row', { name: /channel=token_endpoint/ }).first()
    await login.waitFor()
    const code = login.locator('code.mono', { hasText: shortId })
    expect(await code.count()).toBe(1)
    expect(await code.getAttribute('title')).toMatch(
      new RegExp(`^Token id ${shortId}[0-9a-f]{24}$`),
    )
    expect(await page.getByText(`tokenId=${shortId}`).count()).toBeGreaterThan(0)
    expect(realProblems(w)).toEqual([])
  })

  test('active tokens and revoked or expired ones are shown apart', async () => {
    const jo = await server.user('jo')
    await server.cliToken(jo.id, 'live-bot')
    await server.cliToken(jo.id, 'old-bot', new Date(Date.now() + 1500))
    const gone = await server.cliToken(jo.id, 'gone-bot')
    const w = await open()
    const { page } = w
    const section = await myProfile(page, 'jo')
    await new Promise((resolve) => setTimeout(resolve, 1600))
    await page.reload()
    const active = section.getByRole('region', { name: 'Active tokens' })
    const inactive = section.getByRole('region', { name: 'Revoked and expired' })
    await active.getByRole('row', { name: /gone-bot/ }).waitFor()
    await active.getByRole('button', { name: 'Revoke gone-bot' }).click()
    await page
      .getByRole('dialog', { name: 'Revoke token?' })
      .getByRole('button', { name: 'Revoke token' })
      .click()
    await inactive.getByRole('row', { name: /gone-bot/ }).waitFor()
    expect(await server.hello(gone.token)).toBe(401)
    const names = async (region: typeof active) =>
      (await region.locator('tbody th').allTextContents()).sort()
    expect(await names(active)).toEqual(['live-bot'])
    expect(await names(inactive)).toEqual(['gone-bot', 'old-bot'])
    expect(realProblems(w)).toEqual([])
  })

  test('the reveal stays open on Escape and a click outside until the user confirms the copy', async () => {
    const { w, page } = await newUserOnProfile('kit')
    const form = await openCreate(page, 'kept-bot')
    await form.getByRole('button', { name: 'Create' }).click()
    const reveal = page.getByRole('dialog', { name: 'Copy your new token' })
    await reveal.waitFor()
    const done = reveal.getByRole('button', { name: 'Done' })
    expect(await done.isDisabled()).toBe(true)

    for (let i = 0; i < 3; i++) {
      await page.keyboard.press('Escape')
      await page.mouse.click(5, 5)
    }
    await page.waitForTimeout(200)
    expect(await reveal.isVisible()).toBe(true)
    expect(await reveal.evaluate((d) => (d as HTMLDialogElement).open)).toBe(true)
    expect(await reveal.getByLabel(/Token/).inputValue()).toMatch(/^eyJ/)

    await reveal.getByLabel('I have copied this token').check()
    expect(await done.isDisabled()).toBe(false)
    await page.keyboard.press('Escape')
    await reveal.waitFor({ state: 'detached' })
    await page.getByRole('row', { name: /kept-bot/ }).waitFor()
    expect(realProblems(w)).toEqual([])
  })

  test('30 days is the default and reads "valid through"; Never Expires needs an acknowledgement', async () => {
    const { w, page } = await newUserOnProfile('lou')
    let form = await openCreate(page, 'month-bot')
    expect(await form.getByLabel('30 days').isChecked()).toBe(true)
    const through = await throughDay(page, 30)
    await form.getByText(through).waitFor()
    await form.getByRole('button', { name: 'Create' }).click()
    let reveal = page.getByRole('dialog', { name: 'Copy your new token' })
    await reveal.getByText(through, { exact: false }).waitFor()
    await reveal.getByLabel('I have copied this token').check()
    await reveal.getByRole('button', { name: 'Done' }).click()
    const row = page.getByRole('row', { name: /month-bot/ })
    expect(await row.locator('td[data-label="Expires"]').textContent()).toBe(through)

    form = await openCreate(page, 'forever-bot')
    await form.getByLabel('Never Expires').check()
    const acknowledge = form.getByLabel(/I understand this token never expires/)
    await form.getByRole('button', { name: 'Create' }).click()
    await form.getByText(/Tick the box to confirm that this token never expires/).waitFor()
    expect(await acknowledge.evaluate((el) => el === document.activeElement)).toBe(true)
    expect(await page.getByRole('dialog', { name: 'Copy your new token' }).count()).toBe(0)
    await acknowledge.check()
    await form.getByRole('button', { name: 'Create' }).click()
    reveal = page.getByRole('dialog', { name: 'Copy your new token' })
    await reveal.getByText(/Never expires/).waitFor()
    await reveal.getByLabel('I have copied this token').check()
    await reveal.getByRole('button', { name: 'Done' }).click()
    const never = page.getByRole('row', { name: /forever-bot/ })
    expect(await never.locator('td[data-label="Expires"]').textContent()).toBe('Never')
    expect(realProblems(w)).toEqual([])
  })
})
