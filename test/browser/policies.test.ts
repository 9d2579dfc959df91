import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { launchChromium, logIn, openPage, realProblems, unlabelled } from './chromium.ts'
import { seedProxies } from './proxy-seed.ts'
import { startServer, type TestServer } from './server.ts'

/**
 * A proxy's policies on its page, pipeline by pipeline in order with their conditions,
 * and a project's credentials with what each may call.
 */

let server: TestServer
let browser: Browser

const header = (name: string, value: string) => ({
  conditionCriteria: 'VALUE',
  firstVariable: { type: 'HEADER', headerName: name },
  variableDataType: 'STRING',
  valueComparisonOperator: 'EQ',
  secondValueSource: 'VALUE',
  secondValue: value,
})
const wide = { targetScope: 'ALL', targetPipeline: 'REQUEST', deploy: false }

beforeAll(async () => {
  ;[server, browser] = await Promise.all([startServer(), launchChromium()])
  await server.user('root', ['ROLE_ADMIN'])
  await server.user('dana', ['ROLE_MANAGE_PROXIES'])
  await server.user('vic', [])
  const { json } = await seedProxies(server, 'root', 'shop')
  for (const u of ['dana', 'vic']) await json('POST', '/projects/shop/members/', { username: u })
  const at = (name: string) => `/projects/shop/apiProxies/inventory/policies/${name}/`
  await json('POST', at('premium-only'), {
    operationMetadata: wide,
    policy: {
      type: 'policy-black-ip',
      active: true,
      ipList: ['10.0.0.0/8'],
      policyCondition: { conditionRuleList: [header('X-User-Type', 'PREMIUM')] },
    },
  })
  await json('POST', at('throttle-guests'), {
    operationMetadata: wide,
    policy: {
      type: 'policy-api-based-throttling',
      active: true,
      targetVariableForIdentity: { type: 'HEADER', headerName: 'X-API-Key' },
      messageCountForInterval: 100,
      throttlingInterval: 'ONE_MINUTE',
      intervalPeriodLength: 1,
      intervalWindowType: 'FIXED',
      policyCondition: {
        conditionRuleList: [
          {
            conditionCriteria: 'OR',
            conditionRuleList: [
              header('X-Tier', 'guest'),
              { conditionCriteria: 'NOT', conditionRuleList: [header('X-Tier', 'gold')] },
            ],
          },
        ],
      },
    },
  })
  await json('POST', at('block-scrapers'), {
    operationMetadata: {
      targetScope: 'ENDPOINT',
      targetEndpoint: '/items',
      targetEndpointHTTPMethod: 'GET',
      targetPipeline: 'REQUEST',
      deploy: false,
    },
    policy: { type: 'policy-black-ip', active: false, ipList: ['192.0.2.0/24'] },
  })
  for (const [username, fullName] of [
    ['mobile-app', 'Mobile app'],
    ['partner', 'Partner portal'],
  ]) {
    await json('POST', '/projects/shop/credentials/', {
      username,
      fullName,
      email: `${username}@example.com`,
      password: 'Correct-Horse-42-battery',
    })
  }
  await json('PUT', '/projects/shop/credentials/mobile-app/access/', {
    credentialAccessList: [{ name: 'inventory', type: 'API_PROXY' }],
  })
})

afterAll(async () => {
  await browser?.close()
  await server?.close()
})

function cells(page: Page, caption: string) {
  return page
    .getByRole('table', { name: caption })
    .locator('tbody tr')
    .evaluateAll((rows) =>
      rows.map((r) =>
        [...r.querySelectorAll('th, td')].map((c) =>
          (c.textContent ?? '').replace(/\s+/g, ' ').trim(),
        ),
      ),
    )
}

describe('console: policies and credentials', () => {
  test('the proxy page lists its policies per pipeline, in order, with their conditions', async () => {
    const w = await openPage(browser)
    const { page } = w
    await logIn(page, server.url, 'dana', '/proxies/shop/inventory')
    await page.getByRole('heading', { level: 2, name: 'Policies' }).waitFor()
    const wideRequest = 'Request policies of the whole proxy'
    await page.getByRole('table', { name: wideRequest }).waitFor()
    expect(await cells(page, wideRequest)).toEqual([
      ['1', 'premium-only', 'Blocked IP list', 'Yes', 'HEADER X-User-Type EQ PREMIUM'],
      [
        '2',
        'throttle-guests',
        'API based throttling',
        'Yes',
        'HEADER X-Tier EQ guest OR NOT (HEADER X-Tier EQ gold)',
      ],
    ])
    expect(await cells(page, 'Request policies of GET /items')).toEqual([
      ['1', 'block-scrapers', 'Blocked IP list', 'No', 'Always'],
    ])
    const policies = page.locator('section', { has: page.locator('#proxy-policies') })
    expect(await policies.textContent()).toContain('No response policies.')
    // Settings of a policy (its IP list) are not the page's to show, raw or otherwise.
    expect(await policies.textContent()).not.toContain('10.0.0.0/8')
    expect(await unlabelled(page)).toEqual([])
    expect(realProblems(w)).toEqual([])
    await w.context.close()
  })

  test('a member without ROLE_MANAGE_PROXIES reads the proxy and a sentence about its policies', async () => {
    const w = await openPage(browser)
    const { page } = w
    await logIn(page, server.url, 'vic', '/proxies/shop/inventory')
    await page
      .getByText("Only people with the role ROLE_MANAGE_PROXIES may read this proxy's policies.")
      .waitFor()
    expect(await page.getByRole('alert').count()).toBe(0)
    expect(await page.getByRole('table', { name: /policies of/ }).count()).toBe(0)
    await page.getByRole('table', { name: 'Endpoints of inventory' }).waitFor()
    await w.context.close()
  })

  test("the project's proxies page lists its credentials with what each may call", async () => {
    const w = await openPage(browser)
    const { page } = w
    await logIn(page, server.url, 'vic', '/proxies/shop')
    await page.getByRole('heading', { level: 2, name: 'Credentials' }).waitFor()
    await page.getByRole('cell', { name: 'inventory (API proxy)' }).waitFor()
    expect(await cells(page, 'Credentials of shop')).toEqual([
      ['mobile-app', 'Mobile app', 'Yes', 'No', 'inventory (API proxy)'],
      ['partner', 'Partner portal', 'Yes', 'No', 'Nothing yet'],
    ])
    expect(await unlabelled(page)).toEqual([])
    expect(realProblems(w)).toEqual([])
    await w.context.close()
  })
})
