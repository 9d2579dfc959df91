import type { ServerResponse } from 'node:http'
import type { StoredSettings } from '../resources/proxies/settings/settings.model.ts'

/*
 * A proxy's CORS settings, compiled once per deploy. With CORS active the gateway is the
 * authority: it answers preflights itself (the upstream never sees them), adds the
 * allowed origin's headers to every answer of the proxy (the upstream's, and the ones
 * the gateway writes), and drops whatever Access-Control-* headers the upstream sent.
 * A disallowed origin gets no CORS headers: a preflight is refused with 403, an actual
 * request is still forwarded (a same-origin page sends Origin on a POST too; the browser
 * keeps a cross-origin answer without the headers from the script).
 */

export interface CorsPlan {
  /** `*` is listed. */
  anyOrigin: boolean
  /** The listed origins as browsers serialize them (lower case, no default port). */
  origins: ReadonlySet<string>
  /** The origin is echoed (credentials allowed, or an explicit list), never `*`. */
  echoOrigin: boolean
  credentials: boolean
  /** Methods a preflight may ask for; null: any (`ALL`). */
  methods: ReadonlySet<string> | null
  /** Access-Control-Allow-Methods; null: the requested method is echoed. */
  allowMethods: string | null
  /** `*` is listed: the requested headers are echoed. */
  anyHeader: boolean
  headers: ReadonlySet<string>
  allowHeaders: string
  /** Access-Control-Expose-Headers, or null. */
  expose: string | null
  maxAge: string
}

/** What browsers send without asking (the Fetch standard's CORS-safelisted methods). */
const SAFELISTED_METHODS = ['GET', 'HEAD', 'POST']

function serializeOrigin(origin: string): string {
  if (origin === 'null') return origin
  try {
    return new URL(origin).origin.toLowerCase()
  } catch {
    return origin.toLowerCase()
  }
}

export function compileCors(cors: StoredSettings['cors']): CorsPlan | null {
  if (cors.corsActive !== true) return null
  const originList = cors.allowOriginList ?? []
  const anyOrigin = originList.includes('*')
  const credentials = cors.allowCredentials === 'true'
  const methodList = (cors.allowMethodList ?? []).map((m) => m.toUpperCase())
  const allMethods = methodList.includes('ALL')
  // An empty list allows what a browser sends without a preflight, and nothing more.
  const methods = methodList.length === 0 ? SAFELISTED_METHODS : methodList
  const headerList = cors.allowHeaderList ?? []
  const exposeList = cors.exposeHeaderList ?? []
  return {
    anyOrigin,
    origins: new Set(originList.filter((o) => o !== '*').map(serializeOrigin)),
    // `*` with credentials is refused when saved; should one arrive anyway, browsers
    // would reject `*` with credentials, so the origin is echoed.
    echoOrigin: !anyOrigin || credentials,
    credentials,
    methods: allMethods ? null : new Set(methods),
    allowMethods: allMethods ? null : methods.join(', '),
    anyHeader: headerList.includes('*'),
    headers: new Set(headerList.map((h) => h.toLowerCase())),
    allowHeaders: headerList.filter((h) => h !== '*').join(', '),
    expose: exposeList.length > 0 ? exposeList.join(', ') : null,
    maxAge: String(cors.maxAge ?? 3600),
  }
}

/** The Access-Control-Allow-Origin value for this origin, or null when it is not allowed. */
export function allowOrigin(plan: CorsPlan, origin: string): string | null {
  if (plan.anyOrigin) return plan.echoOrigin ? origin : '*'
  return plan.origins.has(serializeOrigin(origin)) ? origin : null
}

/** A header of the raw list by its lower-case name (the first one), without parsing them all. */
export function rawHeader(raw: readonly string[], name: string): string | undefined {
  for (let i = 0; i < raw.length; i += 2) {
    const n = raw[i] as string
    if (n.length === name.length && n.toLowerCase() === name) return raw[i + 1]
  }
  return undefined
}

/**
 * Sets on the response what every answer of the proxy carries, the upstream's and the
 * gateway's own: Vary: Origin, and for an allowed origin its CORS headers.
 */
export function corsOnAnswer(res: ServerResponse, plan: CorsPlan, raw: readonly string[]): void {
  res.setHeader('vary', 'Origin')
  const origin = rawHeader(raw, 'origin')
  if (origin === undefined) return
  const allowed = allowOrigin(plan, origin)
  if (allowed === null) return
  res.setHeader('access-control-allow-origin', allowed)
  if (plan.credentials) res.setHeader('access-control-allow-credentials', 'true')
  if (plan.expose !== null) res.setHeader('access-control-expose-headers', plan.expose)
}

export type Preflight = { headers: Record<string, string> } | { refused: string }

export const PREFLIGHT_VARY =
  'Origin, Access-Control-Request-Method, Access-Control-Request-Headers'

/** The answer to a preflight: its headers, or why it is refused. */
export function preflight(
  plan: CorsPlan,
  origin: string,
  method: string,
  requestHeaders: string | undefined,
): Preflight {
  const allowed = allowOrigin(plan, origin)
  if (allowed === null)
    return { refused: `Origin ${origin} is not allowed by the CORS settings of this API proxy` }
  const wanted = method.toUpperCase()
  if (plan.methods !== null && !plan.methods.has(wanted))
    return { refused: `Method ${wanted} is not allowed by the CORS settings of this API proxy` }
  const asked = requestHeaders?.trim() ?? ''
  if (asked !== '' && !plan.anyHeader) {
    const missing = asked
      .split(',')
      .map((h) => h.trim().toLowerCase())
      .find((h) => h !== '' && !plan.headers.has(h))
    if (missing !== undefined)
      return {
        refused: `Header ${missing} is not allowed by the CORS settings of this API proxy`,
      }
  }
  const headers: Record<string, string> = {
    'access-control-allow-origin': allowed,
    'access-control-allow-methods': plan.allowMethods ?? wanted,
    'access-control-max-age': plan.maxAge,
    vary: PREFLIGHT_VARY,
    'content-length': '0',
  }
  const allowHeaders = plan.anyHeader ? asked : plan.allowHeaders
  if (allowHeaders !== '') headers['access-control-allow-headers'] = allowHeaders
  if (plan.credentials) headers['access-control-allow-credentials'] = 'true'
  return { headers }
}

/**
 * The upstream's answer headers under the proxy's CORS: its own Access-Control-* go
 * (the gateway's, set on the response before, take their place) and Vary names Origin.
 */
export function corsOverUpstream(headers: Record<string, string | string[] | undefined>): void {
  for (const name of Object.keys(headers))
    if (name.startsWith('access-control-')) delete headers[name]
  const vary = headers.vary
  if (vary === undefined) {
    headers.vary = 'Origin'
    return
  }
  const text = Array.isArray(vary) ? vary.join(', ') : vary
  headers.vary = /(^|,)\s*(origin|\*)\s*(,|$)/i.test(text) ? text : `${text}, Origin`
}
