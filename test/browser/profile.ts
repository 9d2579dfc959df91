import type { Locator, Page } from 'playwright-core'
import { logIn } from './chromium.ts'

/*
 * My Profile as the browser tests drive it: signed in straight onto it, and the held
 * reveal dialog closed the way a person must close it.
 */

/** Sign in on /profile; answers the personal token section. */
export async function myProfile(page: Page, baseUrl: string, username: string) {
  await logIn(page, baseUrl, username, '/profile')
  await page.getByRole('heading', { level: 1, name: 'My Profile' }).waitFor()
  return page.getByRole('region', { name: 'Personal API Access Tokens' })
}

/** The reveal closes only once the user says they copied the token. */
export async function finishReveal(reveal: Locator) {
  await reveal.getByLabel('I have copied this token').check()
  await reveal.getByRole('button', { name: 'Done' }).click()
  await reveal.waitFor({ state: 'detached' })
}

/** The names of a token table's rows, top to bottom. */
export function rowNames(region: Locator): Promise<string[]> {
  return region.locator('tbody th').allTextContents()
}
