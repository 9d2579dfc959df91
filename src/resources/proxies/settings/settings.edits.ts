import { errors } from '../../../errors.ts'
import {
  MalformedReference,
  parseReferences,
} from '../../environment-variables/environment-variables.resolve.ts'
import { checkMirror } from './settings.mirror.ts'
import type { StoredClientRoute, StoredRouting } from './settings.model.ts'
import type {
  AddressesInput,
  ApiKeysInput,
  CacheInput,
  CircuitBreakerInput,
  ClientRouteInput,
  ConnectionInput,
  CorsInput,
  MetadataInput,
  MtlsInput,
  NtlmInput,
  RoutingStatusInput,
} from './settings.schemas.ts'
import { claimPaths, type Edit, type Editing, invalid, sealedOrKept } from './settings.store.ts'

/*
 * What each setting does to a proxy: one Edit per documented PATCH. Each applies the
 * fields the body names (absent ones stay as they are), then checks the rules that span
 * fields on the result, so a PATCH of one field cannot leave the setting inconsistent.
 */

type Section = Record<string, unknown>
/** The named fields over the stored ones. */
const over = <T extends object>(stored: T, body: object): T => {
  const next = { ...stored } as Section
  for (const [key, value] of Object.entries(body)) if (value !== undefined) next[key] = value
  return next as T
}

const clientRouteOf = (t: Editing) => JSON.parse(t.proxy.client_route) as StoredClientRoute
const routingOf = (t: Editing) => JSON.parse(t.proxy.routing) as StoredRouting

export const clientRoute =
  (body: ClientRouteInput): Edit =>
  async (t) => {
    const route = clientRouteOf(t)
    // Docs: an empty list means the same as null (no condition of that kind).
    if (body.relativePathList !== undefined) route.relativePathList = body.relativePathList ?? []
    if (body.hostList !== undefined) route.virtualHostList = body.hostList ?? []
    if (body.methodList !== undefined) route.methodList = body.methodList ?? []
    if (body.headerList !== undefined) route.headerList = body.headerList ?? []
    if (body.bufferRequest !== undefined) route.bufferRequest = body.bufferRequest
    if (body.bufferResponse !== undefined) route.bufferResponse = body.bufferResponse
    const lists = [
      route.relativePathList,
      route.virtualHostList,
      route.methodList,
      route.headerList,
    ]
    if (!lists.some((l) => (l?.length ?? 0) > 0)) {
      throw errors.badRequest(
        'Client route must have at least one valid route configuration: give a non-empty relativePathList, methodList, hostList or headerList.',
      )
    }
    await claimPaths(t, route.relativePathList)
    t.changes.client_route = JSON.stringify(route)
  }

export const addresses =
  (body: AddressesInput): Edit =>
  (t) => {
    const issues = body.routingAddressList.flatMap(({ address }, i) => {
      try {
        parseReferences(address)
        return []
      } catch (error) {
        if (!(error instanceof MalformedReference)) throw error
        return [{ field: `routingAddressList.${i}.address`, message: error.message }]
      }
    })
    if (issues.length > 0) throw errors.validationFailed(issues)
    const routing = routingOf(t)
    routing.routingAddressList = body.routingAddressList.map((a) => ({
      address: a.address,
      weight: a.weight ?? 100,
      healthCheckEnabled: a.healthCheckEnabled ?? false,
      ...(a.soapType ? { soapType: a.soapType } : {}),
    }))
    t.changes.routing = JSON.stringify(routing)
  }

export const routingStatus =
  (body: RoutingStatusInput): Edit =>
  (t) => {
    const routing = over(routingOf(t), body)
    // Docs: an empty list means the same as null.
    if (body.mirrorAddressList !== undefined)
      routing.mirrorAddressList = body.mirrorAddressList ?? []
    checkMirror(routing)
    t.changes.routing = JSON.stringify(routing)
  }

