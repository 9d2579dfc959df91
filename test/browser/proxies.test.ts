import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { systemClock } from '../../src/clock.ts'
import { TrafficRecorder } from '../../src/traffic/traffic.recorder.ts'
import { trafficRecord } from '../fixtures/traffic.ts'
import { launchChromium, logIn, openPage, pageHolds, realProblems, unlabelled } from './chromium.ts'
import { API_SECRET, seedProxies } from './proxy-seed.ts'
import { startServer, type TestServer } from './server.ts'

/**
 * The read-only Proxies page: a member of a project lists its proxies and opens one;
 * someone who may read no proxies gets no entry and, at the address, says why.
 */

let server: TestServer
let browser: Browser

beforeAll(async () => {
  ;[server, browser] = await Promise.all([startServer(), launchChromium()])
  await server.user('root', ['ROLE_ADMIN'])
  await server.user('dana', ['ROLE_MANAGE_PROXIES'])
  await server.user('sam', ['ROLE_API_SECURITY'])
  const { json } = await seedProxies(server, 'root', 'shop')
  await json('POST', '/projects/shop/members/', { username: 'dana' })
  await json('PATCH', '/projects/shop/apiProxies/legacy-orders/settings/routing-status/', {
    mirrorEnabled: true,
    mirrorAddressList: [{ address: 'https://orders-shadow.internal' }],
  })
  // A second project with more proxies than one page holds (the page asks for 20).
  await json('POST', '/projects/', { name: 'bulk' })
  for (let i = 1; i <= 22; i++) {
    await json('POST', '/projects/bulk/apiProxies/url/', {
      apiProxyName: `svc-${String(i).padStart(2, '0')}`,
      apiProxyCreationType: 'REVERSE_PROXY',
      clientRoute: { relativePathList: [`/svc/${i}`] },
      routingInfo: { routingAddressList: [{ address: `https://svc-${i}.internal` }] },
    })
  }
})

afterAll(async () => {
  await browser?.close()
  await server?.close()
})

const mainNav = (page: Page) => page.getByRole('navigation', { name: 'Main' })

/** The text of each cell of a table's body, row by row. */
function cells(page: Page, caption: string) {
  return page
    .getByRole('table', { name: caption })
    .locator('tbody tr')
    .evaluateAll((rows) =>
      rows.map((r) =>
        [...r.querySelectorAll('th, td')].map((c) => {
          // A cell holding a list (deployments): its items, one after another.
          const items = [...c.querySelectorAll('li')]
          const text = items.length ? items.map((li) => li.textContent).join(' ') : c.textContent
          return (text ?? '').replace(/\s+/g, ' ').trim()
        }),
      ),
    )
}

