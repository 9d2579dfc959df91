import { randomUUID } from 'node:crypto'
import type { ApiProxyRow, ProxyEndpointRow } from '../../../db/schema.ts'
import { isUniqueViolation, type Queryable } from '../../../db/types.ts'
import { errors } from '../../../errors.ts'
import { type ListOrder, type ListQueryInput, pageInSql } from '../../../http/lists.ts'
import { authorizeInProject, type Principal } from '../../../identity/policy/permissions.ts'
import { endpointPipelines } from '../policies/policies.view.ts'
import { apiTypeOf } from '../proxies.definition.ts'
import { reviseProxy } from '../proxies.revision.ts'
import { type ProxiesDeps, requireProxy } from '../proxies.service.ts'
import { withDefaults } from '../settings/settings.model.ts'
import { checkBackendResourceUrl } from './backend-url.ts'
import { presentEndpoint, WSA_DEFAULTS } from './endpoints.model.ts'
import * as repo from './endpoints.repository.ts'
import type {
  CreateEndpointInput,
  EndpointCacheInput,
  EndpointStatusInput,
  EndpointWsaInput,
  UpdateEndpointInput,
} from './endpoints.schemas.ts'

/*
 * A proxy's endpoints. Reads need ROLE_MANAGE_PROXIES (as documented); every change
 * goes through reviseProxy, so a deployed proxy reports redeployRequired after it.
 */

export type EndpointsDeps = Pick<ProxiesDeps, 'db' | 'clock' | 'audit'>
export interface ProxyRef {
  projectName: string
  apiProxyName: string
}

const ORDER: ListOrder = {
  sortable: { position: 'position' },
  defaultSort: 'position',
  tail: ['id'],
}

const named = (key: repo.EndpointKey) => `Endpoint ${key.httpMethod} ${key.name}`

async function requireEndpoint(
  db: Queryable,
  proxy: ApiProxyRow,
  key: repo.EndpointKey,
): Promise<ProxyEndpointRow> {
  const row = await repo.findEndpoint(db, proxy.id, key)
  if (!row) throw errors.notFound(`${named(key)} of API proxy '${proxy.name}'`)
  return row
}

async function readable(deps: EndpointsDeps, principal: Principal, ref: ProxyRef) {
  const project = await authorizeInProject(deps, principal, 'endpoint.read', ref.projectName)
  return requireProxy(deps, project, ref.apiProxyName)
}

export async function listEndpoints(
  deps: EndpointsDeps,
  principal: Principal,
  ref: ProxyRef,
  query: ListQueryInput,
) {
  const proxy = await readable(deps, principal, ref)
  return pageInSql(deps.db, repo.endpointsPage(deps.db, proxy.id), query, ORDER, presentEndpoint)
}

export async function getEndpoint(
  deps: EndpointsDeps,
  principal: Principal,
  ref: ProxyRef,
  key: repo.EndpointKey,
) {
  const proxy = await readable(deps, principal, ref)
  return presentEndpoint(await requireEndpoint(deps.db, proxy, key))
}

export async function endpointPolicies(
  deps: EndpointsDeps,
  principal: Principal,
  ref: ProxyRef,
  key: repo.EndpointKey,
) {
  const proxy = await readable(deps, principal, ref)
  const row = await requireEndpoint(deps.db, proxy, key)
  return { ...presentEndpoint(row), ...(await endpointPipelines(deps.db, proxy.id, row.id)) }
}

/** What happened to the endpoint: made, deleted, or which part of it changed. */
type Happening = 'created' | 'deleted' | 'definition' | 'status' | 'cache' | 'wsa'

/**
 * One endpoint change, in the transaction that moves the proxy's revision on, then its
 * audit event. `work` answers the endpoint it changed.
 */
async function changeEndpoint(
  deps: EndpointsDeps,
  principal: Principal,
  ref: ProxyRef,
  happening: Happening,
  work: (trx: Queryable, proxy: ApiProxyRow, now: string) => Promise<repo.EndpointKey>,
): Promise<void> {
  const project = await authorizeInProject(deps, principal, 'proxy.write', ref.projectName)
  const now = deps.clock.now().toISOString()
  const key = await reviseProxy(deps, project, ref.apiProxyName, async (trx, proxy) => ({
    result: await work(trx, proxy, now),
  }))
  const fields = {
    project: project.name,
    proxy: ref.apiProxyName,
    method: key.httpMethod,
    endpoint: key.name,
  }
  if (happening === 'created') deps.audit.record('proxy.endpointCreated', fields)
  else if (happening === 'deleted') deps.audit.record('proxy.endpointDeleted', fields)
  else deps.audit.record('proxy.endpointChanged', { ...fields, change: happening })
}

const restOnly = (proxy: ApiProxyRow, what: string) => {
  if (apiTypeOf(proxy.creation_type) !== 'REST') {
    throw errors.badRequest(
      `API proxy '${proxy.name}' is a SOAP proxy: endpoints can be ${what} REST API proxies only; a SOAP proxy's endpoints are its WSDL's operations (re-parse it to change them).`,
    )
  }
}

