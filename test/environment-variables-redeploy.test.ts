// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${NAME} references are the subject here, not template mistakes
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bearer, buildTestApp, dialects, makeUser, type TestContext, tokenFor } from './helpers.ts'

/*
 * A variable write makes the deployments of the proxies that refer to it report
 * redeployRequired, in the environments where its value changed, until the next deploy
 * there; deployments of other proxies, and environments where nothing changed, do not.
 */

const P = '/apiops/projects/Shop'

describe.each(dialects())('variable changes and redeployRequired (%s)', (dialect) => {
  let ctx: TestContext
  let admin: string
  const call = (
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    url: string,
    payload?: object,
  ) => ctx.app.inject({ method, url, headers: bearer(admin), ...(payload ? { payload } : {}) })
  const ok = async (method: 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload?: object) => {
    const res = await call(method, url, payload)
    expect(res.statusCode, `${method} ${url}: ${res.body}`).toBe(200)
    return res.json()
  }
  const proxy = (name: string, address: string) => ({
    apiProxyName: name,
    apiProxyCreationType: 'REVERSE_PROXY',
    clientRoute: { relativePathList: [`/${name}`] },
    routingInfo: { routingAddressList: [{ address }] },
  })
  const base = (production: string, staging: string, visible = true) => ({
    name: 'BASE',
    environmentValueList: [
      { environmentName: 'production', value: production, visible },
      { environmentName: 'staging', value: staging, visible },
    ],
  })
  const deploy = (name: string, environment: string) =>
    ok('POST', `${P}/apiProxies/${name}/environments/${environment}/`)
  /** environment -> redeployRequired, for the environments the proxy is deployed to. */
  const stale = async (name: string) => {
    const res = await call('GET', `${P}/apiProxies/${name}/`)
    const list = res.json().deploymentList as {
      environmentName: string
      deployed: boolean
      redeployRequired: boolean
    }[]
    return Object.fromEntries(
      list.filter((d) => d.deployed).map((d) => [d.environmentName, d.redeployRequired]),
    )
  }

  beforeAll(async () => {
    ctx = await buildTestApp(dialect)
    admin = (await tokenFor(ctx, (await makeUser(ctx, 'root', ['ROLE_ADMIN'])).id)).token
    await call('POST', '/apiops/projects/', { name: 'Shop' })
    for (const name of ['production', 'staging']) {
      await call('POST', '/apiops/environments/', {
        name,
        type: 'TEST',
        accessUrl: `https://${name}.example.com`,
        projects: ['Shop'],
      })
    }
    await ok(
      'POST',
      `${P}/environmentVariables/BASE/`,
      base('https://p.internal', 'https://s.internal'),
    )
    await ok('POST', `${P}/environmentVariables/SUPPORT/`, {
      name: 'SUPPORT',
      global: true,
      globalValue: 'https://help.example.com',
      globalVisible: false,
    })
    await ok('POST', `${P}/apiProxies/url/`, proxy('orders', '${BASE}/orders'))
    await ok('POST', `${P}/apiProxies/url/`, proxy('plain', 'https://plain.internal'))
    await ok('POST', `${P}/apiProxies/url/`, proxy('errors', 'https://errors.internal'))
    // A reference in a setting counts as much as one in an address.
    await ok('PATCH', `${P}/apiProxies/errors/settings/json-error-template/`, {
      jsonErrorResponseTemplateActive: true,
      jsonValue: '{"help": "${SUPPORT}", "code": "#FAULTCODE#"}',
    })
    for (const name of ['orders', 'plain', 'errors'])
      for (const environment of ['production', 'staging']) await deploy(name, environment)
  })
  afterAll(() => ctx?.close())

  it('marks only the referring proxy, only where the value changed, until it is redeployed', async () => {
    expect(await stale('orders')).toEqual({ production: false, staging: false })
    await ok(
      'PUT',
      `${P}/environmentVariables/BASE/`,
      base('https://p2.internal', 'https://s.internal'),
    )
    expect(await stale('orders')).toEqual({ production: true, staging: false })
    expect(await stale('plain')).toEqual({ production: false, staging: false })
    expect(await stale('errors')).toEqual({ production: false, staging: false })
    await deploy('orders', 'production')
    expect(await stale('orders')).toEqual({ production: false, staging: false })
  })

  it('compares values, not writes: the same values again, or made secret, change nothing', async () => {
    await ok(
      'PUT',
      `${P}/environmentVariables/BASE/`,
      base('https://p2.internal', 'https://s.internal'),
    )
    await ok(
      'PUT',
      `${P}/environmentVariables/BASE/`,
      base('https://p2.internal', 'https://s.internal', false),
    )
    // null keeps each stored (now secret) value
    await ok('PUT', `${P}/environmentVariables/BASE/`, {
      ...base('', '', false),
      environmentValueList: [
        { environmentName: 'production', value: null, visible: false },
        { environmentName: 'staging', value: null, visible: false },
      ],
    })
    expect(await stale('orders')).toEqual({ production: false, staging: false })
  })

  it('a secret global value changed marks a reference in the settings, in every environment', async () => {
    await ok('PUT', `${P}/environmentVariables/SUPPORT/`, {
      name: 'SUPPORT',
      global: true,
      globalValue: 'https://support.example.com',
      globalVisible: false,
    })
    expect(await stale('errors')).toEqual({ production: true, staging: true })
    expect(await stale('orders')).toEqual({ production: false, staging: false })
    await deploy('errors', 'production')
    await deploy('errors', 'staging')
    expect(await stale('errors')).toEqual({ production: false, staging: false })
  })

  it('a rename or a delete leaves the references dangling: redeploy required where they resolved', async () => {
    await ok('PUT', `${P}/environmentVariables/SUPPORT/`, {
      name: 'HELP',
      global: true,
      globalValue: null,
      globalVisible: false,
    })
    expect(await stale('errors')).toEqual({ production: true, staging: true })
    await ok('DELETE', `${P}/environmentVariables/BASE/`)
    expect(await stale('orders')).toEqual({ production: true, staging: true })
    expect(await stale('plain')).toEqual({ production: false, staging: false })
  })

  it('a group deployed with a stale member reports it, and deploying the group clears it', async () => {
    await ok(
      'POST',
      `${P}/environmentVariables/BASE/`,
      base('https://p3.internal', 'https://s3.internal'),
    )
    await ok('POST', `${P}/apiProxyGroups/`, {
      name: 'shop',
      clientRoute: { relativePathList: ['/shop'] },
    })
    await ok('POST', `${P}/apiProxyGroups/shop/apiProxies/orders/`)
    await ok('POST', `${P}/apiProxyGroups/shop/environments/production/`)
    const groupStale = async () =>
      Object.fromEntries(
        (await call('GET', `${P}/apiProxyGroups/shop/environments/`))
          .json()
          .resultList.map((e: { environmentName: string; redeployRequired: boolean }) => [
            e.environmentName,
            e.redeployRequired,
          ]),
      )
    expect((await groupStale()).production).toBe(false)
    await ok(
      'PUT',
      `${P}/environmentVariables/BASE/`,
      base('https://p4.internal', 'https://s3.internal'),
    )
    expect((await groupStale()).production).toBe(true)
    expect(await stale('orders')).toEqual({ production: true, staging: true })
    await ok('POST', `${P}/apiProxyGroups/shop/environments/production/`)
    expect((await groupStale()).production).toBe(false)
    expect(await stale('orders')).toEqual({ production: false, staging: true })
  })
})
