import type { Pools } from './pools.ts'
import type { Upstream } from './upstreams/index.ts'

/*
 * Request mirroring (routingInfo.mirrorEnabled): a copy of each request goes to every
 * mirror address beside the real one; its answer is read and thrown away. A copy never
 * delays, fails or changes the client's answer: it is sent after the real request, with
 * a bound on copies in flight per node (beyond it a copy is skipped and counted), and
 * its errors are counted, never thrown. A mirrored proxy reads request bodies whole (as
 * bufferRequest does, within the same cap) so that the body can be sent twice.
 */

export type MirrorOutcome = 'sent' | 'failed' | 'skipped'

/** What the node counts per proxy (the apiops_gateway_mirror_requests_total metric). */
export type MirrorObserver = (
  proxy: { projectName: string; name: string },
  outcome: MirrorOutcome,
) => void

export interface MirrorPlan {
  upstreams: readonly Upstream[]
  /** The proxy's connect and read timeouts: a copy waits no longer than the real request. */
  connectTimeoutMs: number
  readTimeoutMs: number
}

export interface MirroredRequest {
  method: string
  /** Path and query as sent to the routing address, after its base path. */
  path: string
  /** Flat name/value pairs, as forwarded. */
  headers: string[]
  body: Buffer | null
}

/** Copies in flight per node before further ones are skipped: a slow mirror costs bounded memory. */
export const MAX_MIRRORED_IN_FLIGHT = 256

export class Mirrors {
  private inFlight = 0

  constructor(
    private readonly pools: Pools,
    private readonly observe: MirrorObserver = () => {},
  ) {}

  send(
    proxy: { projectName: string; name: string; mirror: MirrorPlan | null },
    request: MirroredRequest,
  ): void {
    const plan = proxy.mirror
    if (plan === null) return
    for (const upstream of plan.upstreams) {
      if (this.inFlight >= MAX_MIRRORED_IN_FLIGHT) {
        this.observe(proxy, 'skipped')
        continue
      }
      this.inFlight++
      const path = upstream.basePath + request.path
      this.pools
        .forUpstream(upstream, plan.connectTimeoutMs)
        .request({
          method: request.method as 'GET',
          path: path.charCodeAt(0) === 47 ? path : `/${path}`,
          headers: request.headers,
          body: request.body,
          headersTimeout: plan.readTimeoutMs,
          bodyTimeout: plan.readTimeoutMs,
        })
        .then(async (answer) => {
          await answer.body.dump()
          this.observe(proxy, 'sent')
        })
        .catch(() => this.observe(proxy, 'failed'))
        .finally(() => this.inFlight--)
    }
  }
}
