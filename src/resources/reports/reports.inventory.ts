import type { Queryable } from '../../db/types.ts'
import { apiTypeOf } from '../proxies/proxies.definition.ts'
import { withDefaults } from '../proxies/settings/settings.model.ts'

/*
 * The two documented reports that describe what exists (not traffic): every API proxy and
 * proxy group, and which proxies are shared outside the organisation and with whom.
 */

export interface EndpointItem {
  id: string
  name: string
  method: string
  path: string
}

export interface InventoryItem {
  id: string
  name: string
  description: string
  /** REST or SOAP for a proxy; API_PROXY_GROUP for a group. */
  type: string
  projectName: string
  endpoints?: EndpointItem[]
}

/** Every proxy, then every group, each in project and name order. */
export async function inventory(db: Queryable, includeEndpoints: boolean) {
  const proxies = await db
    .selectFrom('api_proxies')
    .innerJoin('projects', 'projects.id', 'api_proxies.project_id')
    .select([
      'api_proxies.id',
      'api_proxies.name',
      'api_proxies.description',
      'api_proxies.creation_type',
      'projects.name as project_name',
    ])
    .orderBy('projects.name')
    .orderBy('api_proxies.name')
    .execute()
  const groups = await db
    .selectFrom('proxy_groups')
    .innerJoin('projects', 'projects.id', 'proxy_groups.project_id')
    .select([
      'proxy_groups.id',
      'proxy_groups.name',
      'proxy_groups.description',
      'projects.name as project_name',
    ])
    .orderBy('projects.name')
    .orderBy('proxy_groups.name')
    .execute()
  const endpoints = includeEndpoints ? await endpointsByProxy(db) : undefined
  const items: InventoryItem[] = proxies.map((p) => ({
    id: p.id,
    name: p.name,
    description: p.description,
    type: apiTypeOf(p.creation_type),
    projectName: p.project_name,
    ...(endpoints ? { endpoints: endpoints.get(p.id) ?? [] } : {}),
  }))
  for (const g of groups) {
    items.push({
      id: g.id,
      name: g.name,
      description: g.description,
      type: 'API_PROXY_GROUP',
      projectName: g.project_name,
      ...(endpoints ? { endpoints: [] } : {}),
    })
  }
  return items
}

async function endpointsByProxy(db: Queryable): Promise<Map<string, EndpointItem[]>> {
  const rows = await db
    .selectFrom('proxy_endpoints')
    .select(['id', 'proxy_id', 'http_method', 'name'])
    .orderBy('proxy_id')
    .orderBy('position')
    .execute()
  const byProxy = new Map<string, EndpointItem[]>()
  for (const r of rows) {
    const list = byProxy.get(r.proxy_id) ?? []
    list.push({ id: r.id, name: `${r.http_method} ${r.name}`, method: r.http_method, path: r.name })
    byProxy.set(r.proxy_id, list)
  }
  return byProxy
}

export interface AccessItem {
  credentialUsername: string
  projectName: string
  /** Granted on the proxy itself, or through a proxy group it belongs to (the group's name). */
  viaGroup: string | null
  grantedAt: string
}

export interface SharedProxy {
  apiProxyName: string
  projectName: string
  sharingType: 'EXTERNAL' | 'BOTH'
  accessList: AccessItem[]
}

/** Proxies shared EXTERNAL or BOTH, with the credentials granted access to each. */
export async function sharedProxies(db: Queryable): Promise<SharedProxy[]> {
  const rows = await db
    .selectFrom('api_proxies')
    .innerJoin('projects', 'projects.id', 'api_proxies.project_id')
    .leftJoin('proxy_settings', 'proxy_settings.proxy_id', 'api_proxies.id')
    .select([
      'api_proxies.id',
      'api_proxies.name',
      'projects.name as project_name',
      'proxy_settings.settings',
    ])
    .orderBy('projects.name')
    .orderBy('api_proxies.name')
    .execute()
  const shared = rows
    .map((r) => ({
      ...r,
      sharingType: withDefaults(r.settings ? JSON.parse(r.settings) : {}).sharingType,
    }))
    .filter(
      (r): r is typeof r & { sharingType: SharedProxy['sharingType'] } =>
        r.sharingType === 'EXTERNAL' || r.sharingType === 'BOTH',
    )
  if (shared.length === 0) return []
  const access = await accessOf(
    db,
    shared.map((r) => r.id),
  )
  return shared.map((r) => ({
    apiProxyName: r.name,
    projectName: r.project_name,
    sharingType: r.sharingType,
    accessList: access.get(r.id) ?? [],
  }))
}

async function accessOf(db: Queryable, proxyIds: string[]): Promise<Map<string, AccessItem[]>> {
  const out = new Map<string, AccessItem[]>()
  const add = (proxyId: string, item: AccessItem) =>
    out.set(proxyId, [...(out.get(proxyId) ?? []), item])
  for (let i = 0; i < proxyIds.length; i += 500) {
    const slice = proxyIds.slice(i, i + 500)
    const direct = await db
      .selectFrom('credential_access')
      .innerJoin('credentials', 'credentials.id', 'credential_access.credential_id')
      .innerJoin('projects', 'projects.id', 'credentials.project_id')
      .select([
        'credential_access.proxy_id',
        'credentials.username',
        'projects.name as project_name',
        'credential_access.granted_at',
      ])
      .where('credential_access.proxy_id', 'in', slice)
      .orderBy('credentials.username')
      .execute()
    for (const r of direct) {
      add(r.proxy_id as string, {
        credentialUsername: r.username,
        projectName: r.project_name,
        viaGroup: null,
        grantedAt: r.granted_at,
      })
    }
    const viaGroups = await db
      .selectFrom('credential_access')
      .innerJoin(
        'proxy_group_members',
        'proxy_group_members.group_id',
        'credential_access.group_id',
      )
      .innerJoin('proxy_groups', 'proxy_groups.id', 'proxy_group_members.group_id')
      .innerJoin('credentials', 'credentials.id', 'credential_access.credential_id')
      .innerJoin('projects', 'projects.id', 'credentials.project_id')
      .select([
        'proxy_group_members.proxy_id',
        'credentials.username',
        'projects.name as project_name',
        'proxy_groups.name as group_name',
        'credential_access.granted_at',
      ])
      .where('proxy_group_members.proxy_id', 'in', slice)
      .orderBy('credentials.username')
      .execute()
    for (const r of viaGroups) {
      add(r.proxy_id, {
        credentialUsername: r.username,
        projectName: r.project_name,
        viaGroup: r.group_name,
        grantedAt: r.granted_at,
      })
    }
  }
  return out
}
