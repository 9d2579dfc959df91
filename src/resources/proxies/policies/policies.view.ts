import type { ApiProxyRow, ProxyPolicyRow } from '../../../db/schema.ts'
import type { Queryable } from '../../../db/types.ts'
import { endpointsOf } from '../endpoints/endpoints.repository.ts'
import { apiTypeOf } from '../proxies.definition.ts'
import { loadSettings } from '../settings/settings.store.ts'
import { policiesOf } from './policies.repository.ts'
import { DEFINITIONS } from './policies.schemas.ts'
import { maskPolicy } from './policies.secrets.ts'

/** How the documented lists show policies: per pipeline, in order, secrets masked. */

export function presentPolicy(row: ProxyPolicyRow) {
  const policy = maskPolicy(DEFINITIONS.get(row.type), JSON.parse(row.policy))
  return { name: row.name, ...policy, type: row.type, active: policy.active !== false }
}

function pipelines(rows: readonly ProxyPolicyRow[]) {
  const of = (pipeline: string) =>
    rows.filter((r) => r.pipeline === pipeline).sort((a, b) => a.position - b.position)
  return {
    requestPolicyList: of('REQUEST').map(presentPolicy),
    responsePolicyList: of('RESPONSE').map(presentPolicy),
    errorPolicyList: of('ERROR').map(presentPolicy),
  }
}

/** One endpoint's three lists (the endpoint policies route). */
export async function endpointPipelines(db: Queryable, proxyId: string, endpointId: string) {
  const rows = await policiesOf(db, proxyId)
  return pipelines(rows.filter((r) => r.endpoint_id === endpointId))
}

/** The documented list answer's one entry: the proxy's lists and each endpoint's. */
export async function presentProxyPolicies(db: Queryable, proxy: ApiProxyRow) {
  const [rows, endpoints, settings] = await Promise.all([
    policiesOf(db, proxy.id),
    endpointsOf(db, proxy.id),
    loadSettings(db, proxy.id),
  ])
  return {
    name: proxy.name,
    type: apiTypeOf(proxy.creation_type),
    relativePath: proxy.relative_path,
    soapToRest: settings.soapToRest,
    ...pipelines(rows.filter((r) => r.endpoint_id === null)),
    endpointList: endpoints.map((e) => ({
      endpoint: e.name,
      httpMethod: e.http_method,
      active: e.active === 1,
      ...pipelines(rows.filter((r) => r.endpoint_id === e.id)),
    })),
  }
}
