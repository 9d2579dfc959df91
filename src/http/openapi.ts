import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'

export const OPENAPI_PREFIX = '/apiops/openapi'

/**
 * The OpenAPI 3 document is generated from the same route schemas that validate
 * requests and filter responses, so it cannot drift from what the server does.
 * Register before the routes: the plugin collects them as they are added.
 */
export async function installOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'apiops Management API',
        version: '0.1.0',
        description:
          'Personal API access tokens (POST /apiops/auth/token, or the console), then `Authorization: Bearer <token>` on every call.',
      },
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
          consoleSession: { type: 'apiKey', in: 'cookie', name: 'apiops_session' },
        },
      },
      security: [{ bearerAuth: [] }, { consoleSession: [] }],
    },
  })
  app.get(
    `${OPENAPI_PREFIX}.json`,
    { config: { public: true }, schema: { hide: true } },
    async () => app.swagger(),
  )
  app.get(
    `${OPENAPI_PREFIX}.yaml`,
    { config: { public: true }, schema: { hide: true } },
    async (_request, reply) =>
      reply.type('application/yaml; charset=utf-8').send(app.swagger({ yaml: true })),
  )
  await app.register(swaggerUi, {
    routePrefix: OPENAPI_PREFIX,
    // Its page needs inline styles; the hashes of its scripts are added to the CSP.
    staticCSP: true,
    uiConfig: { deepLinking: true },
  })
}
