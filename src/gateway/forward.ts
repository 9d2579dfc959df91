import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Dispatcher } from 'undici'
import { sendFault } from './faults.ts'
import type { Pools } from './pools.ts'
import type { LiveProxy, Upstream } from './table.ts'
import type { UpstreamOutcome } from './upstream-chooser.ts'

/*
 * One request forwarded: the request body streams to the upstream as it arrives, the
 * response streams back with backpressure (the upstream is paused while the client is
 * slow), nothing is buffered. The exchange is the undici handler itself, so a request
 * costs one object and the header array.
 */

/** Response headers that belong to one connection, never forwarded (RFC 9110 7.6.1). */
const HOP_BY_HOP = [
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'proxy-authenticate',
]

export type ExchangeEnd = (exchange: Exchange, status: number, error: string | null) => void

type Controller = Dispatcher.DispatchController

// The response carries its exchange, so one shared listener serves every request.
const EXCHANGE = Symbol('exchange')
type Carrier = ServerResponse & { [EXCHANGE]?: Exchange }
function onResponseClose(this: ServerResponse): void {
  ;(this as Carrier)[EXCHANGE]?.clientClosed()
}

export class Exchange implements Dispatcher.DispatchHandler {
  controller: Controller | null = null
  upstream: Upstream
  status = 0
  bytesOut = 0
  /** performance.now() at dispatch and at the upstream's headers. */
  sentAt = 0
  headersAt = 0
  private finished = false
  private excluded: Set<string> | null = null
  private onDrain: (() => void) | null = null

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly proxy: LiveProxy,
    upstream: Upstream,
    private readonly path: string,
    private readonly headers: string[],
    private readonly hasBody: boolean,
    private readonly pools: Pools,
    private readonly end: ExchangeEnd,
    /** performance.now() when the request arrived, and the endpoint it matched: for the traffic record. */
    readonly start: number,
    readonly endpoint: string | null,
  ) {
    this.upstream = upstream
    ;(res as Carrier)[EXCHANGE] = this
    res.on('close', onResponseClose)
  }

  /** The client went away before the answer was complete: stop the upstream call. */
  clientClosed(): void {
    if (this.finished) return
    this.finished = true
    this.controller?.abort(new Error('client closed the connection'))
    this.end(this, 499, 'CLIENT_CLOSED')
  }

  dispatch(now: number): void {
    this.sentAt = now
    const pool = this.pools.get(this.upstream.origin, this.proxy.connectTimeoutMs)
    const path = this.upstream.basePath + this.path
    pool.dispatch(
      {
        path: path.charCodeAt(0) === 47 ? path : `/${path}`,
        method: this.req.method as Dispatcher.HttpMethod,
        headers: this.headers,
        body: this.hasBody ? this.req : null,
        headersTimeout: this.proxy.readTimeoutMs,
        bodyTimeout: this.proxy.readTimeoutMs,
      },
      this,
    )
  }

  onRequestStart(controller: Controller): void {
    this.controller = controller
    if (this.finished) controller.abort(new Error('client closed the connection'))
  }

  onResponseStart(
    _controller: Controller,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
    statusMessage?: string,
  ): void {
    if (statusCode < 200) return
    this.headersAt = performance.now()
    this.status = statusCode
    for (const name of HOP_BY_HOP) if (headers[name] !== undefined) delete headers[name]
    const connection = headers.connection
    if (typeof connection === 'string')
      for (const n of connection.split(',')) delete headers[n.trim().toLowerCase()]
    this.proxy.chooser.report(this.upstream.address, statusCode >= 500 ? 'status-5xx' : 'ok')
    if (this.finished) return
    this.res.writeHead(statusCode, statusMessage || undefined, headers as never)
  }

  onResponseData(controller: Controller, chunk: Buffer): void {
    if (this.finished) return
    this.bytesOut += chunk.length
    if (!this.res.write(chunk)) {
      controller.pause()
      this.onDrain ??= () => this.controller?.resume()
      this.res.once('drain', this.onDrain)
    }
  }

  onResponseEnd(): void {
    if (this.finished) return
    this.finished = true
    this.res.end()
    this.end(this, this.status, null)
  }

  onResponseError(_controller: Controller, error: Error): void {
    if (this.finished) return
    const code = (error as { code?: string }).code
    const timeout = code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT'
    const outcome: UpstreamOutcome = timeout ? 'timeout' : 'connect-error'
    this.proxy.chooser.report(this.upstream.address, outcome)
    if (!this.res.headersSent && outcome === 'connect-error' && this.failover()) return
    this.finished = true
    if (timeout) {
      sendFault(
        this.res,
        this.proxy.template,
        'GATEWAY_TIMEOUT',
        'The backend did not answer in time',
        504,
      )
      this.end(this, 504, 'GATEWAY_TIMEOUT')
    } else {
      sendFault(
        this.res,
        this.proxy.template,
        'BAD_GATEWAY',
        'The backend could not be reached',
        502,
      )
      this.end(this, 502, 'BAD_GATEWAY')
    }
  }

  /**
   * A request without a body that failed to connect is tried on the next address:
   * nothing reached the upstream, so it cannot have acted on it. One with a body is
   * never retried (its body has been read).
   */
  private failover(): boolean {
    if (this.hasBody || this.proxy.upstreams.size < 2) return false
    this.excluded ??= new Set()
    this.excluded.add(this.upstream.address)
    const next = this.proxy.chooser.pick(this.excluded)
    const upstream = next === undefined ? undefined : this.proxy.upstreams.get(next)
    if (upstream === undefined) return false
    this.upstream = upstream
    this.controller = null
    this.dispatch(performance.now())
    return true
  }
}
