import type { AddressInfo } from 'node:net'
import * as client from 'openid-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  bearer,
  buildTestApp,
  dialects,
  makeUser,
  PASSWORD,
  type TestContext,
  tokenFor,
} from './helpers.ts'

/*
 * The standard endpoints as an unmodified OAuth client library sees them: openid-client
 * (v6, on oauth4webapi) discovers them from the RFC 8414 document, then introspects
 * (RFC 7662) and revokes (RFC 7009) with its own requests and its own response checks.
 */

describe.each(dialects())('openid-client against apiops (%s)', (dialect) => {
  let ctx: TestContext
  let server: URL
  let aliceId: string

  beforeAll(async () => {
    ctx = await buildTestApp(dialect)
    await ctx.app.listen({ port: 0, host: '127.0.0.1' })
    server = new URL(`http://127.0.0.1:${(ctx.app.server.address() as AddressInfo).port}`)
    await makeUser(ctx, 'gateway', ['ROLE_TOKEN_INTROSPECTION'])
    aliceId = (await makeUser(ctx, 'alice', ['ROLE_MANAGE_PROXIES'])).id
  })
  afterAll(() => ctx.close())

  const discover = (auth?: client.ClientAuth) =>
    client.discovery(server, 'gateway', PASSWORD, auth, {
      algorithm: 'oauth2',
      execute: [client.allowInsecureRequests],
    })

  it('discovers the endpoints from /.well-known/oauth-authorization-server', async () => {
    const config = await discover()
    const metadata = config.serverMetadata()
    expect(metadata.issuer).toBe(server.origin)
    expect(metadata.introspection_endpoint).toBe(`${server.origin}/apiops/auth/introspect`)
    expect(metadata.revocation_endpoint).toBe(`${server.origin}/apiops/auth/revoke`)
    expect(metadata.token_endpoint).toBe(`${server.origin}/apiops/auth/token`)
  })

  it('introspects with client_secret_post and client_secret_basic, then revokes, and the token is inactive', async () => {
    const { token } = await tokenFor(ctx, aliceId)
    for (const auth of [client.ClientSecretPost(PASSWORD), client.ClientSecretBasic(PASSWORD)]) {
      const answer = await client.tokenIntrospection(await discover(auth), token)
      expect(answer).toMatchObject({
        active: true,
        sub: aliceId,
        username: 'alice',
        scope: 'ROLE_MANAGE_PROXIES',
        token_type: 'Bearer',
      })
    }
    const config = await discover()
    await client.tokenRevocation(config, token, { token_type_hint: 'access_token' })
    expect(await client.tokenIntrospection(config, token)).toEqual({ active: false })
    const me = await fetch(new URL('/apiops/me/', server), { headers: bearer(token) })
    expect(me.status).toBe(401)
  })

  it('gets a token from the token endpoint with the same client configuration', async () => {
    const config = await client.discovery(server, 'alice', PASSWORD, undefined, {
      algorithm: 'oauth2',
      execute: [client.allowInsecureRequests],
    })
    const grant = await client.clientCredentialsGrant(config)
    expect(grant.token_type).toBe('bearer')
    const answer = await client.tokenIntrospection(await discover(), grant.access_token)
    expect(answer).toMatchObject({ active: true, username: 'alice' })
    expect(answer.exp).toBe((answer.iat as number) + 3600)
  })

  it('reports the refusal of a caller without the role as the library’s error', async () => {
    await makeUser(ctx, 'nobody', [])
    const config = await client.discovery(server, 'nobody', PASSWORD, undefined, {
      algorithm: 'oauth2',
      execute: [client.allowInsecureRequests],
    })
    const { token } = await tokenFor(ctx, aliceId)
    await expect(client.tokenIntrospection(config, token)).rejects.toMatchObject({ status: 403 })
  })
})
