import { type Kysely, Migrator, sql } from 'kysely'
import { afterEach, describe, expect, it } from 'vitest'
import { createDb, type DbHandle } from '../src/db/create-db.ts'
import { migrateToLatest, migrations } from '../src/db/migrator.ts'
import { dialects, throwawaySchema } from './helpers.ts'

/*
 * Migration 0010: rows written under the old action names (the API's operationIds and
 * cli:<command>) read and filter under the catalogue's names afterwards, on both
 * engines, and nothing they said is lost.
 */

const BEFORE = Object.fromEntries(Object.entries(migrations).filter(([name]) => name < '0010'))

async function storeAt0008(
  dialect: string,
): Promise<{ store: DbHandle; drop: () => Promise<void> }> {
  if (dialect === 'sqlite') {
    const store = createDb({ databaseUrl: undefined, sqlitePath: ':memory:', dataDir: '' })
    await migrateBefore(store.db as Kysely<unknown>)
    return { store, drop: () => store.close() }
  }
  const schema = await throwawaySchema('m10')
  const store = createDb({ databaseUrl: schema.url, dataDir: '' })
  await migrateBefore(store.db as Kysely<unknown>, schema.name)
  return {
    store,
    drop: async () => {
      await store.close()
      await schema.drop()
    },
  }
}

async function migrateBefore(db: Kysely<unknown>, schema?: string): Promise<void> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => BEFORE },
    ...(schema ? { migrationTableSchema: schema } : {}),
  })
  const { error } = await migrator.migrateToLatest()
  if (error) throw error
}

let n = 0
/** A row as the old code wrote it. */
const old = (action: string, outcome: string, status: number, target = '') => ({
  id: (++n).toString(16).padStart(32, '0'),
  at: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(),
  actor_user_id: null,
  actor_username: 'someone',
  token_id: null,
  client_ip: '192.0.2.1',
  user_agent: 'old',
  action,
  target,
  outcome,
  status,
  folded_count: null,
  username_hash: null,
})

const CASES: [row: ReturnType<typeof old>, action: string, target: string][] = [
  [
    old('createUser', 'success', 201, 'username=carol roles=ROLE_ADMIN'),
    'user.created',
    'username=carol roles=ROLE_ADMIN',
  ],
  [old('revokeMyToken', 'success', 200, 'id=a1'), 'token.revoked', 'id=a1'],
  [
    old('revokeUserToken', 'success', 200, 'username=bob id=b2'),
    'token.revoked',
    'username=bob id=b2',
  ],
  [old('rotateMyToken', 'success', 201, 'id=a1 issued=c3'), 'token.rotated', 'id=a1 issued=c3'],
  [old('grantRoles', 'success', 200), 'user.roleGranted', ''],
  [old('createTokenWithCredentials', 'success', 200, 'issued=d4'), 'login.succeeded', 'issued=d4'],
  [old('createTokenWithCredentials', 'failure', 401), 'login.failed', ''],
  [
    old('login', 'failure', 401, 'username_hash=0123456789abcdef'),
    'login.failed',
    'username_hash=0123456789abcdef',
  ],
  [old('login', 'failure', 429), 'login.locked', ''],
  [
    old('createTokenWithCredentials', 'failure', 400),
    'request.failed',
    'operation=createTokenWithCredentials',
  ],
  [
    old('createProject', 'denied', 403, 'name=sneaky'),
    'request.denied',
    'operation=createProject name=sneaky',
  ],
  [old('getMe', 'denied', 401), 'request.denied', 'operation=getMe'],
  [old('revokeMyToken', 'failure', 404, 'id=0'), 'request.failed', 'operation=revokeMyToken id=0'],
  [
    old('unknownRoute', 'denied', 401, 'path=/apiops/x'),
    'request.denied',
    'operation=unknownRoute path=/apiops/x',
  ],
  [old('POST /apiops/things/', 'failure', 415), 'request.failed', 'operation=POST /apiops/things/'],
  [
    old('deployApiProxy', 'success', 200, 'projectName=P apiProxyName=a environmentName=e'),
    'proxy.deployed',
    'projectName=P apiProxyName=a environmentName=e',
  ],
  [
    old('revealConnectionSecrets', 'success', 200, 'projectName=P name=h fields=url'),
    'connection.secretsRevealed',
    'projectName=P name=h fields=url',
  ],
  [old('cli:user.create', 'success', 200, 'erin'), 'user.created', 'erin'],
  [old('cli:token.revoke-all', 'success', 200, 'erin'), 'token.revokedAll', 'erin'],
  [
    old('cli:user.grant', 'failure', 404, 'nobody ROLE_ADMIN'),
    'cli.failed',
    'command=user.grant args=nobody ROLE_ADMIN',
  ],
  [
    old('token.usedFromNewAddress', 'success', 200, 'token=a1 previous=(first use)'),
    'token.usedFromNewAddress',
    'token=a1 previous=(first use)',
  ],
  [
    old('audit.folded', 'denied', 401, '7 more invalid_token from 192.0.2.1 between a and b'),
    'audit.folded',
    '7 more invalid_token from 192.0.2.1 between a and b',
  ],
  [old('listProjects', 'success', 200), 'listProjects', ''],
]

describe.each(dialects())('migration 0010: old action names (%s)', (dialect) => {
  let drop: (() => Promise<void>) | undefined
  afterEach(async () => {
    await drop?.()
    drop = undefined
  })

  it('maps every old name to the catalogue, keeping what the row said', async () => {
    const at = await storeAt0008(dialect)
    drop = at.drop
    const db = at.store.db
    const long = old('deleteProject', 'denied', 403, `projectName=${'p'.repeat(480)}`)
    await db
      .insertInto('audit_events')
      .values([...CASES.map(([row]) => row), long] as never)
      .execute()

    expect(await migrateToLatest(db)).toContain('0010_audit_events')

    const rows = await db.selectFrom('audit_events').selectAll().orderBy('id').execute()
    expect(rows.map((r) => [r.action, r.target])).toEqual([
      ...CASES.map(([, action, target]) => [action, target]),
      ['request.denied', `operation=deleteProject projectName=${'p'.repeat(480)}`.slice(0, 500)],
    ])
    // Outcomes, statuses and everything else stay as they were; the new column is empty.
    for (const [i, row] of rows.entries()) {
      const before = i < CASES.length ? (CASES[i] as (typeof CASES)[number])[0] : long
      expect(row).toMatchObject({
        outcome: before.outcome,
        status: before.status,
        request_id: null,
      })
    }
    // Filterable by the new name, with the rows written afterwards.
    const revoked = await db
      .selectFrom('audit_events')
      .select('id')
      .where('action', '=', 'token.revoked')
      .execute()
    expect(revoked).toHaveLength(2)
    const count = await sql<{
      n: number | string
    }>`select count(*) as n from audit_events where action like 'cli:%'`.execute(db)
    expect(Number(count.rows[0]?.n)).toBe(0)
  })
})