export const metadata =
  (body: MetadataInput): Edit =>
  async (t) => {
    if (body.name !== undefined && body.name !== t.proxy.name) {
      const taken = await t.trx
        .selectFrom('api_proxies')
        .select('id')
        .where('project_id', '=', t.project.id)
        .where('name', '=', body.name)
        .executeTakeFirst()
      if (taken)
        throw errors.duplicateName(`API proxy '${body.name}' in project '${t.project.name}'`)
      t.changes.name = body.name
      // The deployment history follows the proxy under its new name.
      await t.trx
        .updateTable('deployment_history')
        .set({ proxy_name: body.name })
        .where('project_id', '=', t.project.id)
        .where('proxy_name', '=', t.proxy.name)
        .execute()
    }
    if (body.description !== undefined) t.changes.description = body.description
    if (body.categoryList !== undefined) t.settings.categoryList = body.categoryList
    if (body.sharingType !== undefined) t.settings.sharingType = body.sharingType
  }

export const apiKeys =
  (key: Buffer, body: ApiKeysInput): Edit =>
  (t) => {
    const stored = t.settings.apiKeys
    t.settings.apiKeys = {
      publicKey: body.publicKey ?? stored.publicKey,
      secretKey: sealedOrKept(
        key,
        t.proxy.id,
        'apiKeys.secretKey',
        body.secretKey,
        stored.secretKey,
      ),
    }
  }

export const cache =
  (body: CacheInput): Edit =>
  (t) => {
    const next = over(t.settings.cache, body)
    if (next.cacheKeyType === 'CUSTOM' && (next.variableList?.length ?? 0) === 0) {
      throw invalid('variableList', 'must name at least one variable when cacheKeyType is CUSTOM')
    }
    t.settings.cache = next
  }

export const circuitBreaker =
  (body: CircuitBreakerInput): Edit =>
  (t) => {
    const next = over(t.settings.circuitBreaker, body)
    if (next.enumErrorThresholdType === 'PERCENT' && (next.errorThresholdValue ?? 0) > 100) {
      throw invalid(
        'errorThresholdValue',
        'must be at most 100 when enumErrorThresholdType is PERCENT',
      )
    }
    t.settings.circuitBreaker = next
  }

export const connection =
  (body: ConnectionInput): Edit =>
  (t) => {
    const next = over(t.settings.connection, body)
    if (next.connectionPoolManagementType === 'CUSTOM' && next.customConnectionPoolSize == null) {
      throw invalid(
        'customConnectionPoolSize',
        'is required when connectionPoolManagementType is CUSTOM',
      )
    }
    t.settings.connection = next
  }

export const cors =
  (body: CorsInput): Edit =>
  (t) => {
    const next = over(t.settings.cors, body)
    if (next.allowCredentials === 'true' && next.allowOriginList?.includes('*')) {
      throw invalid(
        'allowOriginList',
        'must list the allowed origins rather than * when allowCredentials is "true" (browsers refuse credentials with a wildcard origin)',
      )
    }
    t.settings.cors = next
  }

/** Settings with no rule across fields: the named fields replace the stored ones. */
export const plain =
  <K extends 'forwardedIpHeader' | 'jsonErrorTemplate' | 'xmlErrorTemplate'>(
    name: K,
    body: Section,
  ): Edit =>
  (t) => {
    t.settings[name] = over(t.settings[name] as Section, body) as never
  }

export const hideSpecFile =
  (hide: 'true' | 'false'): Edit =>
  (t) => {
    t.settings.hideSpecFile = hide === 'true'
  }

export const mtls =
  (body: MtlsInput): Edit =>
  (t) => {
    const next = over(t.settings.mtls, body)
    if (next.enabled && !next.keyStoreId)
      throw invalid('keyStoreId', 'is required when enabled is true')
    t.settings.mtls = next
  }

export const ntlm =
  (key: Buffer, body: NtlmInput): Edit =>
  (t) => {
    const stored = t.settings.ntlm
    const next = over(stored, { ...body, password: undefined })
    next.password = sealedOrKept(key, t.proxy.id, 'ntlm.password', body.password, stored.password)
    if (next.enabled) {
      for (const field of ['domain', 'username', 'password'] as const) {
        if (!next[field]) throw invalid(field, 'is required when enabled is true')
      }
    }
    t.settings.ntlm = next
  }

export { proxyServer, trafficLog } from './settings.edits-outbound.ts'
