import type { ProxyPolicyRow } from '../../../db/schema.ts'
import type { Queryable } from '../../../db/types.ts'

/*
 * A proxy's policies, one row each (proxy_policies). Each list (the proxy's or one
 * endpoint's, per pipeline) is ordered by position 0..n-1 with no gaps. Export and
 * import build on policiesOf and replacePolicies.
 */

/** Which list a policy is in. */
export interface PolicyList {
  endpointId: string | null
  pipeline: string
}

/** A policy as stored, apart from which proxy holds it (policy: JSON, secrets sealed). */
export type PolicyRecord = Omit<ProxyPolicyRow, 'proxy_id'>

/** Every policy of the proxy, list by list, in order. */
export function policiesOf(db: Queryable, proxyId: string): Promise<ProxyPolicyRow[]> {
  return db
    .selectFrom('proxy_policies')
    .selectAll()
    .where('proxy_id', '=', proxyId)
    .orderBy('endpoint_id')
    .orderBy('pipeline')
    .orderBy('position')
    .execute()
}

export function findPolicy(
  db: Queryable,
  proxyId: string,
  name: string,
): Promise<ProxyPolicyRow | undefined> {
  return db
    .selectFrom('proxy_policies')
    .selectAll()
    .where('proxy_id', '=', proxyId)
    .where('name_key', '=', name.toLowerCase())
    .executeTakeFirst()
}

function inList(db: Queryable, proxyId: string, list: PolicyList) {
  const base = db
    .selectFrom('proxy_policies')
    .where('proxy_id', '=', proxyId)
    .where('pipeline', '=', list.pipeline)
  return list.endpointId === null
    ? base.where('endpoint_id', 'is', null)
    : base.where('endpoint_id', '=', list.endpointId)
}

/** The ids of one list, in order. */
export async function listIds(db: Queryable, proxyId: string, list: PolicyList) {
  const rows = await inList(db, proxyId, list).select('id').orderBy('position').execute()
  return rows.map((r) => r.id)
}

/** Writes positions 0..n-1 in the order given (the list's new order). */
export async function renumber(db: Queryable, ids: readonly string[]): Promise<void> {
  for (const [position, id] of ids.entries()) {
    await db.updateTable('proxy_policies').set({ position }).where('id', '=', id).execute()
  }
}

export async function insertPolicy(db: Queryable, row: ProxyPolicyRow): Promise<void> {
  await db.insertInto('proxy_policies').values(row).execute()
}

export async function updatePolicy(
  db: Queryable,
  id: string,
  changes: Partial<Omit<ProxyPolicyRow, 'id' | 'proxy_id' | 'name' | 'name_key' | 'type'>>,
): Promise<void> {
  await db.updateTable('proxy_policies').set(changes).where('id', '=', id).execute()
}

export async function deletePolicy(db: Queryable, id: string): Promise<void> {
  await db.deleteFrom('proxy_policies').where('id', '=', id).execute()
}

/** Makes these the proxy's policies (run it in a transaction: the old set goes first). */
export async function replacePolicies(
  trx: Queryable,
  proxyId: string,
  policies: readonly PolicyRecord[],
): Promise<void> {
  await trx.deleteFrom('proxy_policies').where('proxy_id', '=', proxyId).execute()
  for (const p of policies)
    await trx
      .insertInto('proxy_policies')
      .values({ ...p, proxy_id: proxyId })
      .execute()
}
