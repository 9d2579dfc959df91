import type { Browser, Locator, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { getUser } from '../../src/identity/users/users.service.ts'
import { launchChromium, logIn, openPage, realProblems } from './chromium.ts'
import { myProfile } from './profile.ts'
import { startServer, type TestServer } from './server.ts'

/**
 * Where a user's expiry reminders and canary alerts go (issue 14, section 3): set by the
 * user on My Profile, or by an administrator on the user's page and when creating them.
 * In Chromium against a real server; what the server holds is read from its database.
 */

let server: TestServer
let browser: Browser

beforeAll(async () => {
  ;[server, browser] = await Promise.all([startServer(), launchChromium()])
  await server.user('root', ['ROLE_ADMIN'])
})

afterAll(async () => {
  await browser?.close()
  await server?.close()
})

const BAD = 'must be an email address such as ada@example.com'
const stored = async (username: string) => (await getUser(server.services, username)).email

/** The email form of the page, once it shows the address it holds ("Now: …"). */
async function emailForm(page: Page, now: string | RegExp): Promise<Locator> {
  const form = page.getByRole('form', { name: 'Email for reminders' })
  await form.getByText(now).waitFor()
  return form
}

async function save(form: Locator, address: string) {
  await form.getByLabel('Email address').fill(address)
  await form.getByRole('button', { name: 'Save email' }).click()
}

/** A refused address: the server's words under the field, which is marked invalid. */
async function expectRefused(form: Locator) {
  await form.getByText(BAD).waitFor()
  const input = form.getByLabel('Email address')
  expect(await input.getAttribute('aria-invalid')).toBe('true')
  const described = (await input.getAttribute('aria-describedby')) ?? ''
  const errorId = await form.locator('.field-error').getAttribute('id')
  expect(described.split(' ')).toContain(errorId)
}

describe('console: email for reminders', () => {
  test('My Profile: none at first; a bad address refused inline; saved, it survives a reload; removed, it is gone', async () => {
    await server.user('ada')
    const w = await openPage(browser)
    const { page } = w
    await myProfile(page, server.url, 'ada')
    let form = await emailForm(
      page,
      'none: you will not be told by email before your tokens expire',
    )
    const purpose = await form.locator('.hint').textContent()
    expect(purpose).toContain('7 days and 1 day before your tokens expire')
    expect(purpose).toContain('canary alerts')
    expect(purpose).toContain('Settings > Notifications')
    expect(await form.getByRole('button', { name: 'Remove email' }).isDisabled()).toBe(true)

    // Nothing typed: the console says so and asks the server nothing.
    await form.getByRole('button', { name: 'Save email' }).click()
    await form.getByText('Enter an email address, or use Remove to have none.').waitFor()

    await save(form, 'ada-at-example')
    await expectRefused(form)
    expect(await stored('ada')).toBeNull()

    await save(form, '  ada@example.com ')
    await form.getByRole('status').getByText('Email address saved: ada@example.com.').waitFor()
    expect(await form.getByLabel('Email address').getAttribute('aria-invalid')).toBeNull()
    expect(await form.locator('.field-error').count()).toBe(0)
    expect(await stored('ada')).toBe('ada@example.com')

    await page.reload()
    form = await emailForm(page, 'Now: ada@example.com')
    expect(await form.getByLabel('Email address').inputValue()).toBe('ada@example.com')

    await form.getByRole('button', { name: 'Remove email' }).click()
    await form.getByRole('status').getByText('Email address removed.').waitFor()
    await form.getByText('none: you will not be told').waitFor()
    expect(await stored('ada')).toBeNull()
    await page.reload()
    form = await emailForm(page, 'none: you will not be told')
    expect(await form.getByLabel('Email address').inputValue()).toBe('')
    expect(realProblems(w)).toEqual([])
  })

  test("Users: an optional address when creating a user, listed, and changed or removed on the user's page", async () => {
    const w = await openPage(browser)
    const { page } = w
    await logIn(page, server.url, 'root', '/admin/users')
    await page.getByRole('heading', { level: 1, name: 'Users' }).waitFor()
    await page.getByRole('button', { name: 'Create User' }).click()
    const create = page.getByRole('dialog', { name: 'Create User' })
    await create.getByLabel('Username').fill('bo')
    await create.getByLabel('Password').fill('bo-first-pass')
    const email = create.getByLabel('Email (optional)')
    await email.fill('bo@')
    await create.getByRole('button', { name: 'Create User' }).click()
    await create.getByText(BAD).waitFor()
    expect(await email.getAttribute('aria-invalid')).toBe('true')
    await expect(getUser(server.services, 'bo')).rejects.toThrow()

    await email.fill('bo@example.com')
    await create.getByRole('button', { name: 'Create User' }).click()
    await page.getByRole('status').getByText('User “bo” was created.').waitFor()
    expect(await stored('bo')).toBe('bo@example.com')
    const row = page.getByRole('row', { name: /^bo\b/ })
    expect(await row.locator('td[data-label="Email"]').textContent()).toBe('bo@example.com')

    await row.getByRole('link', { name: 'bo' }).click()
    await page.getByRole('heading', { level: 1, name: 'bo' }).waitFor()
    let form = await emailForm(page, 'Now: bo@example.com')
    expect(await form.locator('.hint').textContent()).toContain('before their tokens expire')
    await save(form, 'not an address')
    await expectRefused(form)
    expect(await stored('bo')).toBe('bo@example.com')

    await save(form, 'bo@corp.example')
    await form.getByRole('status').getByText('Email address saved: bo@corp.example.').waitFor()
    expect(await stored('bo')).toBe('bo@corp.example')
    await page.reload()
    form = await emailForm(page, 'Now: bo@corp.example')

    await form.getByRole('button', { name: 'Remove email' }).click()
    await form
      .getByText('none: they will not be told by email before their tokens expire')
      .waitFor()
    expect(await stored('bo')).toBeNull()
    await page.getByRole('navigation', { name: 'Breadcrumb' }).getByRole('link').click()
    const listed = page.getByRole('row', { name: /^bo\b/ }).locator('td[data-label="Email"]')
    await listed.getByText('None').waitFor()
    expect(realProblems(w)).toEqual([])
  })
})
