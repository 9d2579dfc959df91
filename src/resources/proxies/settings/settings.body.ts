import type { Static } from 'typebox'
import type { Queryable } from '../../../db/types.ts'
import { MASK } from '../../../sealed.ts'
import type { ProxyFromUrlBody } from '../proxies.schemas.ts'
import { checkMirror } from './settings.mirror.ts'
import { presentSettings, type StoredClientRoute, type StoredRouting } from './settings.model.ts'
import { invalid, loadSettings, saveSettings, sealedOrKept } from './settings.store.ts'

/*
 * The documented create/update body (`apiProxies/url/`) carries settings too: the
 * client route's and routing's extra fields, connection timeouts and retries inside
 * routingInfo, and proxy-level flags. The full write stores them here; fields it does
 * not name keep their stored values.
 */

type ProxyBody = Static<typeof ProxyFromUrlBody>

/** The client route fields beyond paths and virtual hosts (hostList is the docs' name for virtualHostList). */
export function clientRouteExtras(route: ProxyBody['clientRoute']): Partial<StoredClientRoute> {
  if (!route) return {}
  const extras: Partial<StoredClientRoute> = {}
  if (!route.virtualHostList && route.hostList) extras.virtualHostList = route.hostList
  if (route.methodList) extras.methodList = route.methodList
  if (route.headerList) extras.headerList = route.headerList
  if (route.bufferRequest !== undefined) extras.bufferRequest = route.bufferRequest
  if (route.bufferResponse !== undefined) extras.bufferResponse = route.bufferResponse
  return extras
}

export function routingExtras(info: ProxyBody['routingInfo']): Partial<StoredRouting> {
  const extras: Partial<StoredRouting> = {}
  if (info?.mirrorEnabled !== undefined) extras.mirrorEnabled = info.mirrorEnabled
  if (info?.mirrorAddressList) extras.mirrorAddressList = info.mirrorAddressList
  checkMirror(extras, 'routingInfo')
  if (info?.loadBalanceAlgorithm) extras.loadBalanceAlgorithm = info.loadBalanceAlgorithm
  return extras
}

const CONNECTION_FIELDS = [
  'connectTimeout',
  'readTimeout',
  'retryCount',
  'failoverRetryCount',
  'ignoreRoutingError',
] as const

/** Stores the settings a create or full update names (in the caller's transaction). */
export async function storeBodySettings(
  trx: Queryable,
  key: Buffer,
  proxyId: string,
  body: ProxyBody,
  specUrlChanged: boolean,
): Promise<void> {
  const settings = await loadSettings(trx, proxyId)
  for (const flag of ['soapToRest', 'enableWSA', 'enableWSRM'] as const) {
    if (body[flag] !== undefined) settings[flag] = body[flag]
  }
  if (body.backendApiVersion !== undefined) settings.backendApiVersion = body.backendApiVersion
  if (body.maintenanceModeSetting) {
    settings.maintenanceModeSetting = { ...settings.maintenanceModeSetting }
    for (const [field, value] of Object.entries(body.maintenanceModeSetting)) {
      if (value !== undefined)
        (settings.maintenanceModeSetting as Record<string, unknown>)[field] = value
    }
  }
  for (const field of CONNECTION_FIELDS) {
    const value = body.routingInfo?.[field]
    if (value !== undefined) (settings.connection as Record<string, unknown>)[field] = value
  }
  if (body.specAuthorizationValueList !== undefined) {
    const stored = new Map(
      settings.specAuthorizationValueList.map((v) => [v.headerName, v.headerValue]),
    )
    settings.specAuthorizationValueList = (body.specAuthorizationValueList ?? []).map((v, i) => {
      const kept = stored.get(v.headerName) ?? null
      // A masked value stays only while the spec URL it is sent to stays the same.
      if (v.headerValue === MASK && (specUrlChanged || !kept)) {
        throw invalid(
          `specAuthorizationValueList.${i}.headerValue`,
          'must be given in clear: the stored value is kept only for the same header and spec URL',
        )
      }
      const field = `specAuthorizationValueList.${v.headerName.toLowerCase()}`
      return {
        headerName: v.headerName,
        headerValue: sealedOrKept(key, proxyId, field, v.headerValue, kept) as string,
      }
    })
  }
  await saveSettings(trx, proxyId, settings)
}

/** What a proxy read shows of its settings: categoryList, sharingType, settings (masked). */
export async function settingsView(db: Queryable, proxyId: string) {
  return presentSettings(await loadSettings(db, proxyId))
}
