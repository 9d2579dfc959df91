import { randomUUID } from 'node:crypto'
import { type Kysely, sql } from 'kysely'
import { describe, expect, it } from 'vitest'
import { SORTED_TEXT } from '../src/db/migrations/0009_list_indexes.ts'
import { migrateToLatest } from '../src/db/migrator.ts'
import { dialects, freshStore } from './helpers.ts'
import { storeMigratedTo } from './migrated-store.ts'

/**
 * Migration 0009 on a database that already holds proxies: each gets its first path as
 * relative_path and its paths in proxy_routes, so lists sort by path and the route
 * check finds them; two proxies that shared a path (possible before: two creates racing
 * past the old check) do not stop the migration.
 */

describe.each(dialects())('migration 0009 on existing proxies (%s)', (dialect) => {
  it('fills relative_path and proxy_routes from each client route', async () => {
    const { store, drop } = await storeMigratedTo(dialect, '0008_audit_folding')
    try {
      const projectId = randomUUID()
      const db = store.db as unknown as Kysely<Record<string, Record<string, unknown>>>
      await db
        .insertInto('projects')
        .values({ id: projectId, name: 'P', description: '', created_at: 'x' })
        .execute()
      const proxy = (name: string, paths: string[]) => ({
        id: randomUUID(),
        project_id: projectId,
        name,
        description: '',
        creation_type: 'REVERSE_PROXY',
        spec_url: null,
        client_route: JSON.stringify({ relativePathList: paths, virtualHostList: [] }),
        routing: '{}',
        endpoints: '[]',
        revision: 1,
        created_at: 'x',
        updated_at: 'x',
      })
      await db
        .insertInto('api_proxies')
        .values([proxy('a', ['/a', '/shared']), proxy('b', ['/b']), proxy('c', ['/shared'])])
        .execute()
      expect(await migrateToLatest(store.db)).toContain('0009_list_indexes')

      const rows = await store.db
        .selectFrom('api_proxies')
        .select(['name', 'relative_path'])
        .orderBy('name')
        .execute()
      expect(rows).toEqual([
        { name: 'a', relative_path: '/a' },
        { name: 'b', relative_path: '/b' },
        { name: 'c', relative_path: '/shared' },
      ])
      const routes = await store.db
        .selectFrom('proxy_routes')
        .innerJoin('api_proxies', 'api_proxies.id', 'proxy_routes.proxy_id')
        .select(['proxy_routes.path', 'api_proxies.name'])
        .orderBy('proxy_routes.path')
        .execute()
      expect(routes.map((r) => r.path)).toEqual(['/a', '/b', '/shared'])
      expect(['a', 'c']).toContain(routes[2]?.name)
    } finally {
      await drop()
    }
  })
})

describe.runIf(dialects().includes('postgres'))('code point order on PostgreSQL', () => {
  it('gives every text column a list sorts by the "C" collation, whatever the server locale', async () => {
    const store = await freshStore('postgres')
    try {
      const sorted = [...SORTED_TEXT, ['environment_variables', 'name', 'varchar(100)']]
      const { rows } = await sql<{
        table_name: string
        column_name: string
        collation_name: string | null
      }>`
        select table_name, column_name, collation_name from information_schema.columns
        where table_schema = current_schema()`.execute(store.db)
      const collation = new Map(
        rows.map((r) => [`${r.table_name}.${r.column_name}`, r.collation_name]),
      )
      for (const [table, column] of sorted) {
        expect(collation.get(`${table}.${column}`), `${table}.${column}`).toBe('C')
      }
    } finally {
      await store.drop()
    }
  })
})
