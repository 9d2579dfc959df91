import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Dispatcher } from 'undici'
import { corsOverUpstream } from './cors.ts'
import type { EndpointHit } from './endpoints.ts'
import { sendFault } from './faults.ts'
import type { Pools } from './pools.ts'
import type { LiveProxy } from './table.ts'
import type { Upstream, UpstreamTarget } from './upstreams/index.ts'
import { mayRetry, type Outcome } from './upstreams/index.ts'

/*
 * One request forwarded: the request body streams to the upstream as it arrives, the
 * response streams back with backpressure (the upstream is paused while the client is
 * slow), nothing is buffered unless the proxy's client route says so (bufferRequest: the
 * handler reads the body first and hands over a Buffer; bufferResponse: the answer is
 * held whole, up to the cap, and sent with its length). The exchange is the undici
 * handler itself, so a request costs one object and the header array.
 *
 * Every address the chooser picks is reported exactly once, with the outcome of its last
 * attempt: same-address retries (the proxy's retryCount) re-send without a new pick, so
 * they are one pick and one report; a failover is a new pick.
 */

/** Response headers that belong to one connection, never forwarded (RFC 9110 7.6.1). */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'proxy-authenticate',
])

/**
 * The response headers to forward, as the flat name/value list writeHead takes: hop-by-hop
 * ones and those the upstream's Connection header names left out. A new list rather than
 * deletes on undici's object: deleting turns it into a slow dictionary for writeHead.
 */
