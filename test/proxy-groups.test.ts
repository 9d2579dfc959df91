import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  CREATE_EXAMPLES,
  curlBodies,
  jsonBlocks,
  REFERENCE_DIR,
  UPDATE_EXAMPLE,
} from './fixtures/proxy-group-examples.ts'
import { bearer, buildTestApp, dialects, makeUser, type TestContext, tokenFor } from './helpers.ts'

const reference = process.env.APIOPS_REFERENCE_DOCS ?? REFERENCE_DIR

describe.runIf(existsSync(reference))('the example bodies', () => {
  it("are the reference pages' own", () => {
    const page = (name: string) => readFileSync(join(reference, 'crud', name), 'utf8')
    const create = jsonBlocks(page('create-api-proxy-group.md'))
    for (const example of CREATE_EXAMPLES) expect(create).toContainEqual(example)
    expect(curlBodies(page('update-api-proxy-group.md'))).toContainEqual(UPDATE_EXAMPLE)
  })
})

const proxyBody = (name: string, path = `/${name}`) => ({
  apiProxyName: name,
  apiProxyCreationType: 'REVERSE_PROXY',
  clientRoute: { relativePathList: [path] },
  routingInfo: { routingAddressList: [{ address: 'https://backend.internal' }] },
})

describe.each(dialects())('API proxy groups (%s)', (dialect) => {
  let ctx: TestContext
  const token = {} as Record<'admin' | 'grouper' | 'groupsOnly' | 'proxyOps' | 'outsider', string>
  const base = '/apiops/projects/MyProject/apiProxyGroups'

  const call = (method: string, url: string, who: keyof typeof token, payload?: unknown) =>
    ctx.app.inject({
      method: method as 'GET',
      url,
      headers: bearer(token[who]),
      ...(payload === undefined ? {} : { payload: payload as object }),
    })
  const ok = async (method: string, url: string, who: keyof typeof token, payload?: unknown) => {
    const res = await call(method, url, who, payload)
    expect(res.statusCode, `${method} ${url}: ${res.body}`).toBeLessThan(300)
    return res.json()
  }
  const proxyDeployments = async (name: string) =>
    Object.fromEntries(
      (
        (await ok('GET', `/apiops/projects/MyProject/apiProxies/${name}/`, 'admin'))
          .deploymentList as { environmentName: string; deployed: boolean }[]
      ).map((d) => [d.environmentName, d.deployed]),
    )
  const groupEnvironments = async (group: string) =>
    (await ok('GET', `${base}/${group}/environments/`, 'grouper')).resultList as {
      environmentName: string
      deployed: boolean
      redeployRequired: boolean
    }[]
  const members = async (group: string) =>
    ((await ok('GET', `${base}/${group}/`, 'grouper')).apiProxies as { name: string }[]).map(
      (p) => p.name,
    )

  beforeAll(async () => {
    ctx = await buildTestApp(dialect)
    const users = {
      admin: ['ROLE_ADMIN'],
      grouper: ['ROLE_MANAGE_PROXY_GROUPS', 'ROLE_MANAGE_PROXIES', 'ROLE_DEPLOY_UNDEPLOY_PROXIES'],
      groupsOnly: ['ROLE_MANAGE_PROXY_GROUPS'],
      proxyOps: ['ROLE_MANAGE_PROXIES', 'ROLE_DEPLOY_UNDEPLOY_PROXIES'],
      outsider: ['ROLE_MANAGE_PROXY_GROUPS', 'ROLE_MANAGE_PROXIES', 'ROLE_DEPLOY_UNDEPLOY_PROXIES'],
    } as const
    for (const [name, roles] of Object.entries(users)) {
      const user = await makeUser(ctx, name, [...roles])
      token[name as keyof typeof token] = (await tokenFor(ctx, user.id)).token
    }
    await ok('POST', '/apiops/projects/', 'admin', { name: 'MyProject' })
    await ok('POST', '/apiops/projects/', 'admin', { name: 'Other' })
    for (const username of ['grouper', 'groupsOnly', 'proxyOps'])
      await ok('POST', '/apiops/projects/MyProject/members/', 'admin', { username })
    for (const [name, project] of [
      ['production', 'MyProject'],
      ['staging', 'MyProject'],
      ['development', 'MyProject'],
      ['elsewhere', 'Other'],
    ]) {
      await ok('POST', '/apiops/environments/', 'admin', {
        name,
        type: 'TEST',
        accessUrl: `https://${name}.example`,
        projects: [project],
      })
    }
    for (const name of ['PaymentAPI', 'RefundAPI', 'UserAPI'])
      await ok('POST', '/apiops/projects/MyProject/apiProxies/url/', 'admin', proxyBody(name))
    await ok('POST', '/apiops/projects/Other/apiProxies/url/', 'admin', proxyBody('OtherAPI'))
  })
  afterAll(() => ctx.close())

  describe('create, list, read, update', () => {
    it("creates a group from each of the docs' example bodies and lists them", async () => {
      for (const example of CREATE_EXAMPLES) {
        const created = await ok('POST', `${base}/`, 'grouper', example)
        expect(created.success).toBe(true)
        expect(created.apiProxyGroup).toMatchObject({
          name: example.name,
          description: example.description,
          clientRoute: example.clientRoute,
          apiProxies: [],
          revision: 1,
        })
      }
      const list = await ok('GET', `${base}/`, 'grouper')
      expect(list).toMatchObject({ success: true, resultCount: 3 })
      expect(list.resultList.map((g: { name: string }) => g.name)).toEqual([
        'PaymentAPIGroup',
        'RestrictedAPIGroup',
        'VersionedAPIGroup',
      ])
      for (const group of list.resultList) {
        expect(Object.keys(group).sort()).toEqual(['description', 'id', 'name'])
        expect(group.id).toMatch(/^[0-9a-f-]{36}$/)
      }
      const restricted = await ok('GET', `${base}/RestrictedAPIGroup/`, 'grouper')
      expect(restricted.clientRoute.hostList).toEqual([
        'api.example.com',
        'api-staging.example.com',
      ])
    })

    it('fills in the documented defaults and answers without the trailing slash', async () => {
      const created = await ok('POST', base, 'grouper', {
        name: 'Minimal',
        clientRoute: { relativePathList: ['/minimal'] },
      })
      expect(created.apiProxyGroup).toMatchObject({
        description: '',
        clientRoute: {
          relativePathList: ['/minimal'],
          methodList: null,
          hostList: null,
          headerList: null,
          bufferRequest: true,
          bufferResponse: true,
        },
      })
      expect((await call('DELETE', `${base}/Minimal`, 'grouper')).statusCode).toBe(200)
    })

    it.each([
      [{ description: 'x', clientRoute: { relativePathList: ['/a1'] } }, 'name'],
      [{ name: 'NoRoute' }, 'clientRoute'],
      [{ name: 'NoPaths', clientRoute: { relativePathList: [] } }, 'clientRoute.relativePathList'],
      [
        { name: 'EmptyPath', clientRoute: { relativePathList: [''] } },
        'clientRoute.relativePathList.0',
      ],
      [
        { name: 'ShortPath', clientRoute: { relativePathList: ['/'] } },
        'clientRoute.relativePathList.0',
      ],
      [
        { name: 'BadMethod', clientRoute: { relativePathList: ['/ok'], methodList: ['FETCH'] } },
        'clientRoute.methodList.0',
      ],
      [
        {
          name: 'BadHeader',
          clientRoute: { relativePathList: ['/ok'], headerList: [{ name: 'a b', value: 'v' }] },
        },
        'clientRoute.headerList.0.name',
      ],
      [{ name: 'Extra', clientRoute: { relativePathList: ['/ok'] }, colour: 'red' }, 'colour'],
      [{ name: 'has space', clientRoute: { relativePathList: ['/ok'] } }, 'name'],
    ])('refuses %j with a 400 naming %s', async (body, field) => {
      const res = await call('POST', `${base}/`, 'grouper', body)
      expect(res.statusCode, res.body).toBe(400)
      expect(res.json().error).toBe('validation_failed')
      expect(res.json().validation_errors.map((v: { field: string }) => v.field)).toContain(field)
    })

    it('refuses a second group of the same name (409) and unknown or foreign projects (404)', async () => {
      const again = await call('POST', `${base}/`, 'grouper', CREATE_EXAMPLES[0])
      expect(again.statusCode).toBe(409)
      expect(again.json()).toMatchObject({ error: 'duplicate_name' })
      expect(again.json().error_description).toContain("'PaymentAPIGroup'")
      const unknown = await call(
        'POST',
        '/apiops/projects/Nope/apiProxyGroups/',
        'grouper',
        CREATE_EXAMPLES[0],
      )
      expect(unknown.statusCode).toBe(404)
      for (const [method, url] of [
        ['GET', `${base}/`],
        ['POST', `${base}/`],
        ['GET', `${base}/PaymentAPIGroup/`],
      ]) {
        const res = await call(method as string, url as string, 'outsider', CREATE_EXAMPLES[1])
        expect(res.statusCode, `${method} ${url}`).toBe(404)
        expect(res.json().error_description).toContain("Project 'MyProject'")
      }
    })

    it("updates with the docs' example body; the name picks the group", async () => {
      const updated = await ok('PUT', `${base}/`, 'grouper', UPDATE_EXAMPLE)
      expect(updated.apiProxyGroup).toMatchObject({
        name: 'PaymentAPIGroup',
        description: 'Updated Payment API Group',
        clientRoute: { relativePathList: ['/api/v2/payment'], hostList: null },
        revision: 2,
      })
      expect(
        (await ok('GET', `${base}/PaymentAPIGroup/`, 'grouper')).clientRoute.relativePathList,
      ).toEqual(['/api/v2/payment'])
      const missing = await call('PUT', `${base}/`, 'grouper', { ...UPDATE_EXAMPLE, name: 'Ghost' })
      expect(missing.statusCode).toBe(404)
      expect(missing.json().error_description).toContain("API proxy group 'Ghost'")
    })
  })

  describe('roles, as documented per endpoint', () => {
    it('needs ROLE_MANAGE_PROXY_GROUPS for every group route, reads included', async () => {
      for (const [method, url] of [
        ['GET', `${base}/`],
        ['POST', `${base}/`],
        ['GET', `${base}/PaymentAPIGroup/environments/`],
        ['DELETE', `${base}/PaymentAPIGroup/`],
        ['POST', `${base}/PaymentAPIGroup/environments/production/`],
      ] as const) {
        const res = await call(method, url, 'proxyOps', CREATE_EXAMPLES[2])
        expect(res.statusCode, `${method} ${url}`).toBe(403)
        expect(res.json().error_description).toContain('ROLE_MANAGE_PROXY_GROUPS')
      }
    })

    it('needs ROLE_MANAGE_PROXIES too for membership and both proxy roles for deployment', async () => {
      const member = await call(
        'POST',
        `${base}/PaymentAPIGroup/apiProxies/PaymentAPI/`,
        'groupsOnly',
      )
      expect(member.statusCode).toBe(403)
      expect(member.json().error_description).toContain('ROLE_MANAGE_PROXIES')
      for (const method of ['POST', 'DELETE']) {
        const res = await call(
          method,
          `${base}/PaymentAPIGroup/environments/production/`,
          'groupsOnly',
        )
        expect(res.statusCode).toBe(403)
        expect(res.json().error_description).toContain('ROLE_MANAGE_PROXIES')
      }
      expect((await call('GET', `${base}/`, 'groupsOnly')).statusCode).toBe(200)
      expect((await ctx.app.inject({ url: `${base}/` })).statusCode).toBe(401)
    })
  })

  describe('membership', () => {
    const url = (group: string, proxy: string) => `${base}/${group}/apiProxies/${proxy}/`

    it('adds proxies of the same project; adding again succeeds and says nothing changed', async () => {
      const added = await ok('POST', url('PaymentAPIGroup', 'PaymentAPI'), 'grouper')
      expect(added).toMatchObject({ success: true, changed: true })
      const again = await ok('POST', url('PaymentAPIGroup', 'PaymentAPI'), 'grouper')
      expect(again).toMatchObject({ success: true, changed: false })
      expect(again.message).toContain('already')
      await ok('POST', url('PaymentAPIGroup', 'RefundAPI'), 'grouper')
      expect(await members('PaymentAPIGroup')).toEqual(['PaymentAPI', 'RefundAPI'])
    })

    it('answers 404 for an unknown proxy, a proxy of another project, an unknown group', async () => {
      for (const [target, says] of [
        [url('PaymentAPIGroup', 'MyAPI'), "API proxy 'MyAPI' in project 'MyProject'"],
        [url('PaymentAPIGroup', 'OtherAPI'), "API proxy 'OtherAPI' in project 'MyProject'"],
        [url('Ghost', 'PaymentAPI'), "API proxy group 'Ghost'"],
      ] as const) {
        for (const method of ['POST', 'DELETE']) {
          const res = await call(method, target, 'grouper')
          expect(res.statusCode, `${method} ${target}`).toBe(404)
          expect(res.json()).toMatchObject({ error: 'not_found' })
          expect(res.json().error_description).toContain(says)
        }
      }
    })

    it('removes a member (the proxy stays); removing a non-member succeeds and says so', async () => {
      await ok('POST', url('RestrictedAPIGroup', 'UserAPI'), 'grouper')
      const removed = await ok('DELETE', url('RestrictedAPIGroup', 'UserAPI'), 'grouper')
      expect(removed).toMatchObject({ success: true, changed: true })
      const again = await ok('DELETE', url('RestrictedAPIGroup', 'UserAPI'), 'grouper')
      expect(again).toMatchObject({ success: true, changed: false })
      expect(again.message).toContain('was not a member')
      expect(await members('RestrictedAPIGroup')).toEqual([])
      expect(
        (await call('GET', '/apiops/projects/MyProject/apiProxies/UserAPI/', 'admin')).statusCode,
      ).toBe(200)
    })
  })

  describe('deployment', () => {
    const at = (env: string, group = 'PaymentAPIGroup') => `${base}/${group}/environments/${env}/`

    it('lists the environments the project may use, none deployed yet', async () => {
      const list = await ok('GET', `${base}/PaymentAPIGroup/environments/`, 'grouper')
      expect(list).toMatchObject({ success: true, resultCount: 3 })
      expect(list.resultList).toEqual([
        expect.objectContaining({ environmentName: 'development', deployed: false }),
        expect.objectContaining({ environmentName: 'production', deployed: false }),
        expect.objectContaining({ environmentName: 'staging', deployed: false }),
      ])
    })

    it('deploys every member; the proxies show it', async () => {
      const res = await ok('POST', at('production'), 'grouper')
      expect(res.success).toBe(true)
      expect(res.deploymentResult).toMatchObject({
        success: true,
        environmentResults: [
          {
            environmentName: 'production',
            success: true,
            apiProxyResults: [
              { apiProxyName: 'PaymentAPI', success: true, message: 'Deployed revision 1' },
              { apiProxyName: 'RefundAPI', success: true, message: 'Deployed revision 1' },
            ],
          },
        ],
      })
      expect(await proxyDeployments('PaymentAPI')).toMatchObject({
        production: true,
        staging: false,
      })
      expect(await proxyDeployments('RefundAPI')).toMatchObject({ production: true })
      expect(await proxyDeployments('UserAPI')).toMatchObject({ production: false })
      const envs = await groupEnvironments('PaymentAPIGroup')
      expect(envs.find((e) => e.environmentName === 'production')).toMatchObject({
        deployed: true,
        redeployRequired: false,
      })
      const history = await ok(
        'GET',
        '/apiops/projects/MyProject/apiProxies/PaymentAPI/deployments/',
        'admin',
      )
      expect(history.resultList[0]).toMatchObject({
        environmentName: 'production',
        action: 'DEPLOY',
        actor: 'grouper',
      })
    })

    it('reports redeployRequired when a member or the group changes; a redeploy clears it', async () => {
      await ok(
        'PUT',
        '/apiops/projects/MyProject/apiProxies/url/',
        'admin',
        proxyBody('RefundAPI', '/refunds'),
      )
      const production = async () =>
        (await groupEnvironments('PaymentAPIGroup')).find((e) => e.environmentName === 'production')
      expect(await production()).toMatchObject({ deployed: true, redeployRequired: true })
      const redeployed = await ok('POST', at('production'), 'grouper')
      expect(redeployed.deploymentResult.environmentResults[0].apiProxyResults[1]).toMatchObject({
        apiProxyName: 'RefundAPI',
        message: 'Redeployed revision 2',
      })
      expect(await production()).toMatchObject({ redeployRequired: false })
      await ok('PUT', `${base}/`, 'grouper', UPDATE_EXAMPLE)
      expect(await production()).toMatchObject({ redeployRequired: true })
      await ok('POST', at('production'), 'grouper')
      await ok('POST', `${base}/PaymentAPIGroup/apiProxies/UserAPI/`, 'grouper')
      expect(await production()).toMatchObject({ redeployRequired: true })
      await ok('DELETE', `${base}/PaymentAPIGroup/apiProxies/UserAPI/`, 'grouper')
      expect(await production()).toMatchObject({ redeployRequired: false })
    })

    it('answers 404 for an unknown environment, one the project may not use, an unknown group', async () => {
      for (const [target, says] of [
        [at('nowhere'), "Environment 'nowhere'"],
        [at('elsewhere'), "Environment 'elsewhere'"],
        [at('production', 'Ghost'), "API proxy group 'Ghost'"],
      ] as const) {
        for (const method of ['POST', 'DELETE']) {
          const res = await call(method, target, 'grouper')
          expect(res.statusCode, `${method} ${target}`).toBe(404)
          expect(res.json().error_description).toContain(says)
        }
      }
    })

    it('rolls a deploy back entirely when one member fails, and says which', async () => {
      const refund = await proxyId('RefundAPI')
      await refuse(ctx, dialect, 'INSERT', refund)
      try {
        const res = await call('POST', at('staging'), 'grouper')
        expect(res.statusCode).toBe(500)
        expect(res.json().error).toBe('internal_error')
        expect(res.json().error_description).toContain("API proxy 'RefundAPI'")
        expect(res.json().error_description).toContain('rolled back')
        expect(res.body).not.toContain('refused by test')
      } finally {
        await allow(ctx, dialect, 'INSERT')
      }
      // PaymentAPI went first and succeeded: it must have been undone with the rest.
      expect(await proxyDeployments('PaymentAPI')).toMatchObject({ staging: false })
      expect(await proxyDeployments('RefundAPI')).toMatchObject({ staging: false })
      const staging = (await groupEnvironments('PaymentAPIGroup')).find(
        (e) => e.environmentName === 'staging',
      )
      expect(staging).toMatchObject({ deployed: false })
      const history = await ok(
        'GET',
        '/apiops/projects/MyProject/apiProxies/PaymentAPI/deployments/',
        'admin',
      )
      expect(
        history.resultList.map((h: { environmentName: string }) => h.environmentName),
      ).not.toContain('staging')
      // Nothing was left behind that would stop a retry.
      await ok('POST', at('staging'), 'grouper')
      expect(await proxyDeployments('PaymentAPI')).toMatchObject({ staging: true })
      expect(await proxyDeployments('RefundAPI')).toMatchObject({ staging: true })
    })

    it('rolls an undeploy back entirely when one member fails', async () => {
      await refuse(ctx, dialect, 'DELETE', await proxyId('RefundAPI'))
      try {
        const res = await call('DELETE', at('staging'), 'grouper')
        expect(res.statusCode).toBe(500)
        expect(res.json().error_description).toContain("API proxy 'RefundAPI'")
      } finally {
        await allow(ctx, dialect, 'DELETE')
      }
      expect(await proxyDeployments('PaymentAPI')).toMatchObject({ staging: true })
      expect(await proxyDeployments('RefundAPI')).toMatchObject({ staging: true })
      expect(
        (await groupEnvironments('PaymentAPIGroup')).find((e) => e.environmentName === 'staging'),
      ).toMatchObject({ deployed: true })
    })

    it('undeploys every member; undeploying again succeeds and says nothing was there', async () => {
      const res = await ok('DELETE', at('staging'), 'grouper')
      expect(res.deploymentResult).toMatchObject({
        success: true,
        environmentResults: [
          {
            environmentName: 'staging',
            apiProxyResults: [
              { apiProxyName: 'PaymentAPI', message: 'Undeployed' },
              { apiProxyName: 'RefundAPI', message: 'Undeployed' },
            ],
          },
        ],
      })
      expect(await proxyDeployments('PaymentAPI')).toMatchObject({
        staging: false,
        production: true,
      })
      expect(await proxyDeployments('RefundAPI')).toMatchObject({
        staging: false,
        production: true,
      })
      const again = await ok('DELETE', at('staging'), 'grouper')
      expect(again.deploymentResult.environmentResults[0].apiProxyResults[0].message).toContain(
        'Was not deployed',
      )
      const history = await ok(
        'GET',
        '/apiops/projects/MyProject/apiProxies/PaymentAPI/deployments/',
        'admin',
      )
      // The clock is frozen, so order within one instant is not asserted.
      expect(history.resultList).toContainEqual(
        expect.objectContaining({
          environmentName: 'staging',
          action: 'UNDEPLOY',
          actor: 'grouper',
        }),
      )
    })

    it('deploys an empty group (its own record) without touching any proxy', async () => {
      const res = await ok('POST', at('development', 'VersionedAPIGroup'), 'grouper')
      expect(res.deploymentResult.environmentResults[0].apiProxyResults).toEqual([])
      expect(res.deploymentResult.message).toContain('no member')
      expect(
        (await groupEnvironments('VersionedAPIGroup')).find(
          (e) => e.environmentName === 'development',
        ),
      ).toMatchObject({ deployed: true })
    })
  })

  describe('deleting', () => {
    it('a proxy takes it out of its groups; the group stays', async () => {
      await ok('POST', `${base}/RestrictedAPIGroup/apiProxies/UserAPI/`, 'grouper')
      expect(await members('RestrictedAPIGroup')).toEqual(['UserAPI'])
      await ok('DELETE', '/apiops/projects/MyProject/apiProxies/UserAPI/', 'admin')
      expect(await members('RestrictedAPIGroup')).toEqual([])
      const rows = await ctx.store.db.selectFrom('proxy_group_members').selectAll().execute()
      expect(rows.length).toBe(2) // PaymentAPIGroup's two members only
    })

    it('a group leaves its proxies in place, deployed where they were', async () => {
      expect((await ok('DELETE', `${base}/PaymentAPIGroup/`, 'grouper')).success).toBe(true)
      expect(await proxyDeployments('PaymentAPI')).toMatchObject({ production: true })
      expect(await proxyDeployments('RefundAPI')).toMatchObject({ production: true })
      const names = (await ok('GET', `${base}/`, 'grouper')).resultList.map(
        (g: { name: string }) => g.name,
      )
      expect(names).toEqual(['RestrictedAPIGroup', 'VersionedAPIGroup'])
      expect(await ctx.store.db.selectFrom('proxy_group_members').selectAll().execute()).toEqual([])
      const again = await call('DELETE', `${base}/PaymentAPIGroup/`, 'grouper')
      expect(again.statusCode).toBe(404)
      expect(again.json().error_description).toContain("API proxy group 'PaymentAPIGroup'")
    })
  })

  it('audits every change like other resource writes', async () => {
    await ctx.services.audit.flush()
    const events = await ctx.store.db.selectFrom('audit_events').selectAll().execute()
    const actions = new Set(events.map((e) => e.action))
    for (const action of [
      'createApiProxyGroup',
      'updateApiProxyGroup',
      'deleteApiProxyGroup',
      'addApiProxyToGroup',
      'removeApiProxyFromGroup',
      'deployApiProxyGroup',
      'undeployApiProxyGroup',
    ])
      expect(actions, action).toContain(action)
    const created = events.find(
      (e) => e.action === 'createApiProxyGroup' && e.outcome === 'success',
    )
    expect(created?.target).toContain('name=PaymentAPIGroup')
  })

  async function proxyId(name: string): Promise<string> {
    const row = await ctx.store.db
      .selectFrom('api_proxies')
      .select('id')
      .where('name', '=', name)
      .executeTakeFirstOrThrow()
    return row.id
  }
})

