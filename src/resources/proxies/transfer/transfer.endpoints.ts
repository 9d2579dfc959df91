import type { ApiProxyRow } from '../../../db/schema.ts'
import type { Queryable } from '../../../db/types.ts'
import type { ExportedEndpointBody } from './transfer.format.ts'

/*
 * A proxy's endpoints, as export and import see them. Today they are a JSON column of
 * api_proxies; these two functions are the only place that knows it.
 */

export function endpointsOf(_db: Queryable, proxy: ApiProxyRow): Promise<ExportedEndpointBody[]> {
  return Promise.resolve(JSON.parse(proxy.endpoints) as ExportedEndpointBody[])
}

export async function replaceEndpoints(
  db: Queryable,
  proxyId: string,
  endpoints: readonly ExportedEndpointBody[],
): Promise<void> {
  await db
    .updateTable('api_proxies')
    .set({ endpoints: JSON.stringify(endpoints) })
    .where('id', '=', proxyId)
    .execute()
}
