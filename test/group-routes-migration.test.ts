import { type Kysely, Migrator } from 'kysely'
import { describe, expect, it } from 'vitest'
import { createDb } from '../src/db/create-db.ts'
import { migrateToLatest, migrations } from '../src/db/migrator.ts'
import type { Database } from '../src/db/schema.ts'
import { dialects, throwawaySchema } from './helpers.ts'

/*
 * Migration 0021: the groups stored before it get their paths in group_routes, oldest
 * group first; a path an older group holds stays with it (group paths were not checked
 * before, so two groups may share one).
 */

const BEFORE = Object.fromEntries(Object.entries(migrations).filter(([name]) => name < '0021'))

async function storeBefore0021(dialect: string) {
  const schema = dialect === 'postgres' ? await throwawaySchema('m15') : undefined
  const store = schema
    ? createDb({ databaseUrl: schema.url, dataDir: '' })
    : createDb({ databaseUrl: undefined, sqlitePath: ':memory:', dataDir: '' })
  const migrator = new Migrator({
    db: store.db as Kysely<unknown>,
    provider: { getMigrations: async () => BEFORE },
    ...(schema ? { migrationTableSchema: schema.name } : {}),
  })
  const { error } = await migrator.migrateToLatest()
  if (error) throw error
  return {
    db: store.db as unknown as Kysely<Database>,
    drop: async () => {
      await store.close()
      await schema?.drop()
    },
  }
}

describe.each(dialects())('migration 0021: group routes backfilled (%s)', (dialect) => {
  it('gives each path to the oldest group holding it', async () => {
    const { db, drop } = await storeBefore0021(dialect)
    try {
      await db
        .insertInto('projects')
        .values({ id: 'p1', name: 'Shop', description: '', created_at: '2026-01-01T00:00:00.000Z' })
        .execute()
      const group = (id: string, at: string, paths: string[]) => ({
        id,
        project_id: 'p1',
        name: id,
        description: '',
        client_route: JSON.stringify({ relativePathList: paths, methodList: null }),
        revision: 1,
        created_at: at,
        updated_at: at,
      })
      await db
        .insertInto('proxy_groups')
        .values([
          group('newer', '2026-02-01T00:00:00.000Z', ['/shared', '/newer', '/newer']),
          group('older', '2026-01-01T00:00:00.000Z', ['/shared', '/older']),
        ])
        .execute()
      await migrateToLatest(db)
      const rows = await db
        .selectFrom('group_routes')
        .select(['path', 'group_id'])
        .orderBy('path')
        .execute()
      expect(rows).toEqual([
        { path: '/newer', group_id: 'newer' },
        { path: '/older', group_id: 'older' },
        { path: '/shared', group_id: 'older' },
      ])
    } finally {
      await drop()
    }
  })
})