/*
 * A member that fails, for real: the database itself refuses one proxy's deployment row
 * (a trigger), the way a constraint or a broken disk would. Nothing in apiops is mocked.
 */
async function refuse(
  ctx: TestContext,
  dialect: string,
  event: 'INSERT' | 'DELETE',
  proxyId: string,
): Promise<void> {
  const row = event === 'INSERT' ? 'NEW' : 'OLD'
  const name = `refuse_${event.toLowerCase()}`
  if (dialect === 'sqlite') {
    await sql
      .raw(
        `CREATE TRIGGER ${name} BEFORE ${event} ON proxy_deployments WHEN ${row}.proxy_id = '${proxyId}' BEGIN SELECT RAISE(ABORT, 'refused by test'); END`,
      )
      .execute(ctx.store.db)
    return
  }
  await sql
    .raw(
      `CREATE FUNCTION ${name}() RETURNS trigger AS $$ BEGIN IF ${row}.proxy_id = '${proxyId}' THEN RAISE EXCEPTION 'refused by test'; END IF; RETURN ${row}; END $$ LANGUAGE plpgsql`,
    )
    .execute(ctx.store.db)
  await sql
    .raw(
      `CREATE TRIGGER ${name} BEFORE ${event} ON proxy_deployments FOR EACH ROW EXECUTE FUNCTION ${name}()`,
    )
    .execute(ctx.store.db)
}

async function allow(ctx: TestContext, dialect: string, event: 'INSERT' | 'DELETE'): Promise<void> {
  const name = `refuse_${event.toLowerCase()}`
  if (dialect === 'sqlite') {
    await sql.raw(`DROP TRIGGER ${name}`).execute(ctx.store.db)
    return
  }
  await sql.raw(`DROP TRIGGER ${name} ON proxy_deployments`).execute(ctx.store.db)
  await sql.raw(`DROP FUNCTION ${name}()`).execute(ctx.store.db)
}
