import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { errorResponses } from '../http/schemas.ts'

/** The documented test endpoints: a public liveness probe and an authenticated echo. */
export const testRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/apiops/test/healthcheck',
    {
      config: { public: true },
      schema: {
        operationId: 'healthcheck',
        tags: ['test'],
        summary: 'Liveness probe; needs no token',
        security: [],
        response: { 200: Type.String() },
      },
    },
    async (_request, reply) => reply.type('text/plain; charset=utf-8').send('OK'),
  )

  app.get(
    '/apiops/test/hello/:name',
    {
      schema: {
        operationId: 'hello',
        tags: ['test'],
        summary: 'Answers "Hello {name}" to a valid token',
        params: Type.Object({ name: Type.String({ minLength: 1, maxLength: 200 }) }),
        response: { 200: Type.String(), ...errorResponses(400, 401) },
      },
    },
    // text/plain plus nosniff: the name is echoed as text and never rendered as markup.
    async (request, reply) =>
      reply
        .type('text/plain; charset=utf-8')
        .header('x-content-type-options', 'nosniff')
        .send(`Hello ${request.params.name}`),
  )
}
