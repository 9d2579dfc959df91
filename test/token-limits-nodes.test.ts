import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../src/app.ts'
import { createPgBus } from '../src/cluster/pg-bus.ts'
import { createDb, type DbHandle } from '../src/db/create-db.ts'
import { migrateToLatest } from '../src/db/migrator.ts'
import { buildKeyRing } from '../src/keys.ts'
import {
  bearer,
  consoleSession,
  dialects,
  FrozenClock,
  makeUser,
  PG_URL,
  testConfig,
  tokenFor,
  until,
} from './helpers.ts'
import { createThrowawaySchema, type ThrowawaySchema } from './pg-schema.ts'

/**
 * Two nodes on one PostgreSQL, each with its own auth cache and LISTEN/NOTIFY bus: a role
 * taken from a narrowed token's owner through node A is gone from the token on node B,
 * which had it cached, from its next request on.
 */

const quiet = { warn: () => {}, info: () => {} }
type Node = Awaited<ReturnType<typeof buildApp>>

describe.runIf(dialects().includes('postgres'))('narrowed tokens on two nodes', () => {
  let schema: ThrowawaySchema
  const stores: DbHandle[] = []
  const nodes: Node[] = []

  beforeAll(async () => {
    schema = await createThrowawaySchema(PG_URL as string, 'narrow')
    const config = testConfig({ APIOPS_SECRET_KEY: randomBytes(32).toString('base64') })
    const keys = buildKeyRing(config.secretKey as Buffer, [])
    for (let i = 0; i < 2; i++) {
      const store = createDb({ databaseUrl: schema.url, dataDir: '' })
      if (i === 0) await migrateToLatest(store.db)
      const events = createPgBus(store.pgPool as NonNullable<DbHandle['pgPool']>, quiet)
      const app = await buildApp({
        config,
        store,
        clock: new FrozenClock(),
        events,
        keys,
        consoleDir: '/nonexistent',
      })
      app.addHook('onClose', () => events.close())
      await app.ready()
      stores.push(store)
      nodes.push(app)
    }
  }, 120_000)

  afterAll(async () => {
    for (const node of nodes) await node.close()
    for (const store of stores) await store.close()
    await schema?.drop()
  })

  it('drops a role taken from the owner on A from the token on B at its next request', async () => {
    const [a, b] = nodes as [Node, Node]
    const ctx = { app: a, services: a.services } as unknown as Parameters<typeof makeUser>[0]
    const root = (await tokenFor(ctx, (await makeUser(ctx, 'root', ['ROLE_ADMIN'])).id)).token
    await makeUser(ctx, 'carol', ['ROLE_MANAGE_PROXIES', 'ROLE_API_SECURITY'])
    const on = (node: Node, token: string, method: string, url: string, payload?: unknown) =>
      node.inject({
        method: method as 'GET',
        url,
        headers: bearer(token),
        ...(payload ? { payload } : {}),
      })
    expect((await on(a, root, 'POST', '/apiops/projects/', { name: 'p1' })).statusCode).toBe(201)
    const added = await on(a, root, 'POST', '/apiops/projects/p1/members/', { username: 'carol' })
    expect(added.statusCode).toBe(201)
    const created = await a.inject({
      method: 'POST',
      url: '/apiops/me/tokens/',
      headers: (await consoleSession(ctx, 'carol')).headers,
      payload: { name: 'narrow', expiresAt: null, roles: ['ROLE_MANAGE_PROXIES'] },
    })
    expect(created.statusCode, created.body).toBe(201)
    const token = created.json().token as string
    const canWrite = async () =>
      (
        await on(
          b,
          token,
          'GET',
          '/apiops/me/can-i?method=POST&path=/apiops/projects/p1/apiProxies/url/',
        )
      ).json().allowed as boolean
    // Node B has the token and its owner cached, with the role.
    expect(await canWrite()).toBe(true)
    expect((await on(b, token, 'GET', '/apiops/me/')).json().roles).toEqual(['ROLE_MANAGE_PROXIES'])
    const taken = await on(a, root, 'DELETE', '/apiops/users/carol/roles/ROLE_MANAGE_PROXIES/')
    expect(taken.statusCode).toBe(200)
    const startedAt = performance.now()
    await until('node B refuses the role', async () => !(await canWrite()), 2_000)
    console.log(
      `narrowed token lost the role on node B ${(performance.now() - startedAt).toFixed(1)} ms after node A committed`,
    )
    const me = await on(b, token, 'GET', '/apiops/me/')
    expect(me.json().roles).toEqual([])
    // The owner keeps ROLE_API_SECURITY; the token, made without it, never had it.
    const security = await on(b, token, 'POST', '/apiops/projects/p1/connections/', {
      name: 'c',
      type: 'webhook',
      fullUrl: 'https://hooks.example.com/x',
    })
    expect(security.statusCode).toBe(403)
  })
})
