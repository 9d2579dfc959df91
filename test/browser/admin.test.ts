import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { launchChromium, logIn, openPage, realProblems, type Watched } from './chromium.ts'
import { startServer, type TestServer } from './server.ts'

/** What an administrator does in the console: users, projects, everyone's tokens. */

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

async function asAdmin(): Promise<Watched> {
  const w = await openPage(browser)
  await logIn(w.page, server.url, 'root')
  return w
}

async function nav(page: Page, name: 'Users' | 'Projects') {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name }).click()
  await page.getByRole('heading', { level: 1, name }).waitFor()
}

async function confirmIn(page: Page, title: string, button: string) {
  const dialog = page.getByRole('dialog', { name: title })
  expect(await dialog.getAttribute('aria-modal')).toBe('true')
  await dialog.getByRole('button', { name: button }).click()
  await dialog.waitFor({ state: 'detached' })
}

describe('console: administration', () => {
  test('Users: create, set roles, disable and enable, reset the password', async () => {
    const w = await asAdmin()
    const { page } = w
    await nav(page, 'Users')
    await page.getByRole('button', { name: 'Create User' }).click()
    const create = page.getByRole('dialog', { name: 'Create User' })
    await create.getByLabel('Username').fill('erin')
    await create.getByLabel('Password').fill('short')
    await create.getByRole('button', { name: 'Create User' }).click()
    await create.getByText('Use at least 8 characters.').waitFor()
    await create.getByLabel('Password').fill('erin-first-pass')
    await create.getByLabel(/ROLE_MANAGE_PROXIES/).check()
    await create.getByRole('button', { name: 'Create User' }).click()
    await page.getByRole('status').getByText('User “erin” was created.').waitFor()
    const row = page.getByRole('row', { name: /erin/ })
    expect(await row.textContent()).toContain('ROLE_MANAGE_PROXIES')
    expect(await server.tokenEndpointStatus('erin', 'erin-first-pass')).toBe(200)

    // A duplicate name is refused with the server's own message.
    await page.getByRole('button', { name: 'Create User' }).click()
    await create.getByLabel('Username').fill('erin')
    await create.getByLabel('Password').fill('another-pass-1')
    await create.getByRole('button', { name: 'Create User' }).click()
    await create.getByRole('alert').waitFor()
    await create.getByRole('button', { name: 'Cancel' }).click()

    await row.getByRole('link', { name: 'erin' }).click()
    await page.getByRole('heading', { level: 1, name: 'erin' }).waitFor()
    expect(new URL(page.url()).pathname).toBe('/admin/users/erin')
    const roles = page.getByRole('group', { name: 'Roles of erin' })
    await roles.getByLabel(/ROLE_API_SECURITY/).check()
    await roles.getByLabel(/ROLE_MANAGE_PROXIES/).uncheck()
    await page.getByRole('button', { name: 'Save roles' }).click()
    await page
      .getByRole('status')
      .getByText(/Roles of “erin” were saved/)
      .waitFor()
    const listed = await fetchAsAdmin('/apiops/users/erin/')
    expect(listed.roles).toEqual(['ROLE_API_SECURITY'])

    // Disable (after confirming): the token endpoint refuses erin; enable: it answers again.
    await page.getByRole('button', { name: 'Disable user' }).click()
    await confirmIn(page, 'Disable user?', 'Disable user')
    await page.getByRole('status').getByText('User “erin” was disabled.').waitFor()
    expect(await server.tokenEndpointStatus('erin', 'erin-first-pass')).toBe(401)
    await page.getByRole('button', { name: 'Enable user' }).click()
    await page.getByRole('status').getByText('User “erin” was enabled.').waitFor()
    expect(await server.tokenEndpointStatus('erin', 'erin-first-pass')).toBe(200)

    // Reset password.
    const newPassword = page.getByLabel('New password')
    await newPassword.fill('tiny')
    await page.getByRole('button', { name: 'Reset password' }).click()
    await page.getByText('Use at least 8 characters.').waitFor()
    await newPassword.fill('erin-second-pass')
    await page.getByRole('button', { name: 'Reset password' }).click()
    await page.getByRole('status').getByText('The password of “erin” was reset.').waitFor()
    expect(await newPassword.inputValue()).toBe('')
    expect(await server.tokenEndpointStatus('erin', 'erin-second-pass')).toBe(200)
    expect(await server.tokenEndpointStatus('erin', 'erin-first-pass')).toBe(401)
    expect(realProblems(w)).toEqual([])
  })

  test("Reset password revokes the user's tokens and sessions (preselected); unticked, it keeps them", async () => {
    const ivy = await server.user('ivy')
    const before = await server.cliToken(ivy.id, 'made before the reset')
    const ivysSession = await openPage(browser)
    await logIn(ivysSession.page, server.url, 'ivy')
    const w = await openPage(browser)
    const { page } = w
    await logIn(page, server.url, 'root', '/admin/users/ivy')
    const revokeAll = page.getByLabel('Also revoke all API tokens and sign out of all sessions')
    expect(await revokeAll.isChecked()).toBe(true)
    await page.getByLabel('New password').fill('ivy-second-pass')
    await page.getByRole('button', { name: 'Reset password' }).click()
    await page
      .getByRole('status')
      .getByText('The password of “ivy” was reset. Revoked 1 API token and signed out 1 session.')
      .waitFor()
    expect(await server.hello(before.token)).toBe(401)
    await page.getByRole('region', { name: 'API tokens' }).getByText('0 active of 1.').waitFor()
    await ivysSession.page.reload()
    await ivysSession.page.getByRole('button', { name: 'Log in' }).waitFor()

    const kept = await server.cliToken(ivy.id, 'kept')
    expect(await revokeAll.isChecked()).toBe(true)
    await revokeAll.uncheck()
    await page.getByLabel('New password').fill('ivy-third-pass')
    await page.getByRole('button', { name: 'Reset password' }).click()
    await page
      .getByRole('status')
      .getByText('The password of “ivy” was reset. Their API tokens and sessions were kept.')
      .waitFor()
    expect(await server.hello(kept.token)).toBe(200)
    expect(await revokeAll.isChecked()).toBe(true)
    expect(await server.tokenEndpointStatus('ivy', 'ivy-third-pass')).toBe(200)
    expect(realProblems(w)).toEqual([])
  })

  test('Projects: create, add and remove members, delete', async () => {
    await server.user('frank')
    const w = await asAdmin()
    const { page } = w
    await nav(page, 'Projects')
    await page.getByText('No projects yet').waitFor()

    await page.getByRole('button', { name: 'Create Project' }).click()
    const create = page.getByRole('dialog', { name: 'Create Project' })
    await create.getByLabel('Project name').fill('bad name')
    await create.getByRole('button', { name: 'Create Project' }).click()
    await create.getByText('Use 1 to 100 characters, without spaces or slashes.').waitFor()
    await create.getByLabel('Project name').fill('payments')
    await create.getByLabel('Description (optional)').fill('Card payments APIs')
    await create.getByRole('button', { name: 'Create Project' }).click()
    await page.getByRole('status').getByText('Project “payments” was created.').waitFor()
    await page
      .getByRole('row', { name: /payments/ })
      .getByText('Card payments APIs')
      .waitFor()

    await page.getByRole('link', { name: 'payments' }).click()
    await page.getByRole('heading', { level: 1, name: 'payments' }).waitFor()
    await page.getByText('No members yet').waitFor()
    await page.getByLabel('Username').fill('frank')
    await page.getByRole('button', { name: 'Add member' }).click()
    await page.getByRole('status').getByText('“frank” was added to payments.').waitFor()
    expect((await fetchAsAdmin('/apiops/projects/payments/members/')).resultList).toHaveLength(1)

    await page.getByLabel('Username').fill('no-such-user')
    await page.getByRole('button', { name: 'Add member' }).click()
    await page.getByRole('alert').waitFor()

    await page
      .getByRole('row', { name: /frank/ })
      .getByRole('button', { name: 'Remove frank' })
      .click()
    await confirmIn(page, 'Remove member?', 'Remove member')
    await page.getByText('No members yet').waitFor()
    expect((await fetchAsAdmin('/apiops/projects/payments/members/')).resultList).toHaveLength(0)

    await page
      .getByRole('navigation', { name: 'Breadcrumb' })
      .getByRole('link', { name: 'Projects' })
      .click()
    await page.getByRole('button', { name: 'Delete project payments' }).click()
    await confirmIn(page, 'Delete project?', 'Delete project')
    await page.getByText('No projects yet').waitFor()
    expect((await fetchAsAdmin('/apiops/projects/')).resultList).toHaveLength(0)
    expect(realProblems(w)).toEqual([])
  })

  test("every user's tokens: revoke one, then revoke all", async () => {
    const gina = await server.user('gina')
    const a = await server.cliToken(gina.id, 'alpha')
    const b = await server.cliToken(gina.id, 'beta')
    const c = await server.cliToken(gina.id, 'gamma')
    const w = await asAdmin()
    const { page } = w
    await nav(page, 'Users')
    await page.getByRole('link', { name: 'gina' }).click()
    const tokens = page.getByRole('region', { name: 'API tokens' })
    await tokens.getByText('3 active of 3.').waitFor()

    await tokens.getByRole('button', { name: 'Revoke beta' }).click()
    await confirmIn(page, 'Revoke token?', 'Revoke token')
    await page.getByRole('status').getByText('Token “beta” was revoked.').waitFor()
    expect(await server.hello(b.token)).toBe(401)
    expect(await server.hello(a.token)).toBe(200)

    await tokens.getByRole('button', { name: 'Revoke all tokens' }).click()
    await confirmIn(page, 'Revoke all tokens?', 'Revoke all tokens')
    await page.getByRole('status').getByText('2 tokens were revoked.').waitFor()
    expect(await server.hello(a.token)).toBe(401)
    expect(await server.hello(c.token)).toBe(401)
    await tokens.getByText('0 active of 3.').waitFor()
    expect(await tokens.getByRole('button', { name: 'Revoke all tokens' }).isDisabled()).toBe(true)
    expect(realProblems(w)).toEqual([])
  })

  test('a user without ROLE_ADMIN sees no administration', async () => {
    await server.user('hank', ['ROLE_MANAGE_PROXIES'])
    const w = await openPage(browser)
    const { page } = w
    await logIn(page, server.url, 'hank', '/admin/users')
    await page.getByRole('heading', { level: 1, name: 'Administrators only' }).waitFor()
    const main = page.getByRole('navigation', { name: 'Main' })
    expect(await main.getByRole('link').allInnerTexts()).toEqual(['Overview'])
    expect(realProblems(w)).toEqual([])
  })
})

/** Read what the server holds, as an admin's API client would (a CLI-made token). */
let adminToken: string | undefined
async function fetchAsAdmin(path: string) {
  if (!adminToken) adminToken = await server.apiToken('root')
  const r = await fetch(`${server.url}${path}`, {
    headers: { authorization: `Bearer ${adminToken}` },
  })
  expect(r.status).toBe(200)
  return r.json()
}
