import type {
  KyselyPlugin,
  PluginTransformQueryArgs,
  PluginTransformResultArgs,
  QueryResult,
  RootOperationNode,
  UnknownRow,
} from 'kysely'
import { CompiledQuery, createQueryId, sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Dialect } from '../src/db/create-db.ts'
import { encodeCursor } from '../src/http/lists.ts'
import { TrafficRecorder } from '../src/traffic/traffic.recorder.ts'
import { trafficRecord } from './fixtures/traffic.ts'
import { bearer, buildTestApp, dialects, makeUser, type TestContext, tokenFor } from './helpers.ts'

/**
 * What every list asks the database, read through EXPLAIN: its page and its bounded count
 * find their rows through an index (for a filtered list, an index on the filter), and
 * for a list of one table the index also gives the order, so a page never sorts the
 * whole list. The same for the audit log's keyset page and the proxy route check.
 * PostgreSQL plans with sequential scans and full sorts priced out (tables this small
 * would be read whole and sorted otherwise), so a "Seq Scan" or a "Sort" left in a plan
 * means no index could serve it. An "Incremental Sort" (SQLite: a temporary B-tree for
 * the right part of the order) only orders the rows the index left tied, as for a
 * descending sort whose ties stay ascending.
 */

class QueryRecorder implements KyselyPlugin {
  nodes: RootOperationNode[] = []
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    this.nodes.push(args.node)
    return args.node
  }
  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result
  }
}

const P = '/apiops/projects/Payments'

/** [url, what the list filters on (a full-table walk is then wrong), whether the index orders it]. */
const LISTS: [string, boolean, boolean][] = [
  ['/apiops/projects/', false, true],
  ['/apiops/projects/?sort=createdAt,desc', false, true],
  // Joins: found through indexes, in the order the planner finds cheapest for its size.
  [`${P}/members/`, false, false],
  [`${P}/members/?sort=addedAt`, false, false],
  ['/apiops/environments/', false, true],
  ['/apiops/environments/?sort=type', false, true],
  ['/apiops/environments/?sort=createdAt,desc', false, true],
  ['/apiops/environments/Payments', false, false],
  [`${P}/apiProxies/`, true, true],
  [`${P}/apiProxies/?sort=relativePath`, true, true],
  [`${P}/apiProxies/?sort=relativePath,desc`, true, true],
  [`${P}/apiProxies/orders/deployments/`, true, true],
  [`${P}/apiProxies/orders/endpoints/`, true, true],
  [`${P}/apiProxies/orders/deployments/?sort=environmentName`, true, true],
  [`${P}/apiProxyGroups/`, true, true],
  // Environments are few (administrators make them): the project's, or where the group is.
  [`${P}/apiProxyGroups/checkout/environments/`, false, false],
  [`${P}/connections/`, true, true],
  [`${P}/connections/?type=webhook`, true, true],
  [`${P}/connections/?sort=type`, true, true],
  [`${P}/connections/?sort=createdAt`, true, true],
  [`${P}/connections/?sort=updatedAt,desc`, true, true],
  [`${P}/credentials/`, true, true],
  [`${P}/credentials/?sort=email`, true, true],
  [`${P}/credentials/?sort=fullName`, true, true],
  [`${P}/credentials/?sort=expireDate,desc`, true, true],
  [`${P}/credentials/?sort=createdAt`, true, true],
  [`${P}/environmentVariables/`, true, true],
  [`${P}/ipGroups/`, true, true],
  [`${P}/rlcl/`, true, true],
  [`${P}/certificates/`, true, true],
  [`${P}/certificates/?sort=alias`, true, true],
  [`${P}/certificates/?sort=notAfter`, true, true],
  [`${P}/certificates/?sort=createdAt,desc`, true, true],
  [`${P}/jwks/`, true, true],
  [`${P}/jwks/?sort=type`, true, true],
  [`${P}/jwks/?sort=createdAt,desc`, true, true],
  [`${P}/keys/`, true, true],
  [`${P}/keys/?sort=createdAt`, true, true],
  [`${P}/keystores/`, true, true],
  [`${P}/keystores/?sort=createdAt,desc`, true, true],
  ['/apiops/users/', false, true],
  ['/apiops/users/?sort=createdAt', false, true],
  ['/apiops/users/alice/tokens/', true, true],
  ['/apiops/users/alice/tokens/?sort=name', true, true],
  ['/apiops/users/alice/tokens/?sort=expiresAt', true, true],
  ['/apiops/users/alice/tokens/?sort=lastUsedAt,desc', true, true],
  // Worked out from the clock: found by the owner's index, then sorted.
  ['/apiops/users/alice/tokens/?sort=status', true, false],
  // One source (the default leaves the token endpoint's out): its own index, same order.
  ['/apiops/users/alice/tokens/?source=api', true, true],
  ['/apiops/users/alice/tokens/?source=console', true, true],
  ['/apiops/me/tokens/?source=cli', true, true],
  ['/apiops/me/tokens/', true, true],
  ['/apiops/audit/', false, true],
  ['/apiops/audit/?sort=at,asc', false, true],
  ['/apiops/audit/?action=createApiProxy', true, true],
  ['/apiops/audit/?outcome=denied', true, true],
  ['/apiops/audit/?username=alice', true, true],
  ['/apiops/me/audit/', true, true],
]

