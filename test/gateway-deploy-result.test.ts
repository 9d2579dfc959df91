import { createServer } from 'node:net'
import { hostname } from 'node:os'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { configVersion } from '../src/resources/proxies/proxies.snapshot.ts'
import { GatewayProcess, statusOf } from './gateway-process.ts'
import { startUpstream, type Upstream } from './gateway-upstream.ts'
import { setUp, type World, world } from './gateway-world.ts'
import { bearer, dialects } from './helpers.ts'

/*
 * deploymentResult per gateway node, with real gateway processes: no live node ->
 * ACCEPTED at once; two nodes -> two entries, APPLIED, and both serve the change the
 * moment the answer arrives; a node that stopped answering but still looks alive ->
 * NOT_CONFIRMED after the configured wait; a stale or stopped node -> not waited for.
 * And the apiops_gateway_config_version gauge on a node's /metrics listener.
 */

const WAIT_MS = 1500
const DEPLOY = '/apiops/projects/Shop/apiProxies/moving/environments/live/'

interface EnvironmentEntry {
  environmentName: string
  success: boolean
  message: string
  status: string
  nodeResults: { nodeId: string; address: string; status: string; configVersion: number }[]
}

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  await new Promise((resolve) => server.close(resolve))
  return port
}

async function deployCall(w: World, method: 'POST' | 'DELETE') {
  const start = performance.now()
  const res = await w.app.inject({ method, url: DEPLOY, headers: bearer(w.token) })
  const ms = performance.now() - start
  expect(res.statusCode, res.body).toBe(200)
  const entry = res.json().deploymentResult.deploymentResults[0] as EnvironmentEntry
  return { entry, ms }
}

async function gauge(metricsPort: number): Promise<number | undefined> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text()
  const line = /^apiops_gateway_config_version\{environment="live"\} (\d+)$/m.exec(text)
  return line ? Number(line[1]) : undefined
}

describe.each(dialects())('deployment results per gateway node (%s)', (dialect) => {
  let w: World
  let upstream: Upstream
  let nodes: GatewayProcess[] = []
  let metricsPort: number
  const version = async () => configVersion(w.store.db, await environmentIdOf(w))

  beforeAll(async () => {
    upstream = await startUpstream('u')
    w = await world(dialect === 'sqlite' ? 'sqlite' : 'postgres', undefined, {
      APIOPS_DEPLOY_CONFIRM_MS: String(WAIT_MS),
    })
    await setUp(w, upstream)
  }, 60_000)
  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.stop()))
    await upstream?.close()
    await w?.close()
  })

  it('answers ACCEPTED at once when no gateway node is known', async () => {
    const { entry, ms } = await deployCall(w, 'POST')
    expect(entry).toEqual({
      environmentName: 'live',
      success: true,
      message: 'Deployed revision 1',
      status: 'ACCEPTED',
      nodeResults: [],
    })
    expect(ms).toBeLessThan(WAIT_MS)
  })

  it('two live nodes: one entry each, APPLIED, and both serve the change when it answers', async () => {
    metricsPort = await freePort()
    nodes = await Promise.all([
      GatewayProcess.start({ ...w.env, APIOPS_METRICS_PORT: String(metricsPort) }, 'live'),
      GatewayProcess.start(w.env, 'live'),
    ])
    expect(await gauge(metricsPort)).toBe(await version())

    const { entry } = await deployCall(w, 'DELETE')
    const now = await version()
    expect(entry.status).toBe('APPLIED')
    expect(entry.nodeResults.map((n) => n.address).sort()).toEqual(
      nodes.map((n) => `${hostname()}:${n.port}`).sort(),
    )
    for (const n of entry.nodeResults) {
      expect(n).toMatchObject({ status: 'APPLIED', configVersion: now })
      expect(n.nodeId).toMatch(/^[0-9a-f-]{36}$/)
    }
    for (const node of nodes) expect(await statusOf(node.port, '/moving/x')).toBe(404)
    // The gauge moved with the table the node loaded.
    expect(await gauge(metricsPort)).toBe(now)

    const again = await deployCall(w, 'POST')
    expect(again.entry.status).toBe('APPLIED')
    for (const node of nodes) expect(await statusOf(node.port, '/moving/x')).toBe(200)
    expect(await gauge(metricsPort)).toBe(await version())
  }, 120_000)

  it('a node that looks alive but does not apply: NOT_CONFIRMED after the wait', async () => {
    const frozen = nodes[1] as GatewayProcess
    frozen.child.kill('SIGSTOP')
    try {
      const { entry, ms } = await deployCall(w, 'DELETE')
      expect(ms).toBeGreaterThanOrEqual(WAIT_MS - 50)
      expect(entry.status).toBe('NOT_CONFIRMED')
      const byAddress = Object.fromEntries(entry.nodeResults.map((n) => [n.address, n.status]))
      expect(byAddress).toEqual({
        [`${hostname()}:${(nodes[0] as GatewayProcess).port}`]: 'APPLIED',
        [`${hostname()}:${frozen.port}`]: 'NOT_CONFIRMED',
      })
    } finally {
      frozen.child.kill('SIGCONT')
    }
  }, 60_000)

  it('a stale node is not waited for, and a stopped one is gone', async () => {
    const stale = nodes[1] as GatewayProcess
    stale.child.kill('SIGKILL')
    await new Promise((r) => stale.child.once('exit', r))
    // Its row stays; its last beat is made older than the staleness limit (30 s).
    const address = `${hostname()}:${stale.port}`
    await w.store.db
      .updateTable('gateway_nodes')
      .set({ last_seen_at: '2000-01-01T00:00:00.000Z' })
      .where('address', '=', address)
      .execute()
    let { entry, ms } = await deployCall(w, 'POST')
    expect(ms).toBeLessThan(WAIT_MS)
    expect(entry.status).toBe('APPLIED')
    expect(entry.nodeResults.map((n) => n.address)).toEqual([
      `${hostname()}:${(nodes[0] as GatewayProcess).port}`,
    ])

    // A node stopped the usual way removes its row: afterwards nothing is waited for.
    await (nodes[0] as GatewayProcess).stop()
    ;({ entry, ms } = await deployCall(w, 'DELETE'))
    expect(entry).toMatchObject({ status: 'ACCEPTED', nodeResults: [] })
    expect(ms).toBeLessThan(WAIT_MS)
  }, 60_000)
})

async function environmentIdOf(w: World): Promise<string> {
  const row = await w.store.db
    .selectFrom('environments')
    .select('id')
    .where('name', '=', 'live')
    .executeTakeFirstOrThrow()
  return row.id
}
