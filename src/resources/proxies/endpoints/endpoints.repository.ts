import type { ProxyEndpointRow } from '../../../db/schema.ts'
import type { Queryable } from '../../../db/types.ts'

/*
 * A proxy's endpoints, one row each (proxy_endpoints), whether its spec gave them or a
 * caller made them. Export and import build on endpointsOf and replaceEndpoints.
 */

/** An endpoint as stored, apart from which proxy holds it and where it is in the list. */
export type EndpointRecord = Omit<ProxyEndpointRow, 'proxy_id' | 'position'>

/** An endpoint is found by its method and name, as the documented bodies identify it. */
export interface EndpointKey {
  httpMethod: string
  name: string
}

/** Rows per insert: far below either engine's limit on bound parameters. */
const CHUNK = 500

/** Every endpoint of the proxy, in list order. */
export function endpointsOf(db: Queryable, proxyId: string): Promise<ProxyEndpointRow[]> {
  return db
    .selectFrom('proxy_endpoints')
    .selectAll()
    .where('proxy_id', '=', proxyId)
    .orderBy('position')
    .orderBy('id')
    .execute()
}

/** The endpoint list's query (pageInSql orders and pages it). */
export function endpointsPage(db: Queryable, proxyId: string) {
  return db.selectFrom('proxy_endpoints').selectAll().where('proxy_id', '=', proxyId)
}

export function findEndpoint(
  db: Queryable,
  proxyId: string,
  key: EndpointKey,
): Promise<ProxyEndpointRow | undefined> {
  return db
    .selectFrom('proxy_endpoints')
    .selectAll()
    .where('proxy_id', '=', proxyId)
    .where('http_method', '=', key.httpMethod)
    .where('name', '=', key.name)
    .executeTakeFirst()
}

/** Where a new endpoint goes: after every other. */
export async function nextPosition(db: Queryable, proxyId: string): Promise<number> {
  const row = await db
    .selectFrom('proxy_endpoints')
    .select((eb) => eb.fn.max('position').as('last'))
    .where('proxy_id', '=', proxyId)
    .executeTakeFirst()
  const last = row?.last
  return last === null || last === undefined ? 0 : Number(last) + 1
}

export async function insertEndpoint(db: Queryable, row: ProxyEndpointRow): Promise<void> {
  await db.insertInto('proxy_endpoints').values(row).execute()
}

export async function updateEndpoint(
  db: Queryable,
  id: string,
  changes: Partial<Omit<ProxyEndpointRow, 'id' | 'proxy_id'>>,
): Promise<void> {
  await db.updateTable('proxy_endpoints').set(changes).where('id', '=', id).execute()
}

export async function deleteEndpoint(db: Queryable, id: string): Promise<void> {
  await db.deleteFrom('proxy_endpoints').where('id', '=', id).execute()
}

/**
 * Makes these, in this order, the proxy's endpoints (run it in a transaction). An endpoint
 * whose id is given again stays the same row, updated where it differs: deleting and
 * re-inserting it would cascade to what refers to it (endpoint policies, rate-limit
 * entries). Only the endpoints not given again are deleted.
 */
export async function replaceEndpoints(
  trx: Queryable,
  proxyId: string,
  endpoints: readonly EndpointRecord[],
): Promise<void> {
  const before = new Map((await endpointsOf(trx, proxyId)).map((row) => [row.id, row]))
  const given = new Set(endpoints.map((e) => e.id))
  const gone = [...before.keys()].filter((id) => !given.has(id))
  for (let i = 0; i < gone.length; i += CHUNK) {
    await trx
      .deleteFrom('proxy_endpoints')
      .where('id', 'in', gone.slice(i, i + CHUNK))
      .execute()
  }
  const rows = endpoints.map((e, position) => ({ ...e, proxy_id: proxyId, position }))
  for (const row of rows) {
    const old = before.get(row.id)
    if (old && differs(old, row)) await updateEndpoint(trx, row.id, row)
  }
  const fresh = rows.filter((row) => !before.has(row.id))
  for (let i = 0; i < fresh.length; i += CHUNK) {
    await trx
      .insertInto('proxy_endpoints')
      .values(fresh.slice(i, i + CHUNK))
      .execute()
  }
}

function differs(old: ProxyEndpointRow, row: ProxyEndpointRow): boolean {
  return (Object.keys(row) as (keyof ProxyEndpointRow)[]).some((k) => old[k] !== row[k])
}
