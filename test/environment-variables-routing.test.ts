// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${NAME} references are the subject here, not template mistakes
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bearer, buildTestApp, dialects, makeUser, type TestContext, tokenFor } from './helpers.ts'

/*
 * Routing addresses that refer to environment variables: written once, they deploy to
 * an environment only where every reference resolves to an http(s) URL.
 */

const PROXIES = '/apiops/projects/Shop/apiProxies/'
const VARIABLES = '/apiops/projects/Shop/environmentVariables/'

describe.each(dialects())('routing addresses with ${NAME} (%s)', (dialect) => {
  let ctx: TestContext
  let admin: string
  const call = (method: 'GET' | 'POST' | 'PUT', url: string, payload?: object) =>
    ctx.app.inject({ method, url, headers: bearer(admin), ...(payload ? { payload } : {}) })
  const proxy = (name: string, address: string, deployTo?: string) => ({
    apiProxyName: name,
    apiProxyCreationType: 'REVERSE_PROXY',
    clientRoute: { relativePathList: [`/${name}`] },
    routingInfo: { routingAddressList: [{ address }] },
    ...(deployTo ? { deploy: true, deployTargetEnvironmentNameList: [deployTo] } : {}),
  })
  const deploy = (name: string, environment: string) =>
    call('POST', `${PROXIES}${name}/environments/${environment}/`)

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
    const variables = [
      {
        name: 'BACKEND',
        environmentValueList: [
          { environmentName: 'production', value: 'https://orders.internal', visible: false },
        ],
      },
      { name: 'NOT_A_URL', global: true, globalValue: 'Secret-Not-A-Url', globalVisible: false },
    ]
    for (const body of variables) {
      expect((await call('POST', `${VARIABLES}${body.name}/`, body)).statusCode).toBe(200)
    }
  })
  afterAll(() => ctx.close())

  it('deploys where the references resolve, and names the variable and environment where not', async () => {
    expect(
      (await call('POST', `${PROXIES}url/`, proxy('orders', '${BACKEND}/v1'))).statusCode,
    ).toBe(200)
    expect((await deploy('orders', 'production')).statusCode).toBe(200)
    const refused = await deploy('orders', 'staging')
    expect(refused.statusCode).toBe(400)
    expect(refused.json().validation_errors).toEqual([
      {
        field: 'routingInfo.routingAddressList.0.address',
        message:
          "refers to ${BACKEND}, which has no value for environment 'staging' (not global, and not set for it)",
      },
    ])
  })

  it('refuses an address that resolves to no URL, without showing the value', async () => {
    await call('POST', `${PROXIES}url/`, proxy('texty', '${NOT_A_URL}'))
    const refused = await deploy('texty', 'production')
    expect(refused.statusCode).toBe(400)
    expect(refused.json().error_description).toContain('does not resolve to an http:// or https://')
    expect(refused.body).not.toContain('Secret-Not-A-Url')
    const unknown = await call('POST', `${PROXIES}url/`, proxy('ghost', '${NOBODY}/x'))
    expect(unknown.statusCode).toBe(200)
    expect((await deploy('ghost', 'production')).json().error_description).toContain(
      'is not an environment variable of this project',
    )
  })

  it('refuses a malformed reference when the proxy is written', async () => {
    const res = await call('POST', `${PROXIES}url/`, proxy('broken', '${BACKEND/v1'))
    expect(res.statusCode).toBe(400)
    expect(res.json().validation_errors[0].field).toBe('routingInfo.routingAddressList.0.address')
    expect((await call('POST', `${PROXIES}url/`, proxy('plain', '$BACKEND'))).statusCode).toBe(400)
  })

  it('stores nothing when a create that deploys cannot deploy', async () => {
    const res = await call('POST', `${PROXIES}url/`, proxy('halfway', '${BACKEND}', 'staging'))
    expect(res.statusCode).toBe(400)
    expect((await call('GET', `${PROXIES}halfway/`)).statusCode).toBe(404)
    const ok = await call('POST', `${PROXIES}url/`, proxy('whole', '${BACKEND}', 'production'))
    expect(ok.statusCode, ok.body).toBe(200)
    expect(ok.json().deploymentResult.success).toBe(true)
  })
})