function endToEnd(headers: Record<string, string | string[] | undefined>): string[] {
  const connection = headers.connection
  const listed =
    typeof connection === 'string' && connection !== 'keep-alive' && connection !== 'close'
      ? connection.split(',').map((n) => n.trim().toLowerCase())
      : null
  const out: string[] = []
  for (const name in headers) {
    const value = headers[name]
    if (value === undefined || HOP_BY_HOP.has(name) || listed?.includes(name)) continue
    if (typeof value === 'string') out.push(name, value)
    else for (const v of value) out.push(name, v)
  }
  return out
}

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
  /** The matched endpoint's path, for the traffic record. */
  readonly endpoint: string | null
  /** What is sent upstream: the client's method, or the endpoint's backend method. */
  readonly method: Dispatcher.HttpMethod
  /** The routing addresses, or the matched endpoint's absolute backend URL. */
  private readonly target: UpstreamTarget
  upstream: Upstream
  status = 0
  bytesOut = 0
  /** performance.now() at dispatch and at the upstream's headers. */
  sentAt = 0
  headersAt = 0
  private finished = false
  /** The current pick has not been reported yet. */
  private pending = true
  private retriesLeft: number
  private failoversLeft: number
  private excluded: Set<string> | null = null
  private onDrain: (() => void) | null = null
  /** A buffered answer while it arrives: its chunks, then what writeHead needs. */
  private held: Buffer[] | null = null
  private heldHead:
    | [number, string | undefined, Record<string, string | string[] | undefined>]
    | null = null

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly proxy: LiveProxy,
    upstream: Upstream,
    private readonly path: string,
    private readonly headers: string[],
    /** The client's body: streamed (the request itself), read whole (bufferRequest), or none. */
    private readonly body: IncomingMessage | Buffer | null,
    private readonly pools: Pools,
    private readonly end: ExchangeEnd,
    /** performance.now() when the request arrived: for the traffic record. */
    readonly start: number,
    /** The endpoint it matched (null: a reverse proxy): its path, for the record, and method. */
    hit: EndpointHit | null,
    /** What the chooser hashes (IP_HASH, URL_HASH), passed again on a failover. */
    private readonly hashKey: string | undefined,
  ) {
    this.upstream = upstream
    this.endpoint = hit === null ? null : hit.path
    this.method = (hit?.method ?? req.method) as Dispatcher.HttpMethod
    this.target = hit?.target ?? proxy
    this.retriesLeft = this.target.chooser.policy.sameAddressRetries
    this.failoversLeft = this.target.chooser.policy.failovers
    ;(res as Carrier)[EXCHANGE] = this
    res.on('close', onResponseClose)
  }

  /** The client went away before the answer was complete: stop the upstream call. */
  clientClosed(): void {
    if (this.finished) return
    this.finished = true
    // The upstream did nothing wrong: 'ok' frees its in-flight slot without counting an error.
    this.settle('ok')
    this.controller?.abort(new Error('client closed the connection'))
    this.end(this, 499, 'CLIENT_CLOSED')
  }

  dispatch(now: number): void {
    this.sentAt = now
    const pool = this.pools.forUpstream(this.upstream, this.proxy.connectTimeoutMs)
    const path = this.upstream.basePath + this.path
    pool.dispatch(
      {
        path: path.charCodeAt(0) === 47 ? path : `/${path}`,
        method: this.method,
        headers: this.headers,
        body: this.body,
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
    controller: Controller,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
    statusMessage?: string,
  ): void {
    if (statusCode < 200) return
    this.headersAt = performance.now()
    this.status = statusCode
    this.settle(statusCode >= 500 ? 'status-5xx' : 'ok')
    if (this.finished) return
    if (this.proxy.cors !== null) corsOverUpstream(headers)
    if (this.proxy.bufferResponse) {
      if (Number(headers['content-length']) > this.proxy.bufferLimit) this.tooLarge(controller)
      else {
        this.held = []
        this.heldHead = [statusCode, statusMessage || undefined, headers]
      }
      return
    }
    this.res.writeHead(statusCode, statusMessage || undefined, endToEnd(headers))
  }

  onResponseData(controller: Controller, chunk: Buffer): void {
    if (this.finished) return
    this.bytesOut += chunk.length
    if (this.held !== null) {
      if (this.bytesOut > this.proxy.bufferLimit) this.tooLarge(controller)
      else this.held.push(chunk)
      return
    }
    if (!this.res.write(chunk)) {
      controller.pause()
      this.onDrain ??= () => this.controller?.resume()
      this.res.once('drain', this.onDrain)
    }
  }

  onResponseEnd(): void {
    if (this.finished) return
    this.finished = true
    if (this.held !== null) this.sendHeld()
    else this.res.end()
    this.end(this, this.status, null)
  }

  /** The buffered answer, whole, with its length (a HEAD, 204 or 304 keeps the upstream's headers). */
  private sendHeld(): void {
    const [status, message, headers] = this.heldHead as NonNullable<typeof this.heldHead>
    const body = Buffer.concat(this.held as Buffer[], this.bytesOut)
    this.held = null
    if (this.method !== 'HEAD' && status !== 204 && status !== 304)
      headers['content-length'] = String(body.length)
    this.res.writeHead(status, message, endToEnd(headers))
    this.res.end(body)
  }

  /** A buffered answer over the cap: the upstream call stops and the client gets a 502. */
  private tooLarge(controller: Controller): void {
    this.finished = true
    this.held = null
    controller.abort(new Error('the answer is larger than the gateway buffers'))
    const message = `The backend's answer is larger than the ${this.proxy.bufferLimit} bytes the gateway buffers`
    sendFault(this.res, this.proxy.template, 'BAD_GATEWAY', message, 502)
    this.end(this, 502, 'RESPONSE_TOO_LARGE')
  }

  onResponseError(_controller: Controller, error: Error): void {
    if (this.finished) return
    const code = (error as { code?: string }).code
    const timeout = code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT'
    const outcome: Outcome = timeout ? 'timeout' : 'connect-error'
    // After the upstream's headers (pending is false) an error cuts the stream: no retry.
    if (this.pending && !this.res.headersSent && this.retry(outcome)) return
    this.settle(outcome)
    this.finished = true
    // A buffered answer cut mid-body has sent nothing yet: it becomes a clean fault.
    this.held = null
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

  private settle(outcome: Outcome): void {
    if (!this.pending) return
    this.pending = false
    this.target.chooser.report(this.upstream.address, outcome)
  }

  /**
   * Sends the request again after a failed attempt: to the same address while the
   * proxy's retryCount allows, then to another one (failoverRetryCount). A request the
   * upstream received (onRequestStart ran: bytes were written) is re-sent only when
   * mayRetry says so, and one whose streamed body was sent never is: it has been read
   * (a buffered body can be sent again).
   */
  private retry(outcome: Outcome): boolean {
    const sent = this.controller !== null
    if (sent && this.body === this.req) return false
    if (!mayRetry(this.method, sent, outcome)) return false
    if (this.retriesLeft > 0) {
      this.retriesLeft--
      this.redispatch()
      return true
    }
    this.settle(outcome)
    if (this.failoversLeft <= 0) return false
    this.failoversLeft--
    this.excluded ??= new Set()
    this.excluded.add(this.upstream.address)
    const next = this.target.chooser.pick(this.excluded, this.hashKey)
    if (next === undefined) return false
    const upstream = this.target.upstreams.get(next)
    if (upstream === undefined) {
      // Cannot happen (the table maps every address it gave the chooser); still reported once.
      this.target.chooser.report(next, 'ok')
      return false
    }
    this.upstream = upstream
    this.pending = true
    this.retriesLeft = this.target.chooser.policy.sameAddressRetries
    this.redispatch()
    return true
  }

  private redispatch(): void {
    this.controller = null
    this.dispatch(performance.now())
  }
}
