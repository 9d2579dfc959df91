import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startUpstream, type Upstream } from './gateway-upstream.ts'
import { PG_URL, throwawaySchema, until } from './helpers.ts'
import { ApiopsNode, clusterSettings, freePort } from './nodes.ts'

/*
 * README's first page as a real process: `apiops serve` (what `npm start` runs) creates
 * the `development` environment and serves it on its own gateway port, so a proxy
 * deployed there answers without a second process; undeploy takes it away again.
 */

const ADMIN_PASSWORD = 'embedded gateway admin'

interface Store {
  name: string
  databaseUrl: string
  env: Record<string, string>
  cleanup(): Promise<void>
}

async function sqliteStore(): Promise<Store> {
  const dir = mkdtempSync(join(tmpdir(), 'apiops-embedded-'))
  return {
    name: 'sqlite',
    databaseUrl: '',
    env: { APIOPS_DATA_DIR: dir },
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  }
}

async function postgresStore(): Promise<Store> {
  const schema = await throwawaySchema('embedded')
  return { name: 'postgres', databaseUrl: schema.url, env: {}, cleanup: () => schema.drop() }
}

const stores = PG_URL ? [sqliteStore, postgresStore] : [sqliteStore]

describe.each(stores)('npm start serves its embedded gateway (%o)', (makeStore) => {
  let store: Store
  let node: ApiopsNode
  let upstream: Upstream
  let gatewayPort: number
  let token: string
  const gateway = (path: string) => fetch(`http://127.0.0.1:${gatewayPort}${path}`)
  const api = async (method: string, path: string, body?: object) => {
    const res = await node.call(token, path, {
      method,
      ...(body
        ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }
        : {}),
    })
    return { status: res.status, body: await res.text() }
  }

  beforeAll(async () => {
    store = await makeStore()
    upstream = await startUpstream('hello')
    gatewayPort = await freePort()
    node = await ApiopsNode.start({
      ...clusterSettings(store.databaseUrl, ADMIN_PASSWORD),
      env: { ...store.env, APIOPS_GATEWAY_PORT: String(gatewayPort) },
    })
    token = await node.token('admin', ADMIN_PASSWORD)
  }, 120_000)

  afterAll(async () => {
    await node?.stop()
    await upstream?.close()
    await store?.cleanup()
  })

  it('creates `development` with the gateway port as its access URL', async () => {
    const res = await api('GET', '/apiops/environments/')
    expect(res.status, res.body).toBe(200)
    const { resultList } = JSON.parse(res.body) as {
      resultList: { name: string; accessUrl: string }[]
    }
    const development = resultList.find((e) => e.name === 'development')
    expect(development?.accessUrl).toBe(`http://localhost:${gatewayPort}`)
  })

  it('answers 404 for a route nothing is deployed on', async () => {
    expect((await gateway('/hello/anything')).status).toBe(404)
  })

  it("README's five minutes: create, deploy at once, curl; undeploy takes it away", async () => {
    const steps = [
      await api('POST', '/apiops/projects/', { name: 'demo' }),
      await api('PUT', '/apiops/environments/development/', { projects: ['demo'] }),
      await api('POST', '/apiops/projects/demo/apiProxies/url/', {
        apiProxyName: 'hello',
        apiProxyCreationType: 'REVERSE_PROXY',
        clientRoute: { relativePathList: ['/hello'] },
        routingInfo: { routingAddressList: [{ address: upstream.url }] },
        deploy: true,
        deployTargetEnvironmentNameList: ['development'],
      }),
    ]
    for (const step of steps) expect(step.status, step.body).toBeLessThan(300)
    const deploy = '/apiops/projects/demo/apiProxies/hello/environments/development/'

    await until('the embedded gateway serves the deployment', async () => {
      return (await gateway('/hello/greeting')).status === 200
    })
    const echoed = (await (await gateway('/hello/greeting?x=1')).json()) as { url: string }
    expect(echoed.url).toBe('/greeting?x=1')

    const undeployed = await api('DELETE', deploy)
    expect(undeployed.status, undeployed.body).toBeLessThan(300)
    await until('the embedded gateway drops the undeployed proxy', async () => {
      return (await gateway('/hello/greeting')).status === 404
    })
  })
})

describe('APIOPS_GATEWAY_PORT=0', () => {
  it('runs the management API alone and creates no environment', async () => {
    const store = await sqliteStore()
    const node = await ApiopsNode.start({
      ...clusterSettings('', ADMIN_PASSWORD),
      env: { ...store.env, APIOPS_GATEWAY_PORT: '0' },
    })
    try {
      const token = await node.token('admin', ADMIN_PASSWORD)
      const res = await node.call(token, '/apiops/environments/')
      expect(await res.text()).not.toContain('"development"')
    } finally {
      await node.stop()
      await store.cleanup()
    }
  }, 120_000)
})
