import type { Kysely } from 'kysely'
import type { Clock } from '../../clock.ts'
import type { ApiProxyRow, Database, ProjectRow } from '../../db/schema.ts'
import type { Queryable } from '../../db/types.ts'
import { errors } from '../../errors.ts'

/** Columns of api_proxies a change may set besides revision and updated_at. */
export type ProxyChanges = Partial<Omit<ApiProxyRow, 'id' | 'project_id' | 'revision'>>

/**
 * The one way a proxy changes after it is made (a setting, an endpoint): `work` runs in a
 * transaction that also moves the proxy's revision on, so every environment it is
 * deployed to reports redeployRequired until it is redeployed. The proxy is read inside
 * the transaction, so two changes never bump from the same revision.
 */
export async function reviseProxy<T>(
  deps: { db: Kysely<Database>; clock: Clock },
  project: ProjectRow,
  proxyName: string,
  work: (trx: Queryable, proxy: ApiProxyRow) => Promise<{ changes?: ProxyChanges; result: T }>,
): Promise<T> {
  const now = deps.clock.now().toISOString()
  return deps.db.transaction().execute(async (trx) => {
    const proxy = await trx
      .selectFrom('api_proxies')
      .selectAll()
      .where('project_id', '=', project.id)
      .where('name', '=', proxyName)
      .executeTakeFirst()
    if (!proxy) throw errors.notFound(`API proxy '${proxyName}' in project '${project.name}'`)
    const { changes, result } = await work(trx, proxy)
    await trx
      .updateTable('api_proxies')
      .set({ ...changes, revision: proxy.revision + 1, updated_at: now })
      .where('id', '=', proxy.id)
      .execute()
    return result
  })
}
