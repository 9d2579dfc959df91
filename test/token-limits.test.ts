import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Role } from '../src/identity/users/roles.ts'
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
 * Narrower tokens over HTTP: a subset of the owner's roles (live: what the owner loses
 * the token loses, what the owner gains later it does not), some projects, read-only, a
 * client address allowlist (behind a trusted proxy too), and rotation keeping them.
 */

const proxyBody = (name: string) => ({
  apiProxyName: name,
  apiProxyCreationType: 'REVERSE_PROXY',
  clientRoute: { relativePathList: [`/${name}`] },
  routingInfo: { routingAddressList: [{ address: 'https://backend.internal' }] },
})

describe.each(dialects())('narrower tokens (%s)', (dialect) => {
  let ctx: TestContext
  let admin: string
  let session: Record<string, string>
  let n = 0

  /** Alice's console creates a token with these limits; answers the whole response. */
  const create = (limits: Record<string, unknown>) =>
    ctx.app.inject({
      method: 'POST',
      url: '/apiops/me/tokens/',
      headers: session,
      payload: { name: `narrow ${++n}`, expiresAt: null, ...limits },
    })
  const made = async (limits: Record<string, unknown>) => {
    const res = await create(limits)
    expect(res.statusCode, res.body).toBe(201)
    return res.json() as { token: string; id: string; limits: Record<string, unknown> }
  }
  const call = (token: string, method: string, url: string, extra: Record<string, unknown> = {}) =>
    ctx.app.inject({ method: method as 'GET', url, headers: bearer(token), ...extra })
  const setRoles = async (verb: 'grant' | 'take', role: Role) => {
    const res =
      verb === 'grant'
        ? await call(admin, 'POST', '/apiops/users/alice/roles/', { payload: { roles: [role] } })
        : await call(admin, 'DELETE', `/apiops/users/alice/roles/${role}/`)
    expect(res.statusCode, res.body).toBe(200)
  }

  beforeAll(async () => {
    // The first hop (inject's default 127.0.0.1) is a trusted proxy: X-Forwarded-For counts.
    ctx = await buildTestApp(dialect, { env: { APIOPS_TRUST_PROXY: '127.0.0.1' } })
    const root = await makeUser(ctx, 'root', ['ROLE_ADMIN'])
    admin = (await tokenFor(ctx, root.id)).token
    await makeUser(ctx, 'alice', ['ROLE_MANAGE_PROXIES', 'ROLE_DEPLOY_UNDEPLOY_PROXIES'])
    for (const name of ['p1', 'p2', 'p3']) {
      expect(
        (await call(admin, 'POST', '/apiops/projects/', { payload: { name } })).statusCode,
      ).toBe(201)
      if (name === 'p3') continue
      const member = await call(admin, 'POST', `/apiops/projects/${name}/members/`, {
        payload: { username: 'alice' },
      })
      expect(member.statusCode).toBe(201)
    }
    session = (await consoleSession(ctx, 'alice')).headers
  })
  afterAll(() => ctx?.close())

  it('refuses, naming each, a role the owner lacks, a project they are no member of, a bad CIDR', async () => {
    const res = await create({
      roles: ['ROLE_MANAGE_PROXIES', 'ROLE_API_SECURITY'],
      projects: ['p1', 'p3', 'nope'],
      allowFrom: ['10.0.0.0/8', '10.0.0.1/8', 'not-an-address'],
    })
    expect(res.statusCode).toBe(400)
    const body = res.json()
    expect(body.error).toBe('validation_failed')
    expect(body.validation_errors.map((e: { field: string }) => e.field)).toEqual([
      'roles.1',
      'projects.1',
      'projects.2',
      'allowFrom.1',
      'allowFrom.2',
    ])
    expect(body.error_description).toContain("'ROLE_API_SECURITY' is not one of the owner's roles")
    expect(body.error_description).toContain("'p3' is not a project the owner is a member of")
    expect(body.error_description).toContain("'not-an-address'")
    expect(body.error_description).toContain('10.0.0.0/8')
  })

  it('lists each token with its limits, the unnarrowed one with none', async () => {
    const narrow = await made({
      roles: ['ROLE_MANAGE_PROXIES'],
      projects: ['p1'],
      readOnly: true,
      allowFrom: ['2001:DB8::/32', '192.0.2.7'],
    })
    expect(narrow.limits).toEqual({
      roles: ['ROLE_MANAGE_PROXIES'],
      projects: ['p1'],
      readOnly: true,
      allowFrom: ['2001:db8::/32', '192.0.2.7'],
    })
    const plain = await made({})
    const list = (
      await ctx.app.inject({ url: '/apiops/me/tokens/?size=100', headers: session })
    ).json()
    const byId = new Map(list.resultList.map((t: { id: string }) => [t.id, t]))
    expect(byId.get(narrow.id)).toMatchObject({ limits: narrow.limits })
    expect(byId.get(plain.id)).toMatchObject({
      limits: { roles: null, projects: null, readOnly: false, allowFrom: null },
    })
    const adminList = await call(admin, 'GET', '/apiops/users/alice/tokens/?size=100')
    const seen = adminList.json().resultList.find((t: { id: string }) => t.id === narrow.id)
    expect(seen.limits).toEqual(narrow.limits)
    // The audit log says what each token was limited to when it was made.
    await ctx.services.audit.flush()
    const audit = await call(admin, 'GET', '/apiops/audit/?action=token.created&size=100')
    const targets = audit.json().resultList.map((e: { target: string }) => e.target) as string[]
    expect(targets.find((t) => t.startsWith(`tokenId=${narrow.id} `))).toMatch(
      / limits=roles:ROLE_MANAGE_PROXIES;projects:p1;readOnly;allowFrom:2001:db8::\/32\+192\.0\.2\.7$/,
    )
    expect(targets.find((t) => t.startsWith(`tokenId=${plain.id} `))).not.toContain('limits=')
  })

  it('acts with the roles the token carries that the owner still has, no others, live', async () => {
    const { token } = await made({ roles: ['ROLE_MANAGE_PROXIES'] })
    const write = () =>
      call(token, 'POST', '/apiops/projects/p1/apiProxies/url/', {
        payload: proxyBody(`live${++n}`),
      })
    expect((await write()).statusCode).toBe(200)
    // Deleting needs ROLE_DEPLOY_UNDEPLOY_PROXIES too: alice has it, the token does not.
    const del = await call(token, 'DELETE', '/apiops/projects/p1/apiProxies/whatever/')
    expect(del.statusCode).toBe(403)
    expect(del.json().error_description).toContain(
      'requires the ROLE_DEPLOY_UNDEPLOY_PROXIES role, which this token does not carry',
    )
    // Taken from the owner: gone from the token on the next request.
    await setRoles('take', 'ROLE_MANAGE_PROXIES')
    const lost = await write()
    expect(lost.statusCode).toBe(403)
    expect(lost.json().error_description).toContain('ROLE_MANAGE_PROXIES role, which your user')
    // Given back: the token carries it again; a role granted later is never added.
    await setRoles('grant', 'ROLE_MANAGE_PROXIES')
    await setRoles('grant', 'ROLE_API_SECURITY')
    expect((await write()).statusCode).toBe(200)
    const security = await call(token, 'POST', '/apiops/projects/p1/connections/', {
      payload: { name: 'c', type: 'webhook', fullUrl: 'https://hooks.example.com/x' },
    })
    expect(security.statusCode).toBe(403)
    expect(security.json().error_description).toContain('ROLE_API_SECURITY role, which this token')
    await setRoles('take', 'ROLE_API_SECURITY')
  })

  it('answers 403 for a write with a read-only token, and lets it read', async () => {
    const { token } = await made({ readOnly: true })
    expect((await call(token, 'GET', '/apiops/projects/p1/apiProxies/')).statusCode).toBe(200)
    expect((await call(token, 'HEAD', '/apiops/me/')).statusCode).toBe(200)
    for (const [method, url] of [
      ['POST', '/apiops/projects/p1/apiProxies/url/'],
      ['DELETE', '/apiops/projects/p1/apiProxies/x/'],
      ['DELETE', '/apiops/me/tokens/00000000000000000000000000000000/'],
    ] as const) {
      const res = await call(token, method, url, { payload: method === 'POST' ? {} : undefined })
      expect(res.statusCode, `${method} ${url}`).toBe(403)
      expect(res.json().error_description).toContain('This token is read-only')
    }
  })

  it('keeps a project-limited token to its projects: 403 elsewhere, the list shows only its own', async () => {
    const { token } = await made({ projects: ['p1'] })
    expect((await call(token, 'GET', '/apiops/projects/p1/apiProxies/')).statusCode).toBe(200)
    for (const project of ['p2', 'p3', 'missing']) {
      const res = await call(token, 'GET', `/apiops/projects/${project}/apiProxies/`)
      expect(res.statusCode, project).toBe(403)
      expect(res.json().error_description).toBe(
        'This token is limited to other projects (p1); it cannot act in this one.',
      )
    }
    const env = await call(token, 'GET', '/apiops/environments/p2')
    expect(env.statusCode).toBe(403)
    const list = (await call(token, 'GET', '/apiops/projects/')).json()
    expect(list.resultList.map((p: { name: string }) => p.name)).toEqual(['p1'])
  })

  it('limits an administrator token by project too, on administration routes in a project', async () => {
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/apiops/me/tokens/',
      headers: (await consoleSession(ctx, 'root')).headers,
      payload: { name: 'admin p1', expiresAt: null, projects: ['p1'], roles: ['ROLE_ADMIN'] },
    })
    expect(res.statusCode, res.body).toBe(201)
    const token = res.json().token as string
    expect((await call(token, 'GET', '/apiops/projects/p3/members/')).statusCode).toBe(403)
    expect((await call(token, 'DELETE', '/apiops/projects/p3/')).statusCode).toBe(403)
    expect((await call(token, 'GET', '/apiops/projects/p1/members/')).statusCode).toBe(200)
  })

  it('accepts a token only from its allowFrom addresses, behind the trusted proxy too', async () => {
    const { token } = await made({ allowFrom: ['10.0.0.0/8', '2001:db8::/32'] })
    const from = (remoteAddress: string, headers: Record<string, string> = {}) =>
      ctx.app.inject({
        url: '/apiops/me/',
        remoteAddress,
        headers: { ...bearer(token), ...headers },
      })
    expect((await from('10.1.2.3')).statusCode).toBe(200)
    expect((await from('::ffff:10.9.9.9')).statusCode).toBe(200)
    expect((await from('2001:db8::5')).statusCode).toBe(200)
    const refused = await from('192.168.1.1')
    expect(refused.statusCode).toBe(401)
    expect(refused.headers['www-authenticate']).toContain('invalid_token')
    expect(refused.json().error_description).toBe(
      'This token may be used only from 10.0.0.0/8, 2001:db8::/32 (its allowFrom rule); this call came from 192.168.1.1.',
    )
    // Through the trusted proxy, the forwarded client address is the one judged...
    expect((await from('127.0.0.1', { 'x-forwarded-for': '10.4.4.4' })).statusCode).toBe(200)
    expect((await from('127.0.0.1', { 'x-forwarded-for': '203.0.113.9' })).statusCode).toBe(401)
    // ...and an untrusted hop cannot claim an allowed address.
    expect((await from('203.0.113.9', { 'x-forwarded-for': '10.4.4.4' })).statusCode).toBe(401)
  })

  it('rotates a narrowed token into an equally narrow one', async () => {
    const old = await made({ readOnly: true, projects: ['p2'] })
    const res = await call(old.token, 'POST', `/apiops/me/tokens/${old.id}/rotate/`)
    // A read-only token may not rotate itself (a POST); the console session may.
    expect(res.statusCode).toBe(403)
    const rotated = await ctx.app.inject({
      method: 'POST',
      url: `/apiops/me/tokens/${old.id}/rotate/`,
      headers: session,
    })
    expect(rotated.statusCode, rotated.body).toBe(201)
    expect(rotated.json().limits).toEqual(old.limits)
    const fresh = rotated.json().token as string
    expect((await call(fresh, 'GET', '/apiops/projects/p1/apiProxies/')).statusCode).toBe(403)
    expect((await call(fresh, 'POST', '/apiops/projects/p2/apiProxies/url/')).statusCode).toBe(403)
  })
})
