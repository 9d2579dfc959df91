import { randomUUID } from 'node:crypto'
import type { Kysely } from 'kysely'
import { describe, expect, it } from 'vitest'
import { migrateToLatest } from '../src/db/migrator.ts'
import { MASK } from '../src/sealed.ts'
import { dialects } from './helpers.ts'
import { storeMigratedTo } from './migrated-store.ts'

/**
 * Migration 0017 on connections stored in apiops' own shape: each row's settings become
 * the documented fields, a secret field reading the mask where a secret is sealed. The
 * sealed column is left alone (the service reads its old shapes; connections.test.ts
 * and connection-secrets.test.ts show it through HTTP).
 */

const OLD_ROWS: [string, object, boolean, object][] = [
  [
    'database',
    {
      dbType: 'POSTGRES',
      jdbcUrl: 'jdbc:postgresql://db:5432/o',
      username: 'app',
      poolMaxSize: 7,
      connectTimeoutMs: 900,
    },
    true,
    {
      dbType: 'POSTGRES',
      jdbcUrl: 'jdbc:postgresql://db:5432/o',
      username: 'app',
      maxPoolSize: 7,
      connectionTimeout: 900,
      password: MASK,
    },
  ],
  [
    'ldap',
    { url: 'ldaps://ldap:636', bindDn: 'cn=gw', baseDn: 'dc=x' },
    true,
    { serverAddress: 'ldaps://ldap:636', username: 'cn=gw', baseDn: 'dc=x', password: MASK },
  ],
  [
    'email',
    { host: 'smtp', port: 465, from: 'a@x.com', useTls: true },
    false,
    { host: 'smtp', port: 465, from: 'a@x.com', enableStartTls: true },
  ],
  [
    'kafka',
    { bootstrapServers: 'k1:9092', topic: 'events', saslUsername: 'gw' },
    true,
    {
      bootstrapServers: 'k1:9092',
      topicName: 'events',
      propertiesMap: {
        'sasl.username': { value: 'gw', valueType: 'STRING' },
        'sasl.password': { value: MASK, valueType: 'STRING' },
      },
    },
  ],
  [
    'webhook',
    { url: `https://h.example.com/x?k=${MASK}`, method: 'PUT', headers: { 'X-Key': MASK } },
    true,
    {
      fullUrl: `https://h.example.com/x?k=${MASK}`,
      httpMethod: 'PUT',
      headerList: [{ name: 'X-Key', value: MASK }],
    },
  ],
  [
    'elasticsearch',
    { url: 'https://es.internal:9201/', index: 'logs', username: 'gw' },
    true,
    {
      elasticHostList: [{ scheme: 'https', host: 'es.internal', port: 9201 }],
      indexName: 'logs',
      elasticUsername: 'gw',
      authenticate: true,
      elasticPassword: MASK,
    },
  ],
]

describe.each(dialects())('migration 0017 on stored connections (%s)', (dialect) => {
  it('renames each type’s fields to the documented ones', async () => {
    const { store, drop } = await storeMigratedTo(dialect, '0016_ip_groups')
    try {
      const db = store.db as unknown as Kysely<Record<string, Record<string, unknown>>>
      const projectId = randomUUID()
      await db
        .insertInto('projects')
        .values({ id: projectId, name: 'P', description: '', created_at: 'x' })
        .execute()
      for (const [type, settings, sealed] of OLD_ROWS) {
        await db
          .insertInto('connections')
          .values({
            id: randomUUID(),
            project_id: projectId,
            name: type,
            type,
            description: '',
            enabled: 1,
            settings: JSON.stringify(settings),
            secret: sealed ? 'v1.sealed-elsewhere' : null,
            created_at: 'x',
            updated_at: 'x',
          })
          .execute()
      }
      expect(await migrateToLatest(store.db)).toContain('0017_connections_documented')
      const rows = await db
        .selectFrom('connections')
        .select(['type', 'settings', 'secret'])
        .execute()
      for (const [type, , sealed, documented] of OLD_ROWS) {
        const row = rows.find((r) => r.type === type)
        expect(JSON.parse(row?.settings as string), type).toEqual({
          deployToWorker: true,
          ...documented,
        })
        expect(row?.secret, type).toBe(sealed ? 'v1.sealed-elsewhere' : null)
      }
    } finally {
      await drop()
    }
  })
})
