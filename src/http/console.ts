import { existsSync } from 'node:fs'
import { join } from 'node:path'
import fastifyStatic from '@fastify/static'
import type { FastifyInstance } from 'fastify'

/**
 * Where `npm run build` writes the console. This file is src/http/console.ts under tests
 * and dist/http/console.js when compiled: both are two levels below the project root.
 */
export const DEFAULT_CONSOLE_DIR = new URL('../../dist/console', import.meta.url).pathname

/**
 * The console is static files; its own paths (/profile, /admin/users, ...) are
 * client-side routes, so any other GET that wants HTML gets index.html.
 */
export async function installConsole(app: FastifyInstance, dir: string): Promise<void> {
  const built = existsSync(join(dir, 'index.html'))
  if (built) {
    await app.register(fastifyStatic, {
      root: dir,
      wildcard: false,
      index: ['index.html'],
      cacheControl: false,
      // Vite fingerprints assets, so they may be cached for good; index.html may not.
      setHeaders: (res, path) =>
        res.setHeader(
          'cache-control',
          path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
        ),
    })
  }
  app.decorate('consoleIndex', built)
}

/** For the not-found handler: should this request get the console's index.html? */
export function wantsConsolePage(method: string, url: string, accept: string | undefined): boolean {
  return (
    (method === 'GET' || method === 'HEAD') &&
    !url.startsWith('/apiops') &&
    (accept ?? '').includes('text/html')
  )
}
