/**
 * `npm run screenshots`: the console as people see it, saved to docs/screenshots/.
 * Runs a real server (fresh in-memory database, sample users, projects and tokens)
 * and Debian's Chromium; builds the console first when its build is stale.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { launchChromium, logIn } from '../test/browser/chromium.ts'
import { seedProxies } from '../test/browser/proxy-seed.ts'
import { startServer } from '../test/browser/server.ts'
import { ensureConsoleBuilt } from './ensure-build.js'

const OUT = fileURLToPath(new URL('../docs/screenshots/', import.meta.url))
const DAY = 86_400_000

await ensureConsoleBuilt()
mkdirSync(OUT, { recursive: true })
const [server, browser] = await Promise.all([startServer(), launchChromium()])

try {
  // Sample data: a small platform team.
  const admin = await server.user('admin', ['ROLE_ADMIN'])
  await server.user('maria', ['ROLE_MANAGE_PROXIES', 'ROLE_DEPLOY_UNDEPLOY_PROXIES'])
  await server.user('deploy-bot', ['ROLE_DEPLOY_UNDEPLOY_PROXIES'])
  await server.user('sam.lee', ['ROLE_API_SECURITY'])
  const contractor = await server.user('contractor')
  await server.services.db
    .updateTable('users')
    .set({ disabled_at: new Date(Date.now() - 3 * DAY).toISOString() })
    .where('id', '=', contractor.id)
    .execute()

  const adminApi = await server.apiToken('admin')
  const call = (method: string, path: string, body: unknown) =>
    fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${adminApi}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
  await call('POST', '/apiops/projects/', { name: 'payments', description: 'Card payment APIs' })
  await call('POST', '/apiops/projects/payments/members/', { username: 'admin' })
  await call('POST', '/apiops/projects/', { name: 'partner-gateway', description: '' })
  await seedProxies(server, 'admin', 'shop')

  await server.cliToken(admin.id, 'terraform-production')
  const nightly = await server.cliToken(
    admin.id,
    'nightly-config-backup',
    new Date(Date.now() + 90 * DAY),
  )
  const old = await server.cliToken(admin.id, 'old-laptop')
  await server.hello(nightly.token)
  await server.hello(adminApi)
  await server.services.usage.flush()
  await server.services.db
    .updateTable('api_tokens')
    .set({ revoked_at: new Date().toISOString() })
    .where('id', '=', old.view.id)
    .execute()

  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } })
  const page = await context.newPage()
  const save = async (name: string, fullPage = false) => {
    writeFileSync(join(OUT, name), await page.screenshot({ fullPage, animations: 'disabled' }))
    process.stdout.write(`docs/screenshots/${name}\n`)
  }

  await page.goto(`${server.url}/`)
  await page.getByLabel('Username').waitFor()
  await save('login.png')

  await logIn(page, server.url, 'admin')
  await page.getByRole('button', { name: /Quick Menu/ }).click()
  await page.getByRole('menuitem', { name: 'My Profile' }).click()
  await page.getByRole('button', { name: 'Create API Token' }).click()
  const form = page.getByRole('dialog', { name: 'Create API Token' })
  await form.getByLabel('Token Name').fill('github-actions-deploy')
  await form.getByRole('button', { name: 'Create' }).click()
  const reveal = page.getByRole('dialog', { name: 'Copy your new token' })
  await reveal.waitFor()
  await save('token-reveal.png')
  await reveal.getByRole('button', { name: 'Done' }).click()
  await reveal.waitFor({ state: 'detached' })
  await page.getByRole('row', { name: /github-actions-deploy/ }).waitFor()
  await page.mouse.move(0, 0)
  await save('profile-tokens.png', true)

  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Users' }).click()
  await page.getByRole('row', { name: /contractor/ }).waitFor()
  await save('admin-users.png', true)

  await page.goto(`${server.url}/proxies/shop`)
  await page.getByRole('link', { name: 'legacy-orders' }).waitFor()
  await save('proxies.png')

  await page.setViewportSize({ width: 375, height: 812 })
  await page.goto(`${server.url}/profile`)
  await page.getByRole('row', { name: /github-actions-deploy/ }).waitFor()
  await save('profile-phone.png', true)
  await context.close()
} finally {
  await browser.close()
  await server.close()
}
