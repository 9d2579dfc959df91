import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Browser, Page } from 'playwright-core'
import { SMTPServer } from 'smtp-server'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { launchChromium, logIn, openPage, pageHolds, realProblems, unlabelled } from './chromium.ts'
import { startServer, type TestServer } from './server.ts'

/**
 * Settings > Notifications (issue 14, sections 3 and 7): an administrator configures the
 * SMTP server and the webhook that reminders and canary alerts go to, with write-only
 * password and secret, tests each channel against local sinks, and removes them.
 */

let server: TestServer
let browser: Browser
let hooks: Server
let smtp: SMTPServer
const calls: { headers: IncomingHttpHeaders; body: string }[] = []
const mails: { from: string; to: string[]; user: string | undefined }[] = []
const SMTP_PASSWORD = 'smtp-secret-4821'
const HOOK_SECRET = 'hook-secret-7734'

/** A webhook receiver on loopback that keeps every call. */
async function startHooks(): Promise<Server> {
  const s = createServer((request, response) => {
    let body = ''
    request.on('data', (chunk: Buffer) => {
      body += chunk.toString()
    })
    request.on('end', () => {
      calls.push({ headers: request.headers, body })
      response.writeHead(204).end()
    })
  })
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))
  return s
}

/** An SMTP sink on loopback: plain text, one login (mailer / SMTP_PASSWORD), keeps envelopes. */
async function startSmtp(): Promise<SMTPServer> {
  const s = new SMTPServer({
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    onAuth(auth, _session, done) {
      if (auth.username === 'mailer' && auth.password === SMTP_PASSWORD) {
        return done(null, { user: 'mailer' })
      }
      return done(new Error('Invalid username or password'))
    },
    onData(stream, session, done) {
      stream.resume()
      stream.on('end', () => {
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          user: session.user as string | undefined,
        })
        done()
      })
    },
  })
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))
  return s
}

const portOf = (s: { address(): AddressInfo | string | null }) => (s.address() as AddressInfo).port

beforeAll(async () => {
  ;[server, browser, hooks, smtp] = await Promise.all([
    startServer(),
    launchChromium(),
    startHooks(),
    startSmtp(),
  ])
  await server.user('root', ['ROLE_ADMIN'])
})

afterAll(async () => {
  await browser?.close()
  await server?.close()
  await new Promise((resolve) => hooks?.close(resolve))
  await new Promise((resolve) => smtp?.close(() => resolve(undefined)))
})

/** Every PATCH of the settings the page sends, by body. */
function watchPatches(page: Page) {
  const sent: unknown[] = []
  page.on('request', (request) => {
    if (request.method() === 'PATCH' && new URL(request.url()).pathname === '/apiops/settings/') {
      sent.push(request.postDataJSON())
    }
  })
  return sent
}

/** The notification channels the server holds now, as an administrator's token reads them. */
async function serverNotifications(): Promise<{ text: string; value: Record<string, unknown> }> {
  const token = await server.apiToken('root')
  const r = await fetch(`${server.url}/apiops/settings/`, {
    headers: { authorization: `Bearer ${token}` },
  })
  expect(r.status).toBe(200)
  const body = (await r.json()) as { notifications: { value: Record<string, unknown> } }
  return { text: JSON.stringify(body), value: body.notifications.value }
}

async function openNotifications(page: Page) {
  await logIn(page, server.url, 'root', '/admin/settings')
  const section = page.getByRole('region', { name: 'Notifications' })
  await section.getByText('Not configured').first().waitFor()
  return section
}

