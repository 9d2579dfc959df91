import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply } from 'fastify'
import { type Kysely, sql } from 'kysely'
import { Type } from 'typebox'
import type { Database } from '../db/schema.ts'
import { isDatabaseUnavailable } from '../db/unavailable.ts'
import { errors } from '../errors.ts'
import { errorResponses } from '../http/schemas.ts'

export const HelloParams = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 200 }),
})

/** The documented test endpoints: a public liveness probe and an authenticated echo. */
export const testRoutes: FastifyPluginAsyncTypebox<{ db: Kysely<Database> }> = async (
  app,
  { db },
) => {
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

  // Liveness says the process answers; readiness says it can do its job. A load
  // balancer should route by readiness, so a node that lost its database gets no traffic.
  app.get(
    '/apiops/test/readiness',
    {
      config: { public: true },
      schema: {
        operationId: 'readiness',
        tags: ['test'],
        summary: 'Readiness probe: OK only while the database answers; needs no token',
        security: [],
        response: { 200: Type.String(), ...errorResponses(503) },
      },
    },
    async (_request, reply) => {
      try {
        await sql`select 1`.execute(db)
      } catch (error) {
        throw isDatabaseUnavailable(error) ? errors.serviceUnavailable('The database') : error
      }
      return reply.type('text/plain; charset=utf-8').header('cache-control', 'no-store').send('OK')
    },
  )

  app.get(
    '/apiops/test/hello/:name',
    {
      schema: {
        operationId: 'hello',
        tags: ['test'],
        summary: 'Answers "Hello {name}" to a valid token',
        params: HelloParams,
        response: { 200: Type.String(), ...errorResponses(400, 401) },
      },
    },
    async (request, reply) => sayHello(request.params.name, reply),
  )
}

/** The hello answer; also served by the benchmark's unauthenticated twin route. */
export function sayHello(name: string, reply: FastifyReply): FastifyReply {
  // text/plain plus nosniff: the name is echoed as text and never rendered as markup.
  return reply
    .type('text/plain; charset=utf-8')
    .header('x-content-type-options', 'nosniff')
    .send(`Hello ${name}`)
}
