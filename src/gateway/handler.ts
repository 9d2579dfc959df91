import type { IncomingMessage, ServerResponse } from 'node:http'
import { defaultSettings } from '../resources/proxies/settings/settings.model.ts'
import { compileTemplate, type ErrorTemplate, type FaultCode, sendFault } from './faults.ts'
import { Exchange } from './forward.ts'
import type { Pools } from './pools.ts'
import type { LiveProxy, RoutingTable } from './table.ts'
import type { CompletedRequest, TrafficHook } from './traffic-hook.ts'

/*
 * The hot path: route, answer locally (no route, maintenance, routing disabled, bad
 * path) or forward. Synchronous up to the dispatch; no logging, no per-request
 * closures beyond the exchange's two.
 */

/** The template for answers no proxy owns (no route matched): the documented default JSON. */
const GATEWAY_TEMPLATE: ErrorTemplate = compileTemplate(defaultSettings(), false)

export interface HandlerState {
  /** The table in force; replaced whole on reload. */
  table: RoutingTable
  readonly pools: Pools
  readonly onCompleted: TrafficHook | null
}

// What the header loop does with a request header: keep it, drop it, or note it.
const KEEP = 0
const DROP = 1
const HOST = 2
const XFF = 3
const CHUNKED = 4
const XF_HOST = 5
const XF_PROTO = 6
const LENGTH = 7

const NOTED: Record<string, number> = {
  te: DROP,
  trailer: DROP,
  upgrade: DROP,
  connection: DROP,
  'keep-alive': DROP,
  'proxy-connection': DROP,
  'proxy-authorization': DROP,
  host: HOST,
  'x-forwarded-for': XFF,
  'transfer-encoding': CHUNKED,
  'x-forwarded-host': XF_HOST,
  'x-forwarded-proto': XF_PROTO,
  'content-length': LENGTH,
}

// Only names of these lengths can be noted: others are kept without lower-casing.
function classify(name: string): number {
  switch (name.length) {
    case 2:
    case 4:
    case 7:
    case 10:
    case 14:
    case 15:
    case 16:
    case 17:
    case 19:
      return NOTED[name.toLowerCase()] ?? KEEP
    default:
      return KEEP
  }
}

const XFF_ORDER: Record<string, number> = { FIRST: 0, SECOND: 1, THIRD: 2, FOURTH: 3, FIFTH: 4 }

function clientAddress(req: IncomingMessage, proxy: LiveProxy | null): string {
  const socketAddress = req.socket.remoteAddress ?? ''
  const header = proxy?.clientIpHeader
  if (!header) return socketAddress
  const raw = req.rawHeaders
  for (let i = 0; i < raw.length; i += 2) {
    if ((raw[i] as string).toLowerCase() !== header.name) continue
    const parts = (raw[i + 1] as string).split(',')
    const at = header.order === 'LAST' ? parts.length - 1 : (XFF_ORDER[header.order] ?? 0)
    return parts[at]?.trim() || socketAddress
  }
  return socketAddress
}

// A `.` or `..` segment could walk out of the upstream's base path.
const DOT_SEGMENT = /\/\.\.?(?:\/|$)|%2e/i

