import { randomBytes } from 'node:crypto'
import { buildApp } from '../src/app.ts'
import type { Clock } from '../src/clock.ts'
import { createPgBus } from '../src/cluster/pg-bus.ts'
import { createDb } from '../src/db/create-db.ts'
import { migrateToLatest } from '../src/db/migrator.ts'
import { buildKeyRing } from '../src/keys.ts'
import { PG_URL, testConfig } from './helpers.ts'
import { createThrowawaySchema } from './pg-schema.ts'

const quiet = { warn() {}, info() {} }

export type NodeApp = Awaited<ReturnType<typeof buildApp>>

/**
 * Two apiops apps in this process, as two nodes of a cluster: one PostgreSQL schema,
 * each its own connection pool, auth cache and LISTEN/NOTIFY bus, and (with `env`) one
 * Redis for the shared limits. What reaches node B from node A goes through PostgreSQL.
 */
export async function twoNodes(
  clock: Clock,
  env: Record<string, string> = {},
): Promise<{ a: NodeApp; b: NodeApp; close(): Promise<void> }> {
  const schema = await createThrowawaySchema(PG_URL as string, 'two')
  const config = testConfig({ APIOPS_SECRET_KEY: randomBytes(32).toString('base64'), ...env })
  const keys = buildKeyRing(config.secretKey as Buffer, [])
  const closers: (() => Promise<void>)[] = []
  const node = async (): Promise<NodeApp> => {
    const store = createDb({ databaseUrl: schema.url, dataDir: '' })
    await migrateToLatest(store.db)
    const events = createPgBus(store.pgPool as NonNullable<typeof store.pgPool>, quiet)
    const app = await buildApp({ config, store, clock, events, keys, consoleDir: '/nonexistent' })
    await app.ready()
    closers.push(async () => {
      await app.close()
      await events.close()
      await store.close()
    })
    return app
  }
  const a = await node()
  const b = await node()
  return {
    a,
    b,
    async close() {
      for (const close of closers) await close()
      await schema.drop()
    },
  }
}
