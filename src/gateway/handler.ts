import type { IncomingMessage, ServerResponse } from 'node:http'
import { defaultSettings } from '../resources/proxies/settings/settings.model.ts'
import { readBody } from './buffering.ts'
import { corsOnAnswer, PREFLIGHT_VARY, preflight, rawHeader } from './cors.ts'
import type { EndpointHit } from './endpoints.ts'
import { compileTemplate, type ErrorTemplate, type FaultCode, sendFault } from './faults.ts'
import { Exchange, type ExchangeEnd } from './forward.ts'
import type { Mirrors } from './mirror.ts'
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
  readonly mirrors: Mirrors
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

/** What the header loop found besides the headers to forward; one object, reused (handling is synchronous). */
const seen = {
  host: undefined as string | undefined,
  forwardedFor: undefined as string | undefined,
  hasBody: false,
  setByFront: 0,
}

/** Fills `headers` with what goes upstream, and `seen` with what the gateway needs. */
function collectHeaders(raw: readonly string[], headers: string[]): void {
  seen.host = undefined
  seen.forwardedFor = undefined
  seen.hasBody = false
  seen.setByFront = 0
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string
    const value = raw[i + 1] as string
    const kind = classify(name)
    if (kind === KEEP) {
      headers.push(name, value)
      continue
    }
    if (kind === HOST) seen.host = value
    else if (kind === XFF)
      seen.forwardedFor = seen.forwardedFor === undefined ? value : `${seen.forwardedFor}, ${value}`
    else if (kind === CHUNKED) seen.hasBody = true
    else if (kind !== DROP) {
      // Set by a load balancer in front: passed on as it is.
      if (kind === XF_HOST || kind === XF_PROTO) seen.setByFront |= kind === XF_HOST ? 1 : 2
      else if (value !== '0') seen.hasBody = true
      headers.push(name, value)
    }
  }
}

const badPath = (path: string) =>
  path.charCodeAt(0) !== 47 ||
  ((path.includes('.') || path.includes('%')) && DOT_SEGMENT.test(path))

function hostnameOf(host: string): string {
  const colon = host.lastIndexOf(':')
  return (colon > host.lastIndexOf(']') ? host.slice(0, colon) : host).toLowerCase()
}

export class GatewayHandler {
  readonly handle = (req: IncomingMessage, res: ServerResponse): void => this.serve(req, res)
  private readonly ended: ExchangeEnd = (x, status, error) =>
    this.complete(x.req, x.start, x.proxy, x.endpoint, status, error, x)

  constructor(private readonly state: HandlerState) {}

