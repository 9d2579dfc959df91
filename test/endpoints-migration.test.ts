import { randomUUID } from 'node:crypto'
import type { Kysely } from 'kysely'
import { describe, expect, it } from 'vitest'
import { migrateToLatest } from '../src/db/migrator.ts'
import { dialects } from './helpers.ts'
import { storeMigratedTo } from './migrated-store.ts'

/**
 * Migration 0014 on a database whose proxies hold their endpoints as JSON: each becomes
 * a row of proxy_endpoints (a spec endpoint, active, its path as name and backend), in
 * the order the JSON had, and the JSON column is gone.
 */

describe.each(dialects())('migration 0014 on existing proxies (%s)', (dialect) => {
  it('moves each proxy endpoint JSON into proxy_endpoints and drops the column', async () => {
    const { store, drop } = await storeMigratedTo(dialect, '0013_proxy_settings')
    try {
      const projectId = randomUUID()
      const db = store.db as unknown as Kysely<Record<string, Record<string, unknown>>>
      await db
        .insertInto('projects')
        .values({ id: projectId, name: 'P', description: '', created_at: 'x' })
        .execute()
      const proxy = (name: string, endpoints: string) => ({
        id: randomUUID(),
        project_id: projectId,
        name,
        description: '',
        creation_type: 'OPEN_API',
        spec_url: null,
        client_route: JSON.stringify({ relativePathList: [`/${name}`], virtualHostList: [] }),
        routing: '{}',
        endpoints,
        revision: 3,
        created_at: '2026-01-01T00:00:00.000Z',
        updated_at: '2026-02-01T00:00:00.000Z',
        relative_path: `/${name}`,
      })
      const json = JSON.stringify([
        { method: 'GET', path: '/pets', operationId: 'listPets', summary: 'List pets' },
        { method: 'POST', path: '/Order', operationId: null, summary: null, soapAction: 'urn:o' },
        // Declared twice: one row, as the unique key wants.
        { method: 'GET', path: '/pets', operationId: 'again', summary: null },
      ])
      const withEndpoints = proxy('a', json)
      await db
        .insertInto('api_proxies')
        .values([withEndpoints, proxy('b', '[]'), proxy('c', 'not json')])
        .execute()
      expect(await migrateToLatest(store.db)).toContain('0014_proxy_endpoints')

      const rows = await store.db
        .selectFrom('proxy_endpoints')
        .selectAll()
        .orderBy('position')
        .execute()
      expect(rows.map(({ id: _id, ...rest }) => rest)).toEqual([
        {
          proxy_id: withEndpoints.id,
          http_method: 'GET',
          name: '/pets',
          description: 'List pets',
          backend_resource_url: '/pets',
          backend_http_method: 'GET',
          active: 1,
          origin: 'spec',
          operation_id: 'listPets',
          summary: 'List pets',
          soap_action: null,
          cache_settings: null,
          wsa_settings: null,
          position: 0,
          created_at: '2026-02-01T00:00:00.000Z',
          updated_at: '2026-02-01T00:00:00.000Z',
        },
        expect.objectContaining({
          http_method: 'POST',
          name: '/Order',
          description: '',
          soap_action: 'urn:o',
          position: 1,
        }),
      ])
      const proxyRow = await db.selectFrom('api_proxies').selectAll().executeTakeFirstOrThrow()
      expect(proxyRow).not.toHaveProperty('endpoints')
      // Deleting a proxy deletes its endpoints.
      await db.deleteFrom('api_proxies').where('id', '=', withEndpoints.id).execute()
      expect(await store.db.selectFrom('proxy_endpoints').selectAll().execute()).toEqual([])
    } finally {
      await drop()
    }
  })
})
