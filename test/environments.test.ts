import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bearer, buildTestApp, dialects, makeUser, type TestContext, tokenFor } from './helpers.ts'

describe.each(dialects())('environments (%s)', (dialect) => {
  let ctx: TestContext
  let admin: string
  let member: string

  beforeAll(async () => {
    ctx = await buildTestApp(dialect)
    admin = (await tokenFor(ctx, (await makeUser(ctx, 'root', ['ROLE_ADMIN'])).id)).token
    member = (await tokenFor(ctx, (await makeUser(ctx, 'dev', ['ROLE_MANAGE_PROXIES'])).id)).token
    for (const name of ['Payments', 'Internal']) {
      await ctx.app.inject({
        method: 'POST',
        url: '/apiops/projects/',
        headers: bearer(admin),
        payload: { name },
      })
    }
    await ctx.app.inject({
      method: 'POST',
      url: '/apiops/projects/Payments/members/',
      headers: bearer(admin),
      payload: { username: 'dev' },
    })
  })
  afterAll(() => ctx.close())

  const call = (method: string, url: string, token: string, payload?: unknown) =>
    ctx.app.inject({
      method: method as 'GET',
      url,
      headers: bearer(token),
      ...(payload ? { payload } : {}),
    })

  it('lets an administrator create environments and name the projects that may use them', async () => {
    const prod = await call('POST', '/apiops/environments/', admin, {
      name: 'prod',
      description: 'Production cluster',
      type: 'PRODUCTION',
      accessUrl: 'https://gw.example.com',
      projects: ['Payments'],
    })
    expect(prod.statusCode).toBe(201)
    expect(prod.json()).toMatchObject({
      name: 'prod',
      type: 'PRODUCTION',
      accessUrl: 'https://gw.example.com',
      projects: ['Payments'],
    })
    const test = await call('POST', '/apiops/environments/', admin, {
      name: 'test',
      type: 'TEST',
      accessUrl: 'http://gw-test.internal:8080',
      projects: ['Payments', 'Internal'],
    })
    expect(test.statusCode).toBe(201)
    expect(test.json().projects).toEqual(['Internal', 'Payments'])
  })

  it('lists all environments for administrators only, naming the role to others', async () => {
    const all = await call('GET', '/apiops/environments/', admin)
    expect(all.json()).toMatchObject({ status: 'SUCCESS', success: true, resultCount: 2 })
    expect(all.json().resultList.map((e: { name: string }) => e.name)).toEqual(['prod', 'test'])
    const denied = await call('GET', '/apiops/environments/', member)
    expect(denied.statusCode).toBe(403)
    expect(denied.json().error_description).toMatch(/ROLE_ADMIN/)
  })

  it("lists a project's environments to its members, without the project lists", async () => {
    const res = await call('GET', '/apiops/environments/Payments', member)
    expect(res.statusCode).toBe(200)
    expect(res.json().resultList.map((e: { name: string }) => e.name)).toEqual(['prod', 'test'])
    expect(res.json().resultList[0].projects).toBeUndefined()
    expect((await call('GET', '/apiops/environments/Payments/', member)).statusCode).toBe(200)
    expect((await call('GET', '/apiops/environments/Internal', member)).statusCode).toBe(404)
    expect((await call('GET', '/apiops/environments/Internal', admin)).json().resultCount).toBe(1)
  })

  it('updates an environment, replacing its project list', async () => {
    const res = await call('PUT', '/apiops/environments/prod/', admin, {
      projects: [],
      description: 'moved',
    })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toMatchObject({ description: 'moved', projects: [], type: 'PRODUCTION' })
    expect((await call('GET', '/apiops/environments/Payments', member)).json().resultCount).toBe(1)
    expect(
      (await call('PUT', '/apiops/environments/nope/', admin, { description: 'x' })).statusCode,
    ).toBe(404)
    expect((await call('PUT', '/apiops/environments/prod/', admin, {})).statusCode).toBe(400)
  })

  it.each([
    [{ name: 'prod', type: 'TEST', accessUrl: 'https://x' }, 409, 'duplicate_name'],
    [{ name: 'x y', type: 'TEST', accessUrl: 'https://x' }, 400, 'validation_failed'],
    [{ name: 'e1', type: 'STAGING', accessUrl: 'https://x' }, 400, 'validation_failed'],
    [{ name: 'e2', type: 'TEST', accessUrl: 'ftp://x' }, 400, 'validation_failed'],
    [
      { name: 'e3', type: 'TEST', accessUrl: 'https://x', projects: ['Ghost'] },
      400,
      'validation_failed',
    ],
    [{ name: 'e4', type: 'TEST', accessUrl: 'https://x', owner: 'me' }, 400, 'validation_failed'],
  ])('refuses %j with %i %s', async (body, status, code) => {
    const res = await call('POST', '/apiops/environments/', admin, body)
    expect(res.statusCode).toBe(status)
    expect(res.json().error).toBe(code)
  })

  it('deletes an environment', async () => {
    expect((await call('DELETE', '/apiops/environments/test/', member)).statusCode).toBe(403)
    expect((await call('DELETE', '/apiops/environments/test/', admin)).statusCode).toBe(200)
    expect((await call('DELETE', '/apiops/environments/test/', admin)).statusCode).toBe(404)
  })
})
