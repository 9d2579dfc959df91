import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConfigError } from '../src/config.ts'
import {
  createMetricsRegistry,
  gatewayMetrics,
  proxyObserver,
  startMetricsListener,
} from '../src/metrics.ts'
import { TrafficRecorder } from '../src/traffic/traffic.recorder.ts'
import { trafficRecord } from './fixtures/traffic.ts'
import {
  bearer,
  buildTestApp,
  dialects,
  FrozenClock,
  freshStore,
  makeUser,
  type TestContext,
  testConfig,
  tokenFor,
} from './helpers.ts'

/*
 * Prometheus metrics: on the public port for administrators (or not at all), and on a
 * bare listener the gateway can reuse; labels are route patterns, never raw URLs.
 */

describe.each(dialects())('GET /apiops/metrics (%s)', (dialect) => {
  let ctx: TestContext
  let admin: string
  let plain: string

  beforeAll(async () => {
    ctx = await buildTestApp(dialect)
    admin = (await tokenFor(ctx, (await makeUser(ctx, 'root', ['ROLE_ADMIN'])).id)).token
    plain = (await tokenFor(ctx, (await makeUser(ctx, 'plain', [])).id)).token
  })
  afterAll(async () => ctx?.close())

  it('answers administrators only', async () => {
    expect((await ctx.app.inject({ url: '/apiops/metrics' })).statusCode).toBe(401)
    const refused = await ctx.app.inject({ url: '/apiops/metrics', headers: bearer(plain) })
    expect(refused.statusCode).toBe(403)
    expect(refused.json().error_description).toContain('ROLE_ADMIN')
  })

  it('counts requests by route pattern and status class, never by raw URL', async () => {
    for (const name of ['secret-one', 'secret-two']) {
      const res = await ctx.app.inject({
        url: `/apiops/projects/${name}/members/`,
        headers: bearer(admin),
      })
      expect(res.statusCode).toBe(404)
    }
    await ctx.app.inject({ url: '/no/such/path/123', headers: bearer(admin) })
    const res = await ctx.app.inject({ url: '/apiops/metrics', headers: bearer(admin) })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toContain('text/plain; version=0.0.4')
    expect(res.headers['cache-control']).toBe('no-store')
    const text = res.body
    expect(text).toContain('# TYPE apiops_http_requests_total counter')
    expect(text).toContain(
      'apiops_http_requests_total{method="GET",route="/apiops/projects/:projectName/members/",status_class="4xx"} 2',
    )
    expect(text).toContain('route="unmatched"')
    expect(text).toContain('# TYPE apiops_http_request_duration_seconds histogram')
    expect(text).not.toContain('secret-one')
    expect(text).not.toContain('/no/such/path')
  })
})

describe('metrics configuration', () => {
  it('APIOPS_METRICS_PUBLIC=off removes the route from the public port', async () => {
    const ctx = await buildTestApp('sqlite', { env: { APIOPS_METRICS_PUBLIC: 'off' } })
    try {
      const admin = (await tokenFor(ctx, (await makeUser(ctx, 'root', ['ROLE_ADMIN'])).id)).token
      const res = await ctx.app.inject({ url: '/apiops/metrics', headers: bearer(admin) })
      expect(res.statusCode).toBe(404)
      expect(ctx.app.routeTable.some((r) => r.url === '/apiops/metrics')).toBe(false)
    } finally {
      await ctx.close()
    }
  })

  it('defaults: no separate listener, admins on the public port, 30 days of traffic', () => {
    const config = testConfig()
    expect(config.metricsPort).toBe(0)
    expect(config.metricsHost).toBe('127.0.0.1')
    expect(config.metricsPublic).toBe('admin')
    expect(config.trafficRetentionDays).toBe(30)
  })

  it.each([
    [{ APIOPS_METRICS_PORT: 'nine' }, 'APIOPS_METRICS_PORT'],
    [{ APIOPS_METRICS_PORT: '70000' }, 'APIOPS_METRICS_PORT'],
    [{ APIOPS_METRICS_PUBLIC: 'yes' }, 'APIOPS_METRICS_PUBLIC'],
    [{ APIOPS_TRAFFIC_RETENTION_DAYS: '0' }, 'APIOPS_TRAFFIC_RETENTION_DAYS'],
  ])('refuses %o', (env, name) => {
    expect(() => testConfig(env)).toThrow(ConfigError)
    expect(() => testConfig(env)).toThrow(name)
  })
})

describe('the bare metrics listener (what a gateway serves)', () => {
  it('serves the gateway metrics over HTTP, and nothing else', async () => {
    const store = await freshStore('sqlite')
    const registry = createMetricsRegistry()
    let recorder: TrafficRecorder | undefined
    const metrics = gatewayMetrics(registry, () => recorder?.queued ?? 0)
    recorder = new TrafficRecorder(
      store.db,
      new FrozenClock(),
      { maxQueue: 2, flushEveryMs: 3_600_000 },
      { dropped: (n) => metrics.trafficDropped.inc(n) },
    )
    const listener = await startMetricsListener(registry, { port: 0, host: '127.0.0.1' })
    try {
      const orders = proxyObserver(metrics, {
        environment: 'production',
        project: 'P',
        proxy: 'orders',
      })
      orders.request(200, 0.002)
      orders.request(201, 0.004)
      orders.request(502, 0.001)
      orders.upstreamError('refused')
      metrics.configVersion.set({ environment: 'production' }, 7)
      metrics.eventBusLag.observe(0.003)
      for (let i = 0; i < 3; i++) recorder.record(trafficRecord(i))
      const res = await fetch(`http://127.0.0.1:${listener.port}/metrics`)
      expect(res.status).toBe(200)
      expect(res.headers.get('content-type')).toContain('text/plain; version=0.0.4')
      const text = await res.text()
      const labels = 'environment="production",project="P",proxy="orders"'
      expect(text).toContain(`apiops_gateway_requests_total{${labels},status_class="2xx"} 2`)
      expect(text).toContain(`apiops_gateway_requests_total{${labels},status_class="5xx"} 1`)
      expect(text).toContain(
        `apiops_gateway_request_duration_seconds_bucket{le="0.0025",${labels},status_class="2xx"} 1`,
      )
      expect(text).toContain(`apiops_gateway_upstream_errors_total{${labels},kind="refused"} 1`)
      expect(text).toContain('apiops_gateway_config_version{environment="production"} 7')
      expect(text).toContain('apiops_event_bus_lag_seconds_count 1')
      expect(text).toContain('apiops_traffic_dropped_total 1')
      expect(text).toContain('apiops_traffic_queue_length 2')
      expect((await fetch(`http://127.0.0.1:${listener.port}/other`)).status).toBe(404)
      const post = await fetch(`http://127.0.0.1:${listener.port}/metrics`, { method: 'POST' })
      expect(post.status).toBe(404)
    } finally {
      await listener.close()
      await recorder.close()
      await store.drop()
    }
  })
})
