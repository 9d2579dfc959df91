import { existsSync } from 'node:fs'
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core'
import { PASSWORD } from '../helpers.ts'

import { CHROMIUM } from './chromium-path.ts'

/** Headless, sandbox-free (root), and quiet on the network (this machine has none). */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium is not at ${CHROMIUM}: install Debian's (apt-get install -y chromium) or set APIOPS_CHROMIUM`,
    )
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
}

export interface Watched {
  context: BrowserContext
  page: Page
  /** Console errors and CSP violations seen so far: a clean run has none. */
  problems: string[]
  /** Every URL the page asked for. */
  urls: string[]
  /** Set when any JS dialog (alert, confirm, prompt) opened. */
  jsDialogs: string[]
}

/** A fresh context (own cookies and storage) and a page that records what goes wrong. */
export async function openPage(
  browser: Browser,
  options: Parameters<Browser['newContext']>[0] = {},
): Promise<Watched> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, ...options })
  const page = await context.newPage()
  const problems: string[] = []
  const urls: string[] = []
  const jsDialogs: string[] = []
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(msg.text())
  })
  page.on('pageerror', (error) => problems.push(String(error)))
  page.on('request', (request) => urls.push(request.url()))
  page.on('dialog', (dialog) => {
    jsDialogs.push(`${dialog.type()}: ${dialog.message()}`)
    void dialog.dismiss()
  })
  return { context, page, problems, urls, jsDialogs }
}

/** Open a console page (the login form shows first) and log in through the form. */
export async function logIn(page: Page, baseUrl: string, username: string, path = '/') {
  await page.goto(`${baseUrl}${path}`)
  await submitLogin(page, username)
}

/** Fill in and send the login form already on the page, as a person does. */
export async function submitLogin(page: Page, username: string, password = PASSWORD) {
  await page.getByLabel('Username').fill(username)
  await page.getByLabel('Password').fill(password)
  await page.getByRole('button', { name: 'Log in' }).click()
  await page.getByRole('button', { name: /Quick Menu/ }).waitFor()
}

/** Everything the page keeps in Web Storage, as one string. */
export async function webStorage(page: Page): Promise<string> {
  return page.evaluate(() => JSON.stringify([{ ...localStorage }, { ...sessionStorage }]))
}

/**
 * Is this string anywhere the page could keep it: the DOM (markup and the values of
 * fields), Web Storage, the address bar, or any URL the page requested?
 */
export async function pageHolds(w: Watched, secret: string): Promise<boolean> {
  const inPage = await w.page.evaluate(
    (s) =>
      document.documentElement.outerHTML.includes(s) ||
      [
        ...document.querySelectorAll<HTMLInputElement | HTMLTextAreaElement>('input, textarea'),
      ].some((el) => el.value.includes(s)) ||
      JSON.stringify([{ ...localStorage }, { ...sessionStorage }]).includes(s) ||
      window.location.href.includes(s),
    secret,
  )
  return inPage || w.urls.some((u) => u.includes(secret))
}

/** Console errors other than the browser's own note on a 4xx answer (e.g. the 401 before login). */
export function realProblems(w: Watched): string[] {
  return w.problems.filter((p) => !p.startsWith('Failed to load resource'))
}

/** Every form control on the page has a <label> (so getByLabel finds each one). */
export async function unlabelled(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll<HTMLInputElement>('input, textarea, select')]
      .filter((el) => el.type !== 'hidden' && (el.labels?.length ?? 0) === 0)
      .map((el) => el.outerHTML),
  )
}

/** The focused element, and the outline it draws (the :focus-visible style). */
export async function focused(page: Page) {
  return page.evaluate(() => {
    const el = document.activeElement as HTMLElement
    const style = getComputedStyle(el)
    return {
      tag: el.tagName,
      text: el.textContent,
      label: el instanceof HTMLInputElement ? (el.labels?.[0]?.textContent ?? '') : '',
      style: style.outlineStyle,
      width: Number.parseFloat(style.outlineWidth),
    }
  })
}
