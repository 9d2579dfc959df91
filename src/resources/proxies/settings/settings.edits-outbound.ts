import { MASK } from '../../../sealed.ts'
import type { ProxyServerInput, TrafficLogInput } from './settings.schemas.ts'
import { type Edit, invalid, sealedOrKept } from './settings.store.ts'

/**
 * The stored proxy password is only ever sent to the server it was given for: a PATCH
 * that moves proxyHost or proxyPort must give the password again, else someone allowed
 * to edit the proxy (but never shown the password) could point it at a server of theirs.
 */
export const proxyServer =
  (key: Buffer, body: ProxyServerInput): Edit =>
  (t) => {
    const stored = t.settings.proxyServer
    const next = { ...stored }
    for (const [field, value] of Object.entries(body)) {
      if (value !== undefined && field !== 'proxyPassword')
        (next as Record<string, unknown>)[field] = value
    }
    const moved = next.proxyHost !== stored.proxyHost || next.proxyPort !== stored.proxyPort
    const resent = body.proxyPassword !== undefined && body.proxyPassword !== MASK
    if (moved && stored.proxyPassword && !resent) {
      throw invalid(
        'proxyPassword',
        'must be given again when proxyHost or proxyPort changes (the stored password is not sent to another server)',
      )
    }
    next.proxyPassword = sealedOrKept(
      key,
      t.proxy.id,
      'proxyServer.proxyPassword',
      body.proxyPassword,
      stored.proxyPassword,
    )
    if (next.proxyEnabled && !next.proxyFromHeaderEnabled) {
      if (!next.proxyHost)
        throw invalid(
          'proxyHost',
          'is required when proxyEnabled is true and proxyFromHeaderEnabled is false',
        )
      if (!next.proxyPort)
        throw invalid(
          'proxyPort',
          'is required when proxyEnabled is true and proxyFromHeaderEnabled is false',
        )
    }
    if (next.proxyAuthorizationNeeded) {
      if (!next.proxyUsername)
        throw invalid('proxyUsername', 'is required when proxyAuthorizationNeeded is true')
      if (!next.proxyPassword)
        throw invalid('proxyPassword', 'is required when proxyAuthorizationNeeded is true')
    }
    t.settings.proxyServer = next
  }

/** The per-environment list is replaced as a whole; an environment appears at most once. */
export const trafficLog =
  (body: TrafficLogInput): Edit =>
  (t) => {
    const list = body.apiProxyTrafficLogSettingsList
    if (list) {
      const seen = new Set<string>()
      list.forEach((item, i) => {
        if (seen.has(item.environmentName)) {
          throw invalid(
            `apiProxyTrafficLogSettingsList.${i}.environmentName`,
            `names environment '${item.environmentName}' a second time`,
          )
        }
        seen.add(item.environmentName)
      })
    }
    const stored = t.settings.trafficLog
    t.settings.trafficLog = {
      enabledTraceLog: body.enabledTraceLog ?? stored.enabledTraceLog,
      enabledApplicationLog: body.enabledApplicationLog ?? stored.enabledApplicationLog,
      apiProxyTrafficLogSettingsList: list ?? stored.apiProxyTrafficLogSettingsList,
    }
  }
