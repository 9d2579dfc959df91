import { buildApp } from '../../src/app.ts'
import { systemClock } from '../../src/clock.ts'
import { createLocalBus } from '../../src/cluster/events.ts'
import { DEFAULT_CONSOLE_DIR } from '../../src/http/console.ts'
import { NEVER_EXPIRES } from '../../src/identity/tokens/expiry.ts'
import { issueToken } from '../../src/identity/tokens/tokens.service.ts'
import type { Role } from '../../src/identity/users/roles.ts'
import { createUser } from '../../src/identity/users/users.service.ts'
import { buildKeyRing } from '../../src/keys.ts'
import { freshStore, PASSWORD, testConfig } from '../helpers.ts'

/**
 * A real server for the browser: the app as `apiops serve` builds it, over a fresh
 * in-memory SQLite database, on the real clock, listening on a free loopback port,
 * serving the built console. `env` adds settings (APIOPS_...) to the test's own.
 */
export async function startServer(env: Record<string, string> = {}) {
  const config = testConfig(env)
  const store = await freshStore('sqlite')
  const keys = buildKeyRing(config.secretKey as Buffer, config.previousSecretKeys)
  const events = createLocalBus()
  const app = await buildApp({
    config,
    store,
    clock: systemClock,
    events,
    keys,
    consoleDir: DEFAULT_CONSOLE_DIR,
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address()
  if (!address || typeof address === 'string') throw new Error('no TCP address')
  const url = `http://127.0.0.1:${address.port}`
  const services = app.services

  return {
    url,
    services,
    /** The status the token endpoint answers these credentials with, sent as curl would. */
    async tokenEndpointStatus(username: string, password: string): Promise<number> {
      const r = await fetch(`${url}/apiops/auth/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'user-agent': 'curl/8.5.0',
        },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: username,
          client_secret: password,
        }),
      })
      await r.arrayBuffer()
      return r.status
    },
    async user(username: string, roles: Role[] = [], password = PASSWORD) {
      return createUser(services, { username, password, roles })
    },
    /** A token made the way the CLI makes one. */
    async cliToken(userId: string, name: string, expiresAt: Date | null = null) {
      return issueToken(services, {
        userId,
        name,
        source: 'cli',
        expiresAt: expiresAt ?? NEVER_EXPIRES,
      })
    },
    /** A token from the seed's endpoint, as a pipeline gets one. */
    async apiToken(username: string, password = PASSWORD): Promise<string> {
      const response = await fetch(`${url}/apiops/auth/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: username,
          client_secret: password,
        }),
      })
      if (response.status !== 200) throw new Error(`token endpoint: ${response.status}`)
      return ((await response.json()) as { access_token: string }).access_token
    },
    /** GET /apiops/test/hello/x with a token: 200 while it is good, 401 once it is not. */
    async hello(token: string): Promise<number> {
      const response = await fetch(`${url}/apiops/test/hello/x`, {
        headers: { authorization: `Bearer ${token}` },
      })
      await response.arrayBuffer()
      return response.status
    },
    async close() {
      await app.close()
      await store.drop()
    },
  }
}

export type TestServer = Awaited<ReturnType<typeof startServer>>
export { PASSWORD }
