import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  Counter,
  collectDefaultMetrics,
  Gauge,
  Histogram,
  type LabelValues,
  Registry,
} from 'prom-client'

/*
 * The Prometheus metrics of the management server and of the gateway, one registry per
 * process (never prom-client's global one, so tests and an embedded gateway can each have
 * their own). Labels are bounded: route patterns and proxy names, never raw URLs, and
 * status classes (2xx...), never codes.
 */

/** Latency buckets in seconds: a proxy hop is sub-millisecond to seconds. */
const LATENCY_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
]

/** A registry; `processMetrics` adds Node's own (CPU, memory, event loop, GC). */
export function createMetricsRegistry(options: { processMetrics?: boolean } = {}): Registry {
  const registry = new Registry()
  if (options.processMetrics) collectDefaultMetrics({ register: registry, prefix: 'apiops_' })
  return registry
}

/** 200 -> "2xx"; what the metrics label a status with. */
export function statusClass(status: number): string {
  return status >= 100 && status < 600 ? `${Math.floor(status / 100)}xx` : 'other'
}

type ProxyLabel = 'environment' | 'project' | 'proxy'

export interface GatewayMetrics {
  requests: Counter<ProxyLabel | 'status_class'>
  latency: Histogram<ProxyLabel | 'status_class'>
  upstreamErrors: Counter<ProxyLabel | 'kind'>
  configVersion: Gauge<'environment'>
  eventBusLag: Histogram<string>
  trafficDropped: Counter<string>
  trafficQueueLength: Gauge<string>
  mirrored: Counter<ProxyLabel | 'outcome'>
}

/**
 * The gateway's metrics on `registry`. `trafficQueue` is read at each scrape (the traffic
 * recorder's `queued`); drops are counted by passing `trafficDropped.inc` as the recorder's
 * `dropped` observer.
 */
export function gatewayMetrics(registry: Registry, trafficQueue?: () => number): GatewayMetrics {
  const registers = [registry]
  return {
    requests: new Counter({
      name: 'apiops_gateway_requests_total',
      help: 'Requests a gateway answered, per proxy and status class',
      labelNames: ['environment', 'project', 'proxy', 'status_class'],
      registers,
    }),
    latency: new Histogram({
      name: 'apiops_gateway_request_duration_seconds',
      help: 'From arrival to the last byte answered, per proxy and status class',
      labelNames: ['environment', 'project', 'proxy', 'status_class'],
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    upstreamErrors: new Counter({
      name: 'apiops_gateway_upstream_errors_total',
      help: 'Upstream calls that failed, per proxy and kind (refused, reset, timeout, ...)',
      labelNames: ['environment', 'project', 'proxy', 'kind'],
      registers,
    }),
    configVersion: new Gauge({
      name: 'apiops_gateway_config_version',
      help: 'The deployment configuration version this gateway serves',
      labelNames: ['environment'],
      registers,
    }),
    eventBusLag: new Histogram({
      name: 'apiops_event_bus_lag_seconds',
      help: 'From a change published to this node applying it',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    mirrored: new Counter({
      name: 'apiops_gateway_mirror_requests_total',
      help: 'Mirrored copies of requests, per proxy and outcome (sent, failed, skipped)',
      labelNames: ['environment', 'project', 'proxy', 'outcome'],
      registers,
    }),
    trafficDropped: new Counter({
      name: 'apiops_traffic_dropped_total',
      help: 'Traffic records dropped because the queue to the database was full',
      registers,
    }),
    trafficQueueLength: new Gauge({
      name: 'apiops_traffic_queue_length',
      help: 'Traffic records waiting to be written to the database',
      registers,
      collect() {
        if (trafficQueue) this.set(trafficQueue())
      },
    }),
  }
}

/**
 * One proxy's counters, label children made once: the gateway's per-request cost is then
 * a map lookup and two increments, no label hashing.
 */
export function proxyObserver(metrics: GatewayMetrics, labels: LabelValues<ProxyLabel>) {
  const byClass = new Map<
    string,
    {
      count: Counter.Internal
      time: Histogram.Internal<ProxyLabel | 'status_class'>
    }
  >()
  return {
    request(status: number, seconds: number): void {
      const cls = statusClass(status)
      let children = byClass.get(cls)
      if (!children) {
        const all = { ...labels, status_class: cls }
        children = { count: metrics.requests.labels(all), time: metrics.latency.labels(all) }
        byClass.set(cls, children)
      }
      children.count.inc()
      children.time.observe(seconds)
    },
    upstreamError(kind: string): void {
      metrics.upstreamErrors.inc({ ...labels, kind })
    },
  }
}

export interface ManagementMetrics {
  requests: Counter<'method' | 'route' | 'status_class'>
  latency: Histogram<'method' | 'route' | 'status_class'>
}

export function managementMetrics(registry: Registry): ManagementMetrics {
  const registers = [registry]
  const labelNames = ['method', 'route', 'status_class'] as const
  return {
    requests: new Counter({
      name: 'apiops_http_requests_total',
      help: 'Requests the management server answered, per route pattern and status class',
      labelNames,
      registers,
    }),
    latency: new Histogram({
      name: 'apiops_http_request_duration_seconds',
      help: 'Time to answer, per route pattern and status class',
      labelNames,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
  }
}

export interface MetricsListener {
  server: Server
  port: number
  close(): Promise<void>
}

/**
 * A bare node:http listener answering GET /metrics from `registry` and 404 otherwise,
 * without authentication: bind it to an address only the scraper reaches.
 */
export function startMetricsListener(
  registry: Registry,
  options: { port: number; host: string },
): Promise<MetricsListener> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0]
    if (req.method !== 'GET' || (path !== '/metrics' && path !== '/metrics/')) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found\n')
      return
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      () => res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('Error\n'),
    )
  })
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port, options.host, () => {
      server.off('error', reject)
      resolve({
        server,
        port: (server.address() as AddressInfo).port,
        close: () => new Promise((done) => server.close(() => done())),
      })
    })
  })
}