export function createEndpoint(
  deps: EndpointsDeps,
  principal: Principal,
  ref: ProxyRef,
  body: CreateEndpointInput,
) {
  checkBackendResourceUrl(body.backendResourceUrl)
  const key = { httpMethod: body.httpMethod, name: body.name }
  const duplicate = () => errors.duplicateName(`${named(key)} in API proxy '${ref.apiProxyName}'`)
  return changeEndpoint(deps, principal, ref, 'created', async (trx, proxy, now) => {
    restOnly(proxy, 'added to')
    if (await repo.findEndpoint(trx, proxy.id, key)) throw duplicate()
    const row: ProxyEndpointRow = {
      id: randomUUID(),
      proxy_id: proxy.id,
      http_method: body.httpMethod,
      name: body.name,
      description: body.description ?? '',
      backend_resource_url: body.backendResourceUrl,
      backend_http_method: body.backendHttpMethod,
      active: 1,
      origin: 'manual',
      operation_id: null,
      summary: null,
      soap_action: null,
      cache_settings: null,
      wsa_settings: null,
      position: await repo.nextPosition(trx, proxy.id),
      created_at: now,
      updated_at: now,
    }
    await repo.insertEndpoint(trx, row)
    return key
  }).catch((error) => {
    // Another create of the same endpoint won the race past the check above.
    if (isUniqueViolation(error)) throw duplicate()
    throw error
  })
}

export function updateEndpoint(
  deps: EndpointsDeps,
  principal: Principal,
  ref: ProxyRef,
  body: UpdateEndpointInput,
) {
  if (body.backendResourceUrl !== undefined) checkBackendResourceUrl(body.backendResourceUrl)
  const key = { httpMethod: body.httpMethod, name: body.name }
  return changeEndpoint(deps, principal, ref, 'definition', async (trx, proxy, now) => {
    const row = await requireEndpoint(trx, proxy, key)
    await repo.updateEndpoint(trx, row.id, {
      description: body.description ?? row.description,
      backend_resource_url: body.backendResourceUrl ?? row.backend_resource_url,
      backend_http_method: body.backendHttpMethod ?? row.backend_http_method,
      updated_at: now,
    })
    return key
  })
}

export function deleteEndpoint(
  deps: EndpointsDeps,
  principal: Principal,
  ref: ProxyRef,
  key: repo.EndpointKey,
) {
  return changeEndpoint(deps, principal, ref, 'deleted', async (trx, proxy) => {
    restOnly(proxy, 'deleted from')
    const row = await requireEndpoint(trx, proxy, key)
    await repo.deleteEndpoint(trx, row.id)
    return key
  })
}

const identified = (body: { identifierName: string; identifierHttpMethod: string }) => ({
  name: body.identifierName,
  httpMethod: body.identifierHttpMethod,
})

export function setEndpointStatus(
  deps: EndpointsDeps,
  principal: Principal,
  ref: ProxyRef,
  body: EndpointStatusInput,
) {
  const key = identified(body)
  return changeEndpoint(deps, principal, ref, 'status', async (trx, proxy, now) => {
    const row = await requireEndpoint(trx, proxy, key)
    await repo.updateEndpoint(trx, row.id, { active: body.active ? 1 : 0, updated_at: now })
    return key
  })
}

/** The body's cache settings over the documented defaults: each PATCH sets the whole object. */
export function setEndpointCache(
  deps: EndpointsDeps,
  principal: Principal,
  ref: ProxyRef,
  body: EndpointCacheInput,
) {
  const key = identified(body)
  const cache = { ...withDefaults({}).cache, ...body.cacheSettings }
  if (cache.cacheKeyType === 'CUSTOM' && (cache.variableList?.length ?? 0) === 0) {
    throw errors.validationFailed([
      {
        field: 'cacheSettings.variableList',
        message: 'must name at least one variable when cacheKeyType is CUSTOM',
      },
    ])
  }
  return changeEndpoint(deps, principal, ref, 'cache', async (trx, proxy, now) => {
    const row = await requireEndpoint(trx, proxy, key)
    await repo.updateEndpoint(trx, row.id, {
      cache_settings: JSON.stringify(cache),
      updated_at: now,
    })
    return key
  })
}

/** Each WS-Addressing header apiops does not make itself needs its value when WSA is on. */
function checkWsa(wsa: Record<string, unknown>): void {
  if (!wsa.wsaEnabled) return
  const needs: [unknown, unknown, string, string][] = [
    [wsa.wsaAddDefaultAction, wsa.wsaAction, 'wsaAction', 'wsaAddDefaultAction'],
    [wsa.wsaAddDefaultTo, wsa.wsaTo, 'wsaTo', 'wsaAddDefaultTo'],
    [wsa.wsaGenerateMessageId, wsa.wsaMessageId, 'wsaMessageId', 'wsaGenerateMessageId'],
  ]
  const issues = needs
    .filter(([automatic, value]) => !automatic && (value === null || value === undefined))
    .map(([, , field, flag]) => ({
      field: `wsaSettings.${field}`,
      message: `is required when wsaEnabled is true and ${flag} is false`,
    }))
  if (issues.length > 0) throw errors.validationFailed(issues)
}

export function setEndpointWsa(
  deps: EndpointsDeps,
  principal: Principal,
  ref: ProxyRef,
  body: EndpointWsaInput,
) {
  const key = identified(body)
  const wsa = { ...WSA_DEFAULTS, ...body.wsaSettings }
  checkWsa(wsa)
  return changeEndpoint(deps, principal, ref, 'wsa', async (trx, proxy, now) => {
    if (apiTypeOf(proxy.creation_type) !== 'SOAP') {
      throw errors.badRequest(
        `API proxy '${proxy.name}' is a REST proxy: WS-Addressing settings apply to SOAP API proxies only.`,
      )
    }
    const row = await requireEndpoint(trx, proxy, key)
    await repo.updateEndpoint(trx, row.id, { wsa_settings: JSON.stringify(wsa), updated_at: now })
    return key
  })
}
