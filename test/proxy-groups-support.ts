import { sql } from 'kysely'
import { expect } from 'vitest'
import type { Dialect } from '../src/db/create-db.ts'
import { bearer, buildTestApp, makeUser, type TestContext, tokenFor } from './helpers.ts'

/*
 * The world both proxy-group test files start from: project MyProject (members grouper,
 * groupsOnly, proxyOps; not outsider), its environments production, staging and
 * development, proxies PaymentAPI, RefundAPI and UserAPI; project Other with OtherAPI
 * and environment elsewhere. The calls are the HTTP API's, through app.inject().
 */

export const proxyBody = (
  name: string,
  path = `/${name}`,
  address = 'https://backend.internal',
) => ({
  apiProxyName: name,
  apiProxyCreationType: 'REVERSE_PROXY',
  clientRoute: { relativePathList: [path] },
  routingInfo: { routingAddressList: [{ address }] },
})

const USERS = {
  admin: ['ROLE_ADMIN'],
  grouper: ['ROLE_MANAGE_PROXY_GROUPS', 'ROLE_MANAGE_PROXIES', 'ROLE_DEPLOY_UNDEPLOY_PROXIES'],
  groupsOnly: ['ROLE_MANAGE_PROXY_GROUPS'],
  proxyOps: ['ROLE_MANAGE_PROXIES', 'ROLE_DEPLOY_UNDEPLOY_PROXIES'],
  outsider: ['ROLE_MANAGE_PROXY_GROUPS', 'ROLE_MANAGE_PROXIES', 'ROLE_DEPLOY_UNDEPLOY_PROXIES'],
} as const
export type Who = keyof typeof USERS

export const base = '/apiops/projects/MyProject/apiProxyGroups'

export class GroupsWorld {
  private constructor(
    readonly ctx: TestContext,
    private readonly token: Record<Who, string>,
  ) {}

  static async build(dialect: Dialect): Promise<GroupsWorld> {
    const ctx = await buildTestApp(dialect)
    const token = {} as Record<Who, string>
    for (const [name, roles] of Object.entries(USERS)) {
      const user = await makeUser(ctx, name, [...roles])
      token[name as Who] = (await tokenFor(ctx, user.id)).token
    }
    const world = new GroupsWorld(ctx, token)
    await world.populate()
    return world
  }

  private async populate(): Promise<void> {
    await this.ok('POST', '/apiops/projects/', 'admin', { name: 'MyProject' })
    await this.ok('POST', '/apiops/projects/', 'admin', { name: 'Other' })
    for (const username of ['grouper', 'groupsOnly', 'proxyOps'])
      await this.ok('POST', '/apiops/projects/MyProject/members/', 'admin', { username })
    for (const [name, project] of [
      ['production', 'MyProject'],
      ['staging', 'MyProject'],
      ['development', 'MyProject'],
      ['elsewhere', 'Other'],
    ]) {
      await this.ok('POST', '/apiops/environments/', 'admin', {
        name,
        type: 'TEST',
        accessUrl: `https://${name}.example`,
        projects: [project],
      })
    }
    for (const name of ['PaymentAPI', 'RefundAPI', 'UserAPI'])
      await this.ok('POST', '/apiops/projects/MyProject/apiProxies/url/', 'admin', proxyBody(name))
    await this.ok('POST', '/apiops/projects/Other/apiProxies/url/', 'admin', proxyBody('OtherAPI'))
  }

  call = (method: string, url: string, who: Who, payload?: unknown) =>
    this.ctx.app.inject({
      method: method as 'GET',
      url,
      headers: bearer(this.token[who]),
      ...(payload === undefined ? {} : { payload: payload as object }),
    })

  /** A call that must succeed; its JSON answer. */
  ok = async (method: string, url: string, who: Who, payload?: unknown) => {
    const res = await this.call(method, url, who, payload)
    expect(res.statusCode, `${method} ${url}: ${res.body}`).toBeLessThan(300)
    return res.json()
  }

  /** environment name -> deployed, as the proxy's own deploymentList says. */
  proxyDeployments = async (name: string) =>
    Object.fromEntries(
      (
        (await this.ok('GET', `/apiops/projects/MyProject/apiProxies/${name}/`, 'admin'))
          .deploymentList as { environmentName: string; deployed: boolean }[]
      ).map((d) => [d.environmentName, d.deployed]),
    )

  groupEnvironments = async (group: string) =>
    (await this.ok('GET', `${base}/${group}/environments/`, 'grouper')).resultList as {
      environmentName: string
      deployed: boolean
      redeployRequired: boolean
    }[]

  members = async (group: string) =>
    ((await this.ok('GET', `${base}/${group}/`, 'grouper')).apiProxies as { name: string }[]).map(
      (p) => p.name,
    )

  async proxyId(name: string): Promise<string> {
    const row = await this.ctx.store.db
      .selectFrom('api_proxies')
      .select('id')
      .where('name', '=', name)
      .executeTakeFirstOrThrow()
    return row.id
  }
}

/*
 * A member that fails, for real: the database itself refuses one proxy's deployment row
 * (a trigger), the way a constraint or a broken disk would. Nothing in apiops is mocked.
 */
export async function refuse(
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

export async function allow(
  ctx: TestContext,
  dialect: string,
  event: 'INSERT' | 'DELETE',
): Promise<void> {
  const name = `refuse_${event.toLowerCase()}`
  if (dialect === 'sqlite') {
    await sql.raw(`DROP TRIGGER ${name}`).execute(ctx.store.db)
    return
  }
  await sql.raw(`DROP TRIGGER ${name} ON proxy_deployments`).execute(ctx.store.db)
  await sql.raw(`DROP FUNCTION ${name}()`).execute(ctx.store.db)
}
