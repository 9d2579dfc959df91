import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  bearer,
  buildTestApp,
  dialects,
  form,
  makeUser,
  PASSWORD,
  type TestContext,
  tokenFor,
} from './helpers.ts'

/**
 * The token endpoint's tokens are short-lived, session-like: the token lists leave them
 * out unless asked for by `?source=api`, and each has a name of its own.
 */
describe.each(dialects())('token lists by source (%s)', (dialect) => {
  let ctx: TestContext
  let admin: string
  let alice: string

  beforeAll(async () => {
    ctx = await buildTestApp(dialect)
    const root = await makeUser(ctx, 'root', ['ROLE_ADMIN'])
    admin = (await tokenFor(ctx, root.id, { name: 'admin token' })).token
    const a = await makeUser(ctx, 'alice', ['ROLE_MANAGE_PROXIES'])
    alice = (await tokenFor(ctx, a.id, { name: 'alice cli' })).token
  })
  afterAll(() => ctx.close())

  const endpointToken = async () => {
    const f = form({
      grant_type: 'client_credentials',
      client_id: 'alice',
      client_secret: PASSWORD,
    })
    const res = await ctx.app.inject({ method: 'POST', url: '/apiops/auth/token', ...f })
    expect(res.statusCode, res.body).toBe(200)
    return res.json().access_token as string
  }
  const names = async (url: string, token: string) => {
    const res = await ctx.app.inject({ url, headers: bearer(token) })
    expect(res.statusCode, res.body).toBe(200)
    return res.json().resultList.map((t: { name: string; source: string }) => [t.source, t.name])
  }

  it('names each token from the endpoint apart, even two in one second', async () => {
    await endpointToken()
    await endpointToken()
    const listed = await names('/apiops/me/tokens/?source=api', alice)
    expect(listed).toHaveLength(2)
    const [first, second] = listed.map(([, name]: string[]) => name)
    expect(first).not.toBe(second)
    for (const name of [first, second]) {
      expect(name).toMatch(/^Token endpoint \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC [0-9a-f]{8}$/)
    }
  })

  it('leaves the short-lived tokens out of my list and the admin list by default', async () => {
    const token = await endpointToken()
    expect(await names('/apiops/me/tokens/', alice)).toEqual([['cli', 'alice cli']])
    expect(await names('/apiops/users/alice/tokens/', admin)).toEqual([['cli', 'alice cli']])
    // Even the one in use is left out; /apiops/me/ still says which it is.
    expect(await names('/apiops/me/tokens/', token)).toEqual([['cli', 'alice cli']])
    const me = await ctx.app.inject({ url: '/apiops/me/', headers: bearer(token) })
    expect(me.json().token.source).toBe('api')
    const body = await ctx.app.inject({ url: '/apiops/me/tokens/', headers: bearer(alice) })
    expect(body.json().totalCount).toBe(1)
  })

  it('lists only the short-lived ones with ?source=api, and one other source by its name', async () => {
    const api = await names('/apiops/me/tokens/?source=api', alice)
    expect(api).toHaveLength(3)
    expect(api.every(([source]: string[]) => source === 'api')).toBe(true)
    expect(await names('/apiops/users/alice/tokens/?source=api&size=2', admin)).toHaveLength(2)
    expect(await names('/apiops/me/tokens/?source=cli', alice)).toEqual([['cli', 'alice cli']])
    expect(await names('/apiops/me/tokens/?source=console', alice)).toEqual([])
  })

  it('refuses an unknown source, naming the ones it knows', async () => {
    for (const url of ['/apiops/me/tokens/?source=web', '/apiops/users/alice/tokens/?source=']) {
      const res = await ctx.app.inject({ url, headers: bearer(admin) })
      expect(res.statusCode, url).toBe(400)
      expect(res.json().validation_errors).toEqual([
        {
          field: 'source',
          message: 'must be equal to one of the allowed values: console, api, cli',
        },
      ])
      expect(res.json().error_description).toContain('source')
    }
  })
})