  private complete(
    req: IncomingMessage,
    start: number,
    proxy: LiveProxy | null,
    endpoint: string | null,
    status: number,
    error: string | null,
    exchange: Exchange | null,
  ): void {
    const hook = this.state.onCompleted
    if (hook === null) return
    const now = performance.now()
    const record: CompletedRequest = {
      time: Date.now() - (now - start),
      environment: this.state.table.environmentName,
      proxy: proxy?.name ?? null,
      live: proxy,
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

  private fault(
    req: IncomingMessage,
    res: ServerResponse,
    start: number,
    proxy: LiveProxy | null,
    code: FaultCode,
    message: string,
    status: number,
  ): void {
    sendFault(res, proxy?.template ?? GATEWAY_TEMPLATE, code, message, status)
    this.complete(req, start, proxy, null, status, code, null)
  }

  private serve(req: IncomingMessage, res: ServerResponse): void {
    const start = performance.now()
    const url = req.url as string
    const q = url.indexOf('?')
    const path = q === -1 ? url : url.slice(0, q)
    const raw = req.rawHeaders
    const headers: string[] = []
    collectHeaders(raw, headers)
    if (badPath(path)) {
      const message = 'The request path is not a normalized absolute path'
      this.fault(req, res, start, null, 'BAD_REQUEST', message, 400)
      return
    }
    const table = this.state.table
    const host = seen.host
    const hostname = host !== undefined && table.hasVirtualHosts ? hostnameOf(host) : undefined
    const method = req.method as string
    if (method === 'OPTIONS' && this.preflight(req, res, start, hostname, path)) return
    const entry = table.match(hostname, path, method, raw)
    if (entry === undefined) {
      this.fault(req, res, start, null, 'NOT_FOUND', `No API proxy is deployed at ${path}`, 404)
      return
    }
    const proxy = entry.proxy
    if (proxy.cors !== null) corsOnAnswer(res, proxy.cors, raw)
    const suffix = entry.cut === 0 ? path : path.slice(entry.cut)
    const hit = this.admit(req, res, start, proxy, suffix)
    if (hit === false) return
    const remote = req.socket.remoteAddress ?? ''
    const forwardedFor = seen.forwardedFor
    headers.push(
      'x-forwarded-for',
      forwardedFor === undefined ? remote : `${forwardedFor}, ${remote}`,
    )
    if (host !== undefined && (seen.setByFront & 1) === 0) headers.push('x-forwarded-host', host)
    if ((seen.setByFront & 2) === 0) headers.push('x-forwarded-proto', 'http')
    const rewrite = hit?.rewrite ?? null
    const target = rewrite === null ? suffix : rewrite(suffix)
    const forwardPath =
      q === -1
        ? target
        : target + (rewrite !== null && target.includes('?') ? '&' : '?') + url.slice(q + 1)
    // A mirrored request's body is read whole too: it is sent twice (mirror.ts).
    if (seen.hasBody && (proxy.bufferRequest || proxy.mirror !== null))
      this.buffered(req, res, start, proxy, forwardPath, headers, hit)
    else this.dispatch(req, res, start, proxy, forwardPath, headers, seen.hasBody ? req : null, hit)
  }

  /** bufferRequest: the body is read whole, within the cap, then forwarded. */
  private buffered(
    req: IncomingMessage,
    res: ServerResponse,
    start: number,
    proxy: LiveProxy,
    forwardPath: string,
    headers: string[],
    hit: EndpointHit | null,
  ): void {
    const chunked = req.headers['content-length'] === undefined
    readBody(req, proxy.bufferLimit, (body) => {
      if (body === 'aborted') {
        this.complete(req, start, proxy, hit?.path ?? null, 499, 'CLIENT_CLOSED', null)
      } else if (body === 'too-large') {
        // The rest of the body stays unread: the connection cannot carry another request.
        res.setHeader('connection', 'close')
        const message = `The request body is larger than the ${proxy.bufferLimit} bytes this API proxy buffers`
        this.fault(req, res, start, proxy, 'PAYLOAD_TOO_LARGE', message, 413)
      } else {
        if (chunked) headers.push('content-length', String(body.length))
        this.dispatch(req, res, start, proxy, forwardPath, headers, body, hit)
      }
    })
  }

  /** Picks the upstream address and sends the request there. */
  private dispatch(
    req: IncomingMessage,
    res: ServerResponse,
    start: number,
    proxy: LiveProxy,
    forwardPath: string,
    headers: string[],
    body: IncomingMessage | Buffer | null,
    hit: EndpointHit | null,
  ): void {
    // An endpoint with an absolute backend URL has a target of its own.
    const target = hit?.target ?? proxy
    const chooser = target.chooser
    const hashKey =
      chooser.hashKeySource === null
        ? undefined
        : chooser.hashKeySource === 'url'
          ? (req.url as string)
          : clientAddress(req, proxy)
    const address = chooser.pick(NO_EXCLUSIONS, hashKey)
    if (address === undefined) {
      const message =
        'No backend address is available: every one is failing (circuit breaker open or cooling down)'
      this.fault(req, res, start, proxy, 'SERVICE_UNAVAILABLE', message, 503)
      return
    }
    const upstream = target.upstreams.get(address)
    if (upstream === undefined) {
      chooser.report(address, 'ok')
      this.fault(req, res, start, proxy, 'BAD_GATEWAY', 'No backend address is available', 502)
      return
    }
    new Exchange(
      req,
      res,
      proxy,
      upstream,
      forwardPath,
      headers,
      body,
      this.state.pools,
      this.ended,
      start,
      hit,
      hashKey,
    ).dispatch(performance.now())
    if (proxy.mirror !== null) {
      const method = hit?.method ?? (req.method as string)
      const copy = body instanceof Buffer ? body : null
      this.state.mirrors.send(proxy, { method, path: forwardPath, headers, body: copy })
    }
  }

  /**
   * A CORS preflight (OPTIONS with Origin and Access-Control-Request-Method) to a proxy
   * with CORS on is answered here, routed as the request it announces would be; true
   * when it was. Any other OPTIONS goes on as usual.
   */
  private preflight(
    req: IncomingMessage,
    res: ServerResponse,
    start: number,
    hostname: string | undefined,
    path: string,
  ): boolean {
    const raw = req.rawHeaders
    const origin = rawHeader(raw, 'origin')
    const asked = rawHeader(raw, 'access-control-request-method')
    if (origin === undefined || asked === undefined) return false
    const entry = this.state.table.match(hostname, path, asked.toUpperCase(), raw)
    const cors = entry?.proxy.cors
    if (entry === undefined || cors === null || cors === undefined) return false
    const answer = preflight(cors, origin, asked, rawHeader(raw, 'access-control-request-headers'))
    if ('refused' in answer) {
      res.setHeader('vary', PREFLIGHT_VARY)
      this.fault(req, res, start, entry.proxy, 'CORS_REJECTED', answer.refused, 403)
      return true
    }
    res.writeHead(200, answer.headers)
    res.end()
    this.complete(req, start, entry.proxy, null, 200, null, null)
    return true
  }

  /**
   * Answers what the proxy answers without its upstream (maintenance, an endpoint it
   * does not declare or has disabled, routing off): false when it did; else the
   * matched endpoint, or null for a reverse proxy.
   */
  private admit(
    req: IncomingMessage,
    res: ServerResponse,
    start: number,
    proxy: LiveProxy,
    suffix: string,
  ): EndpointHit | null | false {
    if (proxy.maintenance !== null) {
      const m = proxy.maintenance
      res.writeHead(m.status, {
        'content-type': m.contentType,
        'content-length': Buffer.byteLength(m.body),
      })
      res.end(m.body)
      this.complete(req, start, proxy, null, m.status, 'MAINTENANCE', null)
      return false
    }
    let endpoint: EndpointHit | null = null
    if (proxy.endpoints !== null) {
      const method = req.method as string
      const hit = proxy.endpoints.match(method, suffix)
      if (hit === undefined || !hit.active) {
        const why = hit ? 'is disabled' : 'is not an endpoint of this API'
        this.fault(req, res, start, proxy, 'NOT_FOUND', `${method} ${suffix || '/'} ${why}`, 404)
        return false
      }
      endpoint = hit
    }
    if (!proxy.routingEnabled) {
      const message = 'Routing to the backend is disabled for this API proxy'
      this.fault(req, res, start, proxy, 'ROUTING_DISABLED', message, 503)
      return false
    }
    return endpoint
  }
}

const NO_EXCLUSIONS: ReadonlySet<string> = new Set()