async function explain(ctx: TestContext, dialect: Dialect, node: RootOperationNode) {
  const compiled = ctx.store.db.getExecutor().compileQuery(node, createQueryId())
  const prefix = dialect === 'postgres' ? 'EXPLAIN ' : 'EXPLAIN QUERY PLAN '
  const query = CompiledQuery.raw(`${prefix}${compiled.sql}`, [...compiled.parameters])
  const rows =
    dialect === 'postgres'
      ? await ctx.store.db.transaction().execute(async (trx) => {
          await sql`set local enable_seqscan = off`.execute(trx)
          await sql`set local enable_sort = off`.execute(trx)
          return (await trx.executeQuery<Record<string, unknown>>(query)).rows
        })
      : (await ctx.store.db.executeQuery<Record<string, unknown>>(query)).rows
  return { sql: compiled.sql, plan: rows.map((row) => Object.values(row).join(' ')).join('\n') }
}

function expectIndexed(
  dialect: Dialect,
  { sql: text, plan }: { sql: string; plan: string },
  filtered: boolean,
  ordered: boolean,
) {
  const why = `${text}\n${plan}`
  if (dialect === 'postgres') {
    expect(plan, why).toMatch(/Index (Only )?Scan|Bitmap Index Scan/)
    expect(plan, why).not.toMatch(/Seq Scan/)
    // A filter the index does not hold shows as a Filter over the rows it reads.
    if (filtered) expect(plan, why).not.toMatch(/^\s*Filter:/m)
    if (ordered) expect(plan, why).not.toMatch(/(^|->)\s*Sort\s+\(/m)
  } else {
    expect(plan, why).toMatch(/USING (COVERING )?INDEX|USING INTEGER PRIMARY KEY/)
    expect(plan, why).not.toMatch(/\bSCAN (?!bounded)\w+$/m)
    if (filtered) expect(plan, why).not.toMatch(/\bSCAN \w+ USING/)
    if (ordered) expect(plan, why).not.toMatch(/TEMP B-TREE FOR ORDER BY/)
  }
}

describe.each(dialects())('list query plans (%s)', (dialect) => {
  let ctx: TestContext
  let token: string
  const recorder = new QueryRecorder()

  const get = async (url: string) => {
    recorder.nodes = []
    const res = await ctx.app.inject({ url, headers: bearer(token) })
    expect(res.statusCode, `${url}: ${res.body}`).toBe(200)
    return recorder.nodes.filter((n) => n.kind === 'SelectQueryNode')
  }

  /** The list's own queries: its page (ordered by list_key_*) and its bounded count. */
  const listQueries = (nodes: RootOperationNode[]) =>
    nodes.filter((node) => {
      const text = ctx.store.db.getExecutor().compileQuery(node, createQueryId()).sql
      return text.includes('list_key_') || text.includes('"bounded"')
    })

  beforeAll(async () => {
    ctx = await buildTestApp(dialect, { plugins: [recorder] })
    const admin = await makeUser(ctx, 'root', ['ROLE_ADMIN'])
    await makeUser(ctx, 'alice')
    token = await tokenFor(ctx, admin.id).then((t) => t.token)
    const call = (method: 'POST', url: string, payload: unknown) =>
      ctx.app.inject({ method, url, payload: payload as object, headers: bearer(token) })
    expect((await call('POST', '/apiops/projects/', { name: 'Payments' })).statusCode).toBe(201)
    const proxy = await call('POST', `${P}/apiProxies/url/`, {
      apiProxyName: 'orders',
      apiProxyCreationType: 'REVERSE_PROXY',
      routingInfo: { routingAddressList: [{ address: 'https://orders.internal' }] },
    })
    expect(proxy.statusCode, proxy.body).toBe(200)
    const group = await call('POST', `${P}/apiProxyGroups/`, {
      name: 'checkout',
      clientRoute: { relativePathList: ['/checkout'] },
    })
    expect(group.statusCode, group.body).toBe(200)
    // Enough connections of several types that an index on the project alone (then
    // filtering the type) costs more than one on both.
    const project = await ctx.store.db.selectFrom('projects').select('id').executeTakeFirstOrThrow()
    const now = new Date().toISOString()
    await ctx.store.db
      .insertInto('connections')
      .values(
        Array.from({ length: 400 }, (_, i) => ({
          id: `c-${i}`,
          project_id: project.id,
          name: `c${i}`,
          type: ['webhook', 'email', 'kafka', 'database'][i % 4] as string,
          description: '',
          enabled: 1,
          settings: '{}',
          secret: null,
          created_at: now,
          updated_at: now,
        })),
      )
      .execute()
    // And a proxy with many paths, so the route check's path is worth an index condition.
    const orders = await ctx.store.db
      .selectFrom('api_proxies')
      .select('id')
      .executeTakeFirstOrThrow()
    await ctx.store.db
      .insertInto('proxy_routes')
      .values(
        Array.from({ length: 400 }, (_, i) => ({
          project_id: project.id,
          path: `/orders/v${i}`,
          proxy_id: orders.id,
        })),
      )
      .execute()
    // PostgreSQL plans by statistics; SQLite, without them, by its rules for indexes.
    if (dialect === 'postgres')
      await sql.raw('ANALYZE connections, proxy_routes').execute(ctx.store.db)
  })
  afterAll(() => ctx.close())

  it.each(LISTS)('%s: page and count by index', async (url, filtered, ordered) => {
    const queries = listQueries(await get(url))
    expect(queries.length, url).toBe(2)
    const [page, count] = queries as [RootOperationNode, RootOperationNode]
    expectIndexed(dialect, await explain(ctx, dialect, page), filtered, ordered)
    expectIndexed(dialect, await explain(ctx, dialect, count), filtered, false)
  })

  it('reads an audit keyset page by seeking the index, filtered or not', async () => {
    const after = encodeCursor('at,desc', ['2026-01-15T10:00:00.000Z', 'ffffffffffffffff'])
    for (const url of [
      `/apiops/audit/?after=${after}`,
      `/apiops/audit/?action=createApiProxy&after=${after}`,
      `/apiops/me/audit/?after=${after}`,
    ]) {
      const [page] = listQueries(await get(url)) as [RootOperationNode]
      const explained = await explain(ctx, dialect, page)
      expectIndexed(dialect, explained, true, true)
      // The cursor bounds the index range itself, rather than filtering what is read.
      expect(explained.plan, url).toMatch(
        dialect === 'postgres'
          ? /Index Cond: .*\bat\b/
          : /SEARCH audit_events USING INDEX \w+ \(.*\bat\b.*[<>]/,
      )
    }
  })

  it('reads traffic for the reports through the traffic indexes', async () => {
    const [project, proxy] = await Promise.all([
      ctx.store.db.selectFrom('projects').select('id').executeTakeFirstOrThrow(),
      ctx.store.db
        .selectFrom('api_proxies')
        .select('id')
        .where('name', '=', 'orders')
        .executeTakeFirstOrThrow(),
    ])
    const created = await ctx.app.inject({
      method: 'POST',
      url: '/apiops/environments/',
      headers: bearer(token),
      payload: {
        name: 'production',
        type: 'PRODUCTION',
        accessUrl: 'https://p.example',
        projects: ['Payments'],
      },
    })
    expect(created.statusCode, created.body).toBe(201)
    const env = await ctx.store.db.selectFrom('environments').select('id').executeTakeFirstOrThrow()
    const traffic = new TrafficRecorder(ctx.store.db, ctx.clock, { flushEveryMs: 3_600_000 })
    for (let i = 0; i < 2000; i++) {
      const other = i % 4 !== 0
      traffic.record(
        trafficRecord(0, {
          time: new Date(Date.parse('2026-01-15T09:30:00Z') + i * 500).toISOString(),
          projectId: other ? `other-${i % 7}` : project.id,
          proxyId: other ? `p-${i % 11}` : proxy.id,
          environmentId: other ? `e-${i % 5}` : env.id,
        }),
      )
    }
    await traffic.close()
    if (dialect === 'postgres') await sql.raw('ANALYZE traffic').execute(ctx.store.db)
    for (const url of [
      `${P}/apiProxies/orders/traffic/?from=2026-01-15T09:00:00Z`,
      '/apiops/reports/traffic?from=2026-01-15T09:00:00Z',
      '/apiops/reports/traffic?groupBy=status&environmentName=production',
      '/apiops/reports/traffic?groupBy=endpoint&projectName=Payments',
    ]) {
      const reads = (await get(url)).filter((node) =>
        ctx.store.db.getExecutor().compileQuery(node, createQueryId()).sql.includes('"traffic"'),
      )
      // The proxy page also reads each environment's p95: an aggregate, then one row.
      expect(reads.length, url).toBe(url.includes('/orders/traffic/') ? 2 : 1)
      // Grouping sorts the groups (few), never the rows: only the index scan is asked for.
      for (const read of reads) {
        const explained = await explain(ctx, dialect, read)
        expect(explained.plan, `${url}\n${explained.sql}\n${explained.plan}`).toMatch(
          dialect === 'postgres'
            ? /Index (Only )?Scan|Bitmap Index Scan/
            : /USING (COVERING )?INDEX traffic_/,
        )
        expect(explained.plan).not.toMatch(dialect === 'postgres' ? /Seq Scan/ : /\bSCAN traffic$/m)
      }
    }
  })

  it('checks that a proxy route is free with one index lookup', async () => {
    recorder.nodes = []
    const res = await ctx.app.inject({
      method: 'POST',
      url: `${P}/apiProxies/url/`,
      headers: bearer(token),
      payload: {
        apiProxyName: 'payments',
        apiProxyCreationType: 'REVERSE_PROXY',
        clientRoute: { relativePathList: ['/pay', '/orders'] },
        routingInfo: { routingAddressList: [{ address: 'https://pay.internal' }] },
      },
    })
    expect(res.statusCode).toBe(409)
    expect(res.json().error_description).toBe(
      "Relative path '/orders' is already used by API proxy 'orders'.",
    )
    const checks = recorder.nodes.filter((node) =>
      ctx.store.db.getExecutor().compileQuery(node, createQueryId()).sql.includes('proxy_routes'),
    )
    expect(checks.length).toBe(1)
    // No query of the create reads the project's proxies.
    for (const node of recorder.nodes) {
      const text = ctx.store.db.getExecutor().compileQuery(node, createQueryId()).sql
      if (text.startsWith('select')) expect(text).not.toMatch(/client_route/)
    }
    const explained = await explain(ctx, dialect, checks[0] as RootOperationNode)
    expectIndexed(
      dialect,
      { ...explained, plan: explained.plan.replace(/Filter: .*name.*/, '') },
      true,
      false,
    )
    // The index is searched by project and path: each path asked costs one lookup.
    expect(explained.plan).toMatch(
      dialect === 'postgres'
        ? /proxy_routes_pk[^\n]*\n\s*Index Cond: .*project_id.*path/
        : /SEARCH proxy_routes USING (COVERING )?INDEX \w+ \(project_id=\? AND path=\?\)/,
    )
  })
})