export function createHandler(state: HandlerState) {
  const complete = (
    req: IncomingMessage,
    start: number,
    proxy: LiveProxy | null,
    endpoint: string | null,
    status: number,
    error: string | null,
    exchange: Exchange | null,
  ) => {
    const hook = state.onCompleted
    if (hook === null) return
    const now = performance.now()
    const record: CompletedRequest = {
      time: Date.now() - (now - start),
      environment: state.table.environmentName,
      proxy: proxy?.name ?? null,
      endpoint,
      method: req.method ?? '',
      status,
      totalMs: now - start,
      upstreamMs: exchange && exchange.headersAt > 0 ? exchange.headersAt - exchange.sentAt : null,
      bytesIn: Number(req.headers['content-length'] ?? 0) || 0,
      bytesOut: exchange?.bytesOut ?? 0,
      clientAddress: clientAddress(req, proxy),
      upstreamAddress: exchange?.upstream.origin ?? null,
      error,
    }
    try {
      hook(record)
    } catch {
      // A recorder's fault never reaches the client.
    }
  }

  const fault = (
    req: IncomingMessage,
    res: ServerResponse,
    start: number,
    proxy: LiveProxy | null,
    code: FaultCode,
    message: string,
    status: number,
  ) => {
    sendFault(res, proxy?.template ?? GATEWAY_TEMPLATE, code, message, status)
    complete(req, start, proxy, null, status, code, null)
  }

  return function handle(req: IncomingMessage, res: ServerResponse): void {
    const start = performance.now()
    const url = req.url as string
    const q = url.indexOf('?')
    const path = q === -1 ? url : url.slice(0, q)
    const method = req.method as string
    const raw = req.rawHeaders
    let host: string | undefined
    let forwardedFor: string | undefined
    let hasBody = false
    let forwardedHostOrProto = 0
    const headers: string[] = []
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i] as string
      const value = raw[i + 1] as string
      const kind = classify(name)
      if (kind === KEEP) {
        headers.push(name, value)
        continue
      }
      if (kind === HOST) host = value
      else if (kind === XFF)
        forwardedFor = forwardedFor === undefined ? value : `${forwardedFor}, ${value}`
      else if (kind === CHUNKED) hasBody = true
      else if (kind !== DROP) {
        // Set by a load balancer in front: passed on as it is.
        if (kind === XF_HOST || kind === XF_PROTO) forwardedHostOrProto |= kind === XF_HOST ? 1 : 2
        else if (value !== '0') hasBody = true
        headers.push(name, value)
      }
    }
    if (path.charCodeAt(0) !== 47 || DOT_SEGMENT.test(path)) {
      fault(
        req,
        res,
        start,
        null,
        'BAD_REQUEST',
        'The request path is not a normalized absolute path',
        400,
      )
      return
    }
    const table = state.table
    let hostname: string | undefined
    if (host !== undefined && table.hasVirtualHosts) {
      const colon = host.lastIndexOf(':')
      hostname = (colon > host.lastIndexOf(']') ? host.slice(0, colon) : host).toLowerCase()
    }
    const entry = table.match(hostname, path, method, raw)
    if (entry === undefined) {
      fault(req, res, start, null, 'NOT_FOUND', `No API proxy is deployed at ${path}`, 404)
      return
    }
    const proxy = entry.proxy
    if (proxy.maintenance !== null) {
      const m = proxy.maintenance
      res.writeHead(m.status, {
        'content-type': m.contentType,
        'content-length': Buffer.byteLength(m.body),
      })
      res.end(m.body)
      complete(req, start, proxy, null, m.status, 'MAINTENANCE', null)
      return
    }
    const suffix = entry.cut === 0 ? path : path.slice(entry.cut)
    let endpoint: string | null = null
    if (proxy.endpoints !== null) {
      const hit = proxy.endpoints.match(method, suffix)
      if (hit === undefined || !hit.active) {
        const why = hit ? 'is disabled' : 'is not an endpoint of this API'
        fault(req, res, start, proxy, 'NOT_FOUND', `${method} ${suffix || '/'} ${why}`, 404)
        return
      }
      endpoint = hit.path
    }
    if (!proxy.routingEnabled) {
      fault(
        req,
        res,
        start,
        proxy,
        'ROUTING_DISABLED',
        'Routing to the backend is disabled for this API proxy',
        503,
      )
      return
    }
    const address = proxy.chooser.pick(NO_EXCLUSIONS)
    const upstream = address === undefined ? undefined : proxy.upstreams.get(address)
    if (upstream === undefined) {
      fault(req, res, start, proxy, 'BAD_GATEWAY', 'No backend address is available', 502)
      return
    }
    const remote = req.socket.remoteAddress ?? ''
    headers.push(
      'x-forwarded-for',
      forwardedFor === undefined ? remote : `${forwardedFor}, ${remote}`,
    )
    if (host !== undefined && (forwardedHostOrProto & 1) === 0)
      headers.push('x-forwarded-host', host)
    if ((forwardedHostOrProto & 2) === 0) headers.push('x-forwarded-proto', 'http')
    const forwardPath = q === -1 ? suffix : suffix + url.slice(q)
    const exchange = new Exchange(
      req,
      res,
      proxy,
      upstream,
      forwardPath,
      headers,
      hasBody,
      state.pools,
      (x, status, error) => complete(req, start, proxy, endpoint, status, error, x),
    )
    exchange.dispatch(start)
  }
}

const NO_EXCLUSIONS: ReadonlySet<string> = new Set()
