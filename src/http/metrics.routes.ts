import type { FastifyInstance } from 'fastify'
import type { Registry } from 'prom-client'
import { Type } from 'typebox'
import { type ManagementMetrics, statusClass } from '../metrics.ts'
import { errorResponses } from './schemas.ts'

/**
 * Counts every answer once, labelled by the route's pattern ("/apiops/projects/:projectName/")
 * so label values stay bounded whatever URLs clients send; unmatched URLs share one label.
 */
export function installMetricsHook(app: FastifyInstance, metrics: ManagementMetrics): void {
  app.addHook('onResponse', (request, reply, done) => {
    const labels = {
      method: request.method,
      route: request.routeOptions.url ?? 'unmatched',
      status_class: statusClass(reply.statusCode),
    }
    metrics.requests.inc(labels)
    metrics.latency.observe(labels, reply.elapsedTime / 1000)
    done()
  })
}

/** GET /apiops/metrics on the public port: administrators only (see docs/metrics.md). */
export async function metricsRoute(app: FastifyInstance, registry: Registry): Promise<void> {
  app.get(
    '/apiops/metrics',
    {
      config: { action: 'administer' },
      schema: {
        operationId: 'metrics',
        tags: ['metrics'],
        summary:
          'Prometheus metrics of this node, text exposition format (ROLE_ADMIN; APIOPS_METRICS_PUBLIC=off removes it)',
        response: { 200: Type.String(), ...errorResponses(401, 403) },
      },
    },
    async (_request, reply) =>
      reply
        .type(registry.contentType)
        .header('cache-control', 'no-store')
        .send(await registry.metrics()),
  )
}