describe('console: notification settings', () => {
  test('email: checked as typed, saved with a write-only password kept across saves, tested against a local SMTP sink', async () => {
    const w = await openPage(browser)
    const { page } = w
    const patches = watchPatches(page)
    const section = await openNotifications(page)
    const details = section.locator('dl')
    expect(await details.textContent()).toMatch(/Email\s*Not configured/)
    expect(await details.textContent()).toMatch(/Webhook\s*Not configured/)
    expect(await section.getByRole('button', { name: /Send test/ }).count()).toBe(0)
    expect(await unlabelled(page)).toEqual([])

    const email = section.getByRole('form', { name: 'Email (SMTP)' })
    await email.getByRole('button', { name: 'Apply email settings' }).click()
    await email.getByText("Enter the SMTP server's host name, such as smtp.example.com.").waitFor()
    const host = email.getByLabel('SMTP host')
    expect(await host.evaluate((el) => el === document.activeElement)).toBe(true)
    expect(patches).toEqual([])

    await host.fill('127.0.0.1')
    const port = email.getByLabel('Port')
    expect(await port.inputValue()).toBe('587')
    await email.getByLabel('Connection security').selectOption('none')
    expect(await port.inputValue()).toBe('25')
    await port.fill(String(portOf(smtp.server)))
    await email.getByLabel(/Username/).fill('mailer')
    await email.getByLabel('Password').fill(SMTP_PASSWORD)
    await email.getByLabel('From address').fill('apiops@example.test')
    await email.getByRole('button', { name: 'Apply email settings' }).click()
    await section.getByRole('status').getByText('Saved the email settings.').waitFor()
    await expect
      .poll(() => details.textContent())
      .toMatch(/Email\s*127\.0\.0\.1:\d+, None \(plain text\), login mailer, password set/)
    expect(await details.textContent()).toMatch(/Source\s*Set by root at /)

    // The password went once, in the PATCH; it is never read back, nor kept in the page.
    expect(patches).toEqual([
      {
        notifications: {
          email: {
            host: '127.0.0.1',
            port: portOf(smtp.server),
            security: 'none',
            username: 'mailer',
            password: SMTP_PASSWORD,
            from: 'apiops@example.test',
          },
        },
      },
    ])
    expect(await pageHolds(w, SMTP_PASSWORD)).toBe(false)
    const held = await serverNotifications()
    expect(held.text).not.toContain(SMTP_PASSWORD)
    expect(held.value.email).toMatchObject({ passwordSet: true, username: 'mailer' })
    await email.getByLabel('New password').waitFor()
    await email
      .getByText('A password is set; it is never shown. Leave this empty to keep it.')
      .waitFor()

    // Saving again without a password keeps the stored one.
    await email.getByLabel('From address').fill('alerts@example.test')
    await email.getByRole('button', { name: 'Apply email settings' }).click()
    await expect.poll(() => details.textContent()).toMatch(/from alerts@example\.test/)
    expect(patches[1]).toEqual({
      notifications: {
        email: {
          host: '127.0.0.1',
          port: portOf(smtp.server),
          security: 'none',
          username: 'mailer',
          from: 'alerts@example.test',
        },
      },
    })
    expect((await serverNotifications()).value.email).toMatchObject({ passwordSet: true })

    // A test email, through the sink, with the stored password.
    await section.getByRole('button', { name: 'Send test email' }).click()
    await section
      .getByRole('status')
      .getByText(/^Test email delivered\./)
      .waitFor()
    expect(mails).toHaveLength(1)
    expect(mails[0]).toMatchObject({ from: 'alerts@example.test', user: 'mailer' })
    expect(realProblems(w)).toEqual([])
  })

  test('webhook: saved with a write-only secret, tested against a local receiver; channels removed after a confirmation', async () => {
    const w = await openPage(browser)
    const { page } = w
    const section = await openNotifications(page)
    const details = section.locator('dl')
    const hook = section.getByRole('form', { name: 'Webhook' })
    await hook.getByLabel('Webhook URL').fill('hooks.example.test/x')
    await hook.getByRole('button', { name: 'Apply webhook settings' }).click()
    await hook.getByText(/starting with https:\/\/ or http:\/\//).waitFor()
    const url = `http://127.0.0.1:${portOf(hooks)}/apiops-alerts`
    await hook.getByLabel('Webhook URL').fill(url)
    await hook.getByLabel('Signing secret').fill(HOOK_SECRET)
    await hook.getByRole('button', { name: 'Apply webhook settings' }).click()
    await section.getByRole('status').getByText('Saved the webhook.').waitFor()
    await expect.poll(() => details.textContent()).toContain(`${url}, secret set`)
    expect(await pageHolds(w, HOOK_SECRET)).toBe(false)
    expect((await serverNotifications()).text).not.toContain(HOOK_SECRET)

    await section.getByRole('button', { name: 'Send test webhook' }).click()
    await section
      .getByRole('status')
      .getByText(/^Test webhook delivered\./)
      .waitFor()
    expect(calls).toHaveLength(1)

    // Remove the webhook: asked first; the email channel stays.
    await section.getByRole('button', { name: 'Remove webhook' }).click()
    const confirm = page.getByRole('dialog', { name: 'Remove the webhook channel?' })
    await confirm.getByRole('button', { name: 'Remove webhook' }).click()
    await section.getByRole('status').getByText('The webhook channel was removed.').waitFor()
    await expect.poll(() => details.textContent()).toMatch(/Webhook\s*Not configured/)
    const held = (await serverNotifications()).value
    expect(held.webhook).toBeNull()
    expect(held.email).toMatchObject({ passwordSet: true })

    await section.getByRole('button', { name: 'Remove all channels' }).click()
    await page
      .getByRole('dialog', { name: 'Remove every notification channel?' })
      .getByRole('button', { name: 'Remove all channels' })
      .click()
    await expect.poll(() => details.textContent()).toMatch(/Source\s*No channel: the default/)
    expect((await serverNotifications()).value).toEqual({ email: null, webhook: null })
    expect(realProblems(w)).toEqual([])
  })
})
