import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'

/**
 * The app a route plugin is given, with the TypeBox type provider, so each route can be
 * registered by its own small function and still have its schema typed.
 */
export type RouteApp = Parameters<FastifyPluginAsyncTypebox>[0]
