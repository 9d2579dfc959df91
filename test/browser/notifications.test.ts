import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { setEmail } from '../../src/identity/users/users.service.ts'
import { smtpSink, webhookSink } from '../notify-sinks.ts'
import { launchChromium, logIn, openPage, pageHolds, realProblems, unlabelled } from './chromium.ts'
import { startServer, type TestServer } from './server.ts'

/**
 * Settings > Notifications (issue 14, sections 3 and 7): an administrator configures the
 * SMTP relay and the webhook that reminders and canary alerts go to, with write-only
 * password and secret, tests each channel against local sinks, and removes them.
 */

let server: TestServer
let browser: Browser
let smtp: Awaited<ReturnType<typeof smtpSink>>
let hook: Awaited<ReturnType<typeof webhookSink>>
const SMTP_PASSWORD = 'smtp-secret-4821'
const HOOK_SECRET = 'hook-secret-7734-0123'

beforeAll(async () => {
  ;[server, browser, smtp, hook] = await Promise.all([
    // The sinks listen on loopback, which outbound connections refuse unless allowed.
    startServer({ APIOPS_NOTIFICATION_ALLOWLIST: '127.0.0.1' }),
    launchChromium(),
    smtpSink({ user: 'mailer', password: SMTP_PASSWORD }),
    webhookSink(),
  ])
  await server.user('root', ['ROLE_ADMIN'])
  await setEmail(server.services, 'root', 'root@example.test')
})

afterAll(async () => {
  await browser?.close()
  await server?.close()
  await smtp?.close()
  await hook?.close()
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
    // The port follows the security while it is the usual one.
    await email.getByLabel('Connection security').selectOption('tls')
    expect(await port.inputValue()).toBe('465')
    await email.getByLabel('Connection security').selectOption('none')
    expect(await port.inputValue()).toBe('587')
    await port.fill(String(smtp.port))
    await email.getByLabel(/Username/).fill('mailer')
    await email.getByLabel('Password').fill(SMTP_PASSWORD)
    await email.getByLabel('From address').fill('apiops <apiops@example.test>')
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
            port: smtp.port,
            security: 'none',
            username: 'mailer',
            password: SMTP_PASSWORD,
            from: 'apiops <apiops@example.test>',
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
          port: smtp.port,
          security: 'none',
          username: 'mailer',
          from: 'alerts@example.test',
        },
      },
    })
    expect((await serverNotifications()).value.email).toMatchObject({ passwordSet: true })

    // A test email, through the sink with the stored password, to the administrator's own address.
    await section.getByRole('button', { name: 'Send test email' }).click()
    await section
      .getByRole('status')
      .getByText('Test email: delivered to root@example.test.')
      .waitFor()
    expect(smtp.mails).toHaveLength(1)
    expect(smtp.mails[0]).toMatchObject({
      from: 'alerts@example.test',
      to: ['root@example.test'],
      user: 'mailer',
      subject: 'apiops: test notification',
    })

    // No login any more: the stored password goes with it.
    await email.getByLabel(/Username/).fill('')
    await email.getByRole('button', { name: 'Apply email settings' }).click()
    await expect.poll(() => details.textContent()).toMatch(/no login, password not set/)
    expect(patches[2]).toMatchObject({
      notifications: { email: { username: null, password: null } },
    })
    await email.getByLabel('Password').waitFor()
    expect(realProblems(w)).toEqual([])
  })

  test('webhook: saved with a write-only secret, tested against a local receiver; channels removed after a confirmation', async () => {
    const w = await openPage(browser)
    const { page } = w
    const section = await openNotifications(page)
    const details = section.locator('dl')
    const form = section.getByRole('form', { name: 'Webhook' })
    const url = form.getByLabel('Webhook URL')
    await url.fill('hooks.example.test/x')
    await form.getByRole('button', { name: 'Apply webhook settings' }).click()
    await form.getByText(/starting with https:\/\/ or http:\/\//).waitFor()
    await url.fill(hook.url)
    await form.getByLabel('Signing secret').fill('too-short')
    await form.getByRole('button', { name: 'Apply webhook settings' }).click()
    await form.getByText('Use at least 16 characters for the signing secret.').waitFor()
    await form.getByLabel('Signing secret').fill(HOOK_SECRET)
    await form.getByRole('button', { name: 'Apply webhook settings' }).click()
    await section.getByRole('status').getByText('Saved the webhook.').waitFor()

    // The URL is a credential: only its origin comes back, the rest masked; the secret never.
    const origin = new URL(hook.url).origin
    await expect.poll(() => details.textContent()).toMatch(/, secret set/)
    const masked = await url.inputValue()
    expect(masked.startsWith(`${origin}/`)).toBe(true)
    expect(await details.textContent()).toContain(`${masked}, secret set`)
    const path = new URL(hook.url).pathname
    expect(await pageHolds(w, path)).toBe(false)
    expect(await pageHolds(w, HOOK_SECRET)).toBe(false)
    const shown = (await serverNotifications()).text
    expect(shown).not.toContain(HOOK_SECRET)
    expect(shown).not.toContain(path)

    // Applying it again as shown keeps the stored URL and secret: the test still arrives, signed.
    await form.getByRole('button', { name: 'Apply webhook settings' }).click()
    await section.getByRole('status').getByText('Saved the webhook.').waitFor()
    await section.getByRole('button', { name: 'Send test webhook' }).click()
    await section.getByRole('status').getByText(`Test webhook: delivered to ${origin}.`).waitFor()
    expect(hook.hooks).toHaveLength(1)
    expect(hook.hooks[0]?.json.event).toBe('notification.test')
    expect(hook.hooks[0]?.headers['x-apiops-signature']).toMatch(/./)

    // Remove the webhook: asked first; the email channel stays.
    await section.getByRole('button', { name: 'Remove webhook' }).click()
    const confirm = page.getByRole('dialog', { name: 'Remove the webhook channel?' })
    await confirm.getByRole('button', { name: 'Remove webhook' }).click()
    await section.getByRole('status').getByText('The webhook channel was removed.').waitFor()
    await expect.poll(() => details.textContent()).toMatch(/Webhook\s*Not configured/)
    const held = (await serverNotifications()).value
    expect(held.webhook).toBeNull()
    expect(held.email).toMatchObject({ host: '127.0.0.1', from: 'alerts@example.test' })

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
