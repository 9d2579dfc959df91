import { readFileSync } from 'node:fs'
import { upload } from '../fixtures/spec-upload.ts'
import type { TestServer } from './server.ts'

/**
 * Proxies for the console to show, made through the API as a pipeline would: a project
 * with an environment, a proxy from the OpenAPI file in test/fixtures/specs (deployed,
 * then changed so it needs a redeploy, with a secret API key) and a reverse proxy.
 */

export const SPEC_FILE = new URL('../fixtures/specs/inventory.openapi.yaml', import.meta.url)
export const API_SECRET = 'inventory-secret-key-7f3a9c'

export async function seedProxies(server: TestServer, adminUsername: string, project: string) {
  const token = await server.apiToken(adminUsername)
  const send = async (
    method: string,
    path: string,
    init: { json?: unknown; form?: ReturnType<typeof upload> },
  ) => {
    const form = init.form
    const r = await fetch(`${server.url}/apiops${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(form ? form.headers : { 'content-type': 'application/json' }),
      },
      body: form ? new Uint8Array(form.payload) : JSON.stringify(init.json),
    })
    const text = await r.text()
    if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${text}`)
    return text ? JSON.parse(text) : null
  }
  const json = (method: string, path: string, body: unknown) => send(method, path, { json: body })
  const proxies = `/projects/${project}/apiProxies`

  await json('POST', '/projects/', { name: project, description: 'Online shop' })
  for (const [name, type] of [
    ['test', 'TEST'],
    ['prod', 'PRODUCTION'],
  ]) {
    await json('POST', '/environments/', {
      name,
      type,
      accessUrl: `https://${name}.gateway.example`,
      projects: [project],
    })
  }
  await send('POST', `${proxies}/file/`, {
    form: upload(
      {
        apiProxyName: 'inventory',
        apiProxyDescription: 'Stock levels and items',
        apiProxyCreationType: 'OPEN_API',
        clientRoute: { relativePathList: ['/inventory'] },
      },
      { name: 'inventory.openapi.yaml', bytes: readFileSync(SPEC_FILE) },
    ),
  })
  await json('POST', `${proxies}/url/`, {
    apiProxyName: 'legacy-orders',
    apiProxyCreationType: 'REVERSE_PROXY',
    clientRoute: { relativePathList: ['/legacy/orders'] },
    routingInfo: {
      routingAddressList: [
        { address: 'https://orders-a.internal', weight: 70 },
        { address: 'https://orders-b.internal', weight: 30, healthCheckEnabled: true },
      ],
    },
  })
  await json('POST', `${proxies}/inventory/environments/test/`, {})
  // A change after the deployment: the test environment now runs an older revision.
  await json('PATCH', `${proxies}/inventory/settings/keys/`, {
    publicKey: 'inventory-public',
    secretKey: API_SECRET,
  })
  return { json }
}
