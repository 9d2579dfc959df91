import type { Body, Normalize } from './definition.ts'

/* How target fields compare: two spellings of the same server are the same target. */

export const exact: Normalize = (value) => String(value ?? '')
export const lower: Normalize = (value) => String(value ?? '').toLowerCase()
export const orDefault =
  (fallback: string | number): Normalize =>
  (value) =>
    String(value ?? fallback)

const DEFAULT_PORTS: Record<string, string> = {
  http: '80',
  https: '443',
  ldap: '389',
  ldaps: '636',
}

/**
 * scheme://host:port, lowercased, the scheme's default port made explicit: the server a
 * URL reaches. `withPath` keeps the path too (a webhook's path can name the receiver on
 * a shared host); the query and fragment never count.
 */
export function urlTarget(withPath: boolean): Normalize {
  return (value) => {
    const match = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]*)([^?#]*)/i.exec(String(value ?? ''))
    if (!match) return String(value ?? '')
    const scheme = (match[1] as string).toLowerCase()
    let authority = (match[2] as string).toLowerCase()
    if (!/:\d+$/.test(authority) && DEFAULT_PORTS[scheme]) {
      authority += `:${DEFAULT_PORTS[scheme]}`
    }
    return `${scheme}://${authority}${withPath ? match[3] || '/' : ''}`
  }
}

/** The same servers in another order are the same target; one more is a new one. */
export const serverSet: Normalize = (value) =>
  String(value ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== '')
    .sort()
    .join(',')

/** A list of {scheme?, host, port?} as a server set. */
export function hostList(defaults: { scheme?: string; port: number }): Normalize {
  return (value) =>
    serverSet(
      (Array.isArray(value) ? (value as Body[]) : [])
        .map((h) => `${h.scheme ?? defaults.scheme ?? ''}://${h.host}:${h.port ?? defaults.port}`)
        .join(','),
      {},
    )
}
