/**
 * The database an apiops gateway node serves in the bench: a SQLite file in a temp dir
 * with an environment `bench` and `count` reverse proxies deployed to it, made through
 * the management API in-process (app.inject), as a user would make them. The measured
 * proxy routes /bench to the upstream; the others (the 1,000-proxies mode) route
 * /p1 ... /p999 to the same upstream and are never called.
 */
import { randomBytes } from 'node:crypto'
import { buildApp } from '../src/app.ts'
import { systemClock } from '../src/clock.ts'
import { createLocalBus } from '../src/cluster/events.ts'
import { loadConfig } from '../src/config.ts'
import { createDb } from '../src/db/create-db.ts'
import { migrateToLatest } from '../src/db/migrator.ts'
import { issueToken } from '../src/identity/tokens/tokens.service.ts'
import { createUser } from '../src/identity/users/users.service.ts'
import { buildKeyRing } from '../src/keys.ts'
import { registerTempDir } from './children.ts'
import { makeTempDir } from './fixture.ts'

export interface GatewayFixture {
  dataDir: string
  secretBase64: string
}

export async function prepareGatewayDb(upstream: string, count: number): Promise<GatewayFixture> {
  const dataDir = makeTempDir()
  registerTempDir(dataDir)
  const secret = randomBytes(32)
  const secretBase64 = secret.toString('base64')
  const config = loadConfig({
    APIOPS_SECRET_KEY: secretBase64,
    APIOPS_DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
  })
  const store = createDb({ databaseUrl: undefined, dataDir: config.dataDir })
  await migrateToLatest(store.db)
  const app = await buildApp({
    config,
    store,
    clock: systemClock,
    events: createLocalBus(),
    keys: buildKeyRing(secret),
    consoleDir: '/nonexistent',
  })
  try {
    await app.ready()
    const admin = await createUser(app.services, {
      username: 'bench-admin',
      password: 'bench admin password',
      roles: ['ROLE_ADMIN'],
    })
    const { token } = await issueToken(app.services, {
      userId: admin.id,
      name: 'gateway bench',
      source: 'cli',
      expiresAt: new Date(Date.now() + 86_400_000),
    })
    const call = async (method: 'POST', url: string, payload?: object) => {
      const res = await app.inject({
        method,
        url,
        headers: { authorization: `Bearer ${token}` },
        ...(payload ? { payload } : {}),
      })
      if (res.statusCode >= 300) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`)
    }
    await call('POST', '/apiops/projects/', { name: 'bench' })
    await call('POST', '/apiops/environments/', {
      name: 'bench',
      type: 'TEST',
      accessUrl: 'http://127.0.0.1:8081',
      projects: ['bench'],
    })
    for (let i = 0; i < count; i++) {
      const name = i === 0 ? 'bench' : `bench-${i}`
      await call('POST', '/apiops/projects/bench/apiProxies/url/', {
        apiProxyName: name,
        apiProxyCreationType: 'REVERSE_PROXY',
        clientRoute: { relativePathList: [i === 0 ? '/bench' : `/p${i}`] },
        routingInfo: { routingAddressList: [{ address: upstream }] },
      })
      await call('POST', `/apiops/projects/bench/apiProxies/${name}/environments/bench/`)
    }
  } finally {
    await app.close()
    await store.close()
  }
  return { dataDir: config.dataDir, secretBase64 }
}
