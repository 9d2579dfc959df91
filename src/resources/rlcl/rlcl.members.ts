import type { ProjectRow } from '../../db/schema.ts'
import type { Queryable } from '../../db/types.ts'
import { errors } from '../../errors.ts'
import { SUCCESS } from '../../http/lists.ts'
import { authorizeInProject, type Principal } from '../../identity/policy/permissions.ts'
import { findCredential } from '../credentials/credentials.repository.ts'
import { findEndpoint } from '../proxies/endpoints/endpoints.repository.ts'
import { findProxy } from '../proxies/proxies.repository.ts'
import * as repo from './rlcl.repository.ts'
import { MAX_MEMBERS } from './rlcl.schemas.ts'
import { type RlclDeps, requireRlcl } from './rlcl.service.ts'

/*
 * An RLCL's credentials and endpoint rate limits: add (what is there already is
 * skipped), replace (the whole list), remove (what is absent is ignored), as the docs
 * say. Every name must exist in the project (404 naming it), and one request is all or
 * nothing.
 */

export type MemberChange = 'add' | 'replace' | 'remove'

export interface EndpointLimitInput {
  apiProxyName: string
  endpointName?: string | undefined
  endpointHTTPMethod?: string | undefined
  [field: string]: unknown
}

async function credentialIds(db: Queryable, project: ProjectRow, names: readonly string[]) {
  const ids: string[] = []
  for (const name of new Set(names)) {
    const row = await findCredential(db, project.id, name)
    if (!row) throw errors.notFound(`Credential '${name}' in project '${project.name}'`)
    ids.push(row.id)
  }
  return ids
}

/** 'ALL' (or nothing) for both names the whole proxy; otherwise one endpoint of it. */
async function locate(db: Queryable, project: ProjectRow, item: EndpointLimitInput, at: string) {
  const proxy = await findProxy(db, project.id, item.apiProxyName)
  if (!proxy) throw errors.notFound(`API proxy '${item.apiProxyName}' in project '${project.name}'`)
  const name = item.endpointName ?? 'ALL'
  const method = item.endpointHTTPMethod ?? 'ALL'
  if (name === 'ALL' && method === 'ALL') {
    return { proxy_id: proxy.id, endpoint_id: null, endpoint_key: 'ALL' }
  }
  if (item.endpointName === undefined || item.endpointHTTPMethod === undefined) {
    throw errors.validationFailed([
      {
        field: `${at}.${item.endpointName === undefined ? 'endpointName' : 'endpointHTTPMethod'}`,
        message: 'is required unless both name every endpoint (ALL)',
      },
    ])
  }
  const endpoint = await findEndpoint(db, proxy.id, { httpMethod: method, name })
  if (!endpoint) throw errors.notFound(`Endpoint ${method} ${name} of API proxy '${proxy.name}'`)
  return { proxy_id: proxy.id, endpoint_id: endpoint.id, endpoint_key: endpoint.id }
}

function limitsOf(item: EndpointLimitInput) {
  const { apiProxyName: _p, endpointName: _n, endpointHTTPMethod: _m, ...limits } = item
  return JSON.stringify({
    ...limits,
    targetVariable: limits.targetVariable ?? null,
    targetIdentityValue: limits.targetIdentityValue ?? null,
    showRateLimitStatisticsInResponseHeader:
      limits.showRateLimitStatisticsInResponseHeader ?? false,
    enabled: limits.enabled ?? true,
  })
}

function tooMany(count: number, what: string) {
  return errors.validationFailed([
    { field: what, message: `would leave the RLCL with ${count}; it holds at most ${MAX_MEMBERS}` },
  ])
}

/** How one member list is stored: the three writes a change is made of. */
interface MemberStore<T> {
  table: 'rlcl_credentials' | 'rlcl_endpoints'
  field: string
  members: 'credentials' | 'endpoints'
  clear(trx: Queryable, rlclId: string): Promise<number>
  remove(trx: Queryable, rlclId: string, items: readonly T[]): Promise<number>
  add(trx: Queryable, rlclId: string, items: readonly T[]): Promise<number>
}

const CREDENTIALS: MemberStore<string> = {
  table: 'rlcl_credentials',
  field: 'credentialNameList',
  members: 'credentials',
  clear: repo.clearCredentials,
  remove: repo.removeCredentials,
  add: repo.addCredentials,
}

type EndpointLimitRow = Omit<repo.RlclEndpointRow, 'rlcl_id' | 'position'>

const ENDPOINTS: MemberStore<EndpointLimitRow> = {
  table: 'rlcl_endpoints',
  field: 'endpointRateLimitList',
  members: 'endpoints',
  clear: repo.clearEndpointLimits,
  remove: repo.removeEndpointLimits,
  add: repo.addEndpointLimits,
}

/** One change to one member list, all or nothing, then audited. */
async function applyChange<T>(
  deps: RlclDeps,
  project: ProjectRow,
  rlcl: { id: string; name: string },
  change: MemberChange,
  store: MemberStore<T>,
  items: readonly T[],
) {
  const outcome = await deps.db.transaction().execute(async (trx) => {
    const removed =
      change === 'replace'
        ? await store.clear(trx, rlcl.id)
        : change === 'remove'
          ? await store.remove(trx, rlcl.id, items)
          : 0
    const added = change === 'remove' ? 0 : await store.add(trx, rlcl.id, items)
    const count = await repo.countMembers(trx, store.table, rlcl.id)
    if (count > MAX_MEMBERS) throw tooMany(count, store.field)
    return { added, removed, count }
  })
  deps.audit.record('rlcl.membersChanged', {
    project: project.name,
    rlcl: rlcl.name,
    members: store.members,
    change,
  })
  return { ...SUCCESS, ...outcome }
}

export async function changeCredentials(
  deps: RlclDeps,
  principal: Principal,
  projectName: string,
  name: string,
  change: MemberChange,
  names: readonly string[],
) {
  const project = await authorizeInProject(deps, principal, 'rlcl.write', projectName)
  const rlcl = await requireRlcl(deps.db, project, name)
  const ids = await credentialIds(deps.db, project, names)
  return applyChange(deps, project, rlcl, change, CREDENTIALS, ids)
}

export async function changeEndpoints(
  deps: RlclDeps,
  principal: Principal,
  projectName: string,
  name: string,
  change: MemberChange,
  items: readonly EndpointLimitInput[],
) {
  const project = await authorizeInProject(deps, principal, 'rlcl.write', projectName)
  const rlcl = await requireRlcl(deps.db, project, name)
  const rows: EndpointLimitRow[] = []
  for (const [i, item] of items.entries()) {
    const place = await locate(deps.db, project, item, `endpointRateLimitList.${i}`)
    // A removal matches by place only: its entries need no limits.
    rows.push({ ...place, limits: change === 'remove' ? '{}' : limitsOf(item) })
  }
  return applyChange(deps, project, rlcl, change, ENDPOINTS, rows)
}
