import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  bearer,
  buildTestApp,
  consoleSession,
  dialects,
  makeUser,
  type TestContext,
  tokenFor,
} from './helpers.ts'

/**
 * GET /apiops/me/can-i answers what the request would be answered, and why, without
 * doing it: each answer here is checked against the real request's status too.
 */

const DEPLOY = '/apiops/projects/p1/apiProxies/x/environments/prod/'
const CREATE = '/apiops/projects/p1/apiProxies/url/'

describe.each(dialects())('can I? (%s)', (dialect) => {
  let ctx: TestContext
  let admin: string
  let session: Record<string, string>
  let n = 0

  const ask = async (
    token: string,
    method: string,
    path: string,
    extra: Record<string, string> = {},
  ) => {
    const query = new URLSearchParams({ method, path, ...extra })
    const res = await ctx.app.inject({ url: `/apiops/me/can-i?${query}`, headers: bearer(token) })
    expect(res.statusCode, res.body).toBe(200)
    return res.json() as { allowed: boolean; reason: string; route: string; status: number | null }
  }
  const made = async (limits: Record<string, unknown>) => {
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/apiops/me/tokens/',
      headers: session,
      payload: { name: `can-i ${++n}`, expiresAt: null, ...limits },
    })
    expect(res.statusCode, res.body).toBe(201)
    return res.json().token as string
  }
  const status = async (token: string, method: string, url: string, payload?: unknown) =>
    (
      await ctx.app.inject({
        method: method as 'GET',
        url,
        headers: bearer(token),
        ...(payload ? { payload } : {}),
      })
    ).statusCode

  beforeAll(async () => {
    ctx = await buildTestApp(dialect)
    admin = (await tokenFor(ctx, (await makeUser(ctx, 'root', ['ROLE_ADMIN'])).id)).token
    await makeUser(ctx, 'bob', ['ROLE_MANAGE_PROXIES'])
    for (const name of ['p1', 'p2', 'p3']) {
      expect(await status(admin, 'POST', '/apiops/projects/', { name })).toBe(201)
      if (name !== 'p3') {
        const added = await status(admin, 'POST', `/apiops/projects/${name}/members/`, {
          username: 'bob',
        })
        expect(added).toBe(201)
      }
    }
    session = (await consoleSession(ctx, 'bob')).headers
  })
  afterAll(() => ctx?.close())

  it('says yes to what the caller may do, naming the route', async () => {
    const token = await made({})
    const answer = await ask(token, 'post', CREATE)
    expect(answer).toMatchObject({
      allowed: true,
      route: 'POST /apiops/projects/:projectName/apiProxies/url/',
      status: null,
    })
    expect(await ask(admin, 'POST', DEPLOY)).toMatchObject({ allowed: true })
  })

  it('names the missing role, as the request would', async () => {
    const token = await made({})
    const answer = await ask(token, 'POST', DEPLOY)
    expect(answer).toMatchObject({ allowed: false, status: 403 })
    expect(answer.reason).toBe(
      'This action requires the ROLE_DEPLOY_UNDEPLOY_PROXIES role, which your user does not have.',
    )
    expect(await status(token, 'POST', DEPLOY)).toBe(403)
    const narrowed = await made({ roles: [] })
    expect((await ask(narrowed, 'POST', CREATE)).reason).toContain(
      'ROLE_MANAGE_PROXIES role, which this token does not carry',
    )
  })

  it('says when the caller is not a member of the project', async () => {
    const token = await made({})
    const answer = await ask(token, 'GET', '/apiops/projects/p3/apiProxies/')
    expect(answer).toMatchObject({ allowed: false, status: 404 })
    expect(answer.reason).toContain("You are not a member of project 'p3'")
    expect(await status(token, 'GET', '/apiops/projects/p3/apiProxies/')).toBe(404)
  })

  it('says when the token is read-only, and lets it read', async () => {
    const token = await made({ readOnly: true })
    const answer = await ask(token, 'POST', CREATE)
    expect(answer).toMatchObject({ allowed: false, status: 403 })
    expect(answer.reason).toContain('This token is read-only')
    expect(await status(token, 'POST', CREATE, {})).toBe(403)
    expect(await ask(token, 'GET', '/apiops/projects/p1/apiProxies/')).toMatchObject({
      allowed: true,
    })
  })

  it('says when the token is limited to other projects', async () => {
    const token = await made({ projects: ['p2'] })
    const answer = await ask(token, 'POST', CREATE)
    expect(answer).toMatchObject({ allowed: false, status: 403 })
    expect(answer.reason).toBe(
      'This token is limited to other projects (p2); it cannot act in this one.',
    )
    expect(await ask(token, 'POST', CREATE.replace('p1', 'p2'))).toMatchObject({ allowed: true })
  })

  it("judges the token's allowFrom rule for the address asked about, or the caller's", async () => {
    const token = await made({ allowFrom: ['127.0.0.0/8'] })
    expect(await ask(token, 'GET', '/apiops/me/')).toMatchObject({ allowed: true })
    const answer = await ask(token, 'GET', '/apiops/me/', { from: '198.51.100.4' })
    expect(answer).toMatchObject({ allowed: false, status: 401 })
    expect(answer.reason).toContain('may be used only from 127.0.0.0/8 (its allowFrom rule)')
    const bad = await ctx.app.inject({
      url: '/apiops/me/can-i?method=GET&path=/apiops/me/&from=nowhere',
      headers: bearer(token),
    })
    expect(bad.statusCode).toBe(400)
    expect(bad.json().error_description).toContain('from must be an IPv4 or IPv6 address')
  })

  it('says "no such route" for a path nothing serves, and yes to a public one', async () => {
    const token = await made({})
    expect(await ask(token, 'GET', '/apiops/nothing/here/')).toEqual({
      allowed: false,
      reason: 'no such route: GET /apiops/nothing/here/',
      route: null,
      action: null,
      status: 404,
    })
    expect(await ask(token, 'PUT', '/apiops/me/')).toMatchObject({ allowed: false, route: null })
    expect(await ask(token, 'GET', '/apiops/test/healthcheck')).toMatchObject({
      allowed: true,
      reason: 'a public route: no credentials needed',
    })
  })

  it('says a token may not create tokens, and a console session may', async () => {
    const token = await made({})
    const answer = await ask(token, 'POST', '/apiops/me/tokens/')
    expect(answer).toMatchObject({ allowed: false, status: 403 })
    expect(answer.reason).toContain('A token cannot create tokens')
    const query = new URLSearchParams({ method: 'POST', path: '/apiops/me/tokens/' })
    const res = await ctx.app.inject({ url: `/apiops/me/can-i?${query}`, headers: session })
    expect(res.json()).toMatchObject({ allowed: true })
  })

  it('prefers a static segment to a parameter, as the router does', async () => {
    const answer = await ask(admin, 'POST', '/apiops/projects/p1/apiProxies/url')
    expect(answer.route).toBe('POST /apiops/projects/:projectName/apiProxies/url/')
  })
})