describe('console: API proxies', () => {
  test('a member lists the project proxies with their deployments, then reads one', async () => {
    const w = await openPage(browser)
    const { page } = w
    await logIn(page, server.url, 'dana')
    await mainNav(page).getByRole('link', { name: 'Proxies' }).click()
    await page.getByRole('heading', { level: 1, name: 'Proxies' }).waitFor()
    expect(await page.getByLabel('Project').inputValue()).toBe('shop')
    await page.getByRole('link', { name: 'inventory' }).waitFor()

    expect(await cells(page, 'API proxies of shop')).toEqual([
      [
        'inventory',
        'Stock levels and items',
        'OPEN_API',
        '/inventory',
        'prod Not deployed test Deployed Redeploy required',
      ],
      [
        'legacy-orders',
        'No description',
        'REVERSE_PROXY',
        '/legacy/orders',
        'prod Not deployed test Not deployed',
      ],
    ])
    expect(await page.getByRole('navigation', { name: /Pages of/ }).textContent()).toContain(
      '1–2 of 2',
    )

    await page.getByRole('link', { name: 'inventory' }).click()
    await page.getByRole('heading', { level: 1, name: 'inventory' }).waitFor()
    expect(await cells(page, 'Endpoints of inventory')).toEqual([
      ['GET', '/items', 'List the items in stock', 'Yes', 'GET /items'],
      ['POST', '/items', 'Add an item', 'Yes', 'POST /items'],
      ['GET', '/items/{sku}', 'getItem', 'Yes', 'GET /items/{sku}'],
    ])
    const deployments = await cells(page, 'Deployments of inventory')
    expect(deployments.map((r) => r.slice(0, 3))).toEqual([
      ['prod', 'Not deployed', 'No'],
      ['test', 'Deployed', 'Yes: the proxy changed since'],
    ])
    expect(deployments[1]?.[4]).toBe('root')
    expect(await cells(page, 'Routing addresses')).toEqual([
      ['https://inventory.backend.example/v1', '100', 'Off'],
    ])

    // The API key's secret shows as the API answers it: masked.
    await page.getByText('API keys', { exact: true }).click()
    const keys = page.locator('details', { hasText: 'API keys' })
    expect(await keys.textContent()).toContain('inventory-public')
    expect(await keys.textContent()).toContain('********')
    expect(await pageHolds(w, API_SECRET)).toBe(false)

    expect(await unlabelled(page)).toEqual([])
    expect(realProblems(w)).toEqual([])
    await w.context.close()
  })

  test('the reverse proxy at phone width: no endpoints (an empty state), its weighted routing', async () => {
    const w = await openPage(browser, { viewport: { width: 375, height: 800 } })
    await logIn(w.page, server.url, 'dana', '/proxies/shop/legacy-orders')
    const { page } = w
    await page.getByRole('heading', { level: 1, name: 'legacy-orders' }).waitFor()
    await page.getByText('No endpoints', { exact: true }).waitFor()
    expect(await cells(page, 'Routing addresses')).toEqual([
      ['https://orders-a.internal', '70', 'Off'],
      ['https://orders-b.internal', '30', 'On'],
    ])
    const route = await page.locator('dl.details', { hasText: 'Relative paths' }).textContent()
    expect(route).toContain('MirroringYes')
    expect(route).toContain('Mirror addresseshttps://orders-shadow.internal')
    // Everything fits the phone's width, the settings opened too: no sideways scrolling.
    for (const summary of await page.locator('summary').all()) await summary.click()
    const size = await page.evaluate(() => [document.documentElement.scrollWidth, innerWidth])
    expect(size[0]).toBeLessThanOrEqual(size[1] ?? 0)
    expect(realProblems(w)).toEqual([])
    await w.context.close()
  })

  test("a proxy's page shows its live traffic per environment", async () => {
    const db = server.services.db
    const [project, proxy, env] = await Promise.all([
      db.selectFrom('projects').select('id').where('name', '=', 'shop').executeTakeFirstOrThrow(),
      db
        .selectFrom('api_proxies')
        .select('id')
        .where('name', '=', 'inventory')
        .executeTakeFirstOrThrow(),
      db
        .selectFrom('environments')
        .select('id')
        .where('name', '=', 'test')
        .executeTakeFirstOrThrow(),
    ])
    // 30 requests a minute ago: 10, 20, ... 300 ms; three of them failed upstream (502).
    const traffic = new TrafficRecorder(db, systemClock, { flushEveryMs: 3_600_000 })
    const at = new Date(Date.now() - 60_000).toISOString()
    for (let i = 1; i <= 30; i++) {
      traffic.record(
        trafficRecord(0, {
          time: at,
          projectId: project.id,
          proxyId: proxy.id,
          proxyName: 'inventory',
          environmentId: env.id,
          environmentName: 'test',
          totalMs: 10 * i,
          status: i % 10 === 0 ? 502 : 200,
        }),
      )
    }
    await traffic.close()
    const w = await openPage(browser)
    await logIn(w.page, server.url, 'dana', '/proxies/shop/inventory')
    await w.page.getByRole('heading', { level: 1, name: 'inventory' }).waitFor()
    // p95 by nearest rank: the 29th of 30, 290 ms; 30 requests in 300 s: 0.10/s.
    expect(await cells(w.page, 'Traffic of inventory, the last five minutes')).toEqual([
      ['test', '30', '0.10/s', '10.0%', '290 ms'],
    ])
    expect(await unlabelled(w.page)).toEqual([])
    expect(realProblems(w)).toEqual([])
    await w.context.close()
  })

  test('an administrator chooses another project and pages through it as the API pages', async () => {
    const w = await openPage(browser)
    const { page } = w
    await logIn(page, server.url, 'root', '/proxies')
    await page.getByLabel('Project').selectOption('bulk')
    await page.getByRole('link', { name: 'svc-01' }).waitFor()
    const pager = page.getByRole('navigation', { name: 'Pages of the proxies of bulk' })
    expect(await pager.textContent()).toContain('1–20 of 22')
    expect((await cells(page, 'API proxies of bulk')).length).toBe(20)
    await pager.getByRole('button', { name: 'Next' }).click()
    await page.getByRole('link', { name: 'svc-22' }).waitFor()
    expect(page.url()).toBe(`${server.url}/proxies/bulk?page=1`)
    expect(await pager.textContent()).toContain('21–22 of 22')
    expect(await pager.getByRole('button', { name: 'Next' }).isDisabled()).toBe(true)
    expect(realProblems(w)).toEqual([])
    await w.context.close()
  })

  test("a 403 from the API is said as a missing role, in the server's words", async () => {
    const w = await openPage(browser)
    const { page } = w
    // Reads need membership only today; should a read role come, its refusal reads so.
    await page.route('**/apiops/projects/shop/apiProxies/inventory/', (route) =>
      route.fulfill({
        status: 403,
        contentType: 'application/json',
        body: JSON.stringify({
          error: 'forbidden',
          error_description: 'This needs the role ROLE_MANAGE_PROXIES.',
        }),
      }),
    )
    await logIn(page, server.url, 'dana', '/proxies/shop/inventory')
    expect(await page.getByRole('alert').textContent()).toBe(
      'You do not have the role to read the proxy inventory: This needs the role ROLE_MANAGE_PROXIES.',
    )
    await w.context.close()
  })

  test('someone in no project sees no Proxies entry, and the page at its address says why', async () => {
    const w = await openPage(browser)
    const { page } = w
    await logIn(page, server.url, 'sam')
    await page.getByRole('heading', { level: 1, name: 'Welcome, sam' }).waitFor()
    // The entry would have appeared with the answer of /apiops/me/: wait for that answer.
    await page.waitForLoadState('networkidle')
    expect(await mainNav(page).getByRole('link').allTextContents()).toEqual(['Overview'])

    await page.goto(`${server.url}/proxies`)
    await page
      .getByRole('status')
      .getByText(/You are not a member of any project\. API proxies are read inside a project/)
      .waitFor()

    await page.goto(`${server.url}/proxies/shop/inventory`)
    expect(await page.getByRole('alert').textContent()).toBe(
      "Project 'shop' was not found. It does not exist, or you are not a member of its project.",
    )
    expect(await page.getByRole('heading', { name: 'Endpoints' }).count()).toBe(0)
    await w.context.close()
  })
})
