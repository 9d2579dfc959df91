import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../src/app.ts'
import { type CliIo, runCli } from '../src/cli/index.ts'
import { closeServices, createServices, type Services } from '../src/composition.ts'
import type { Config } from '../src/config.ts'
import { createEnvironment } from '../src/resources/environments/environments.service.ts'
import { createProxy } from '../src/resources/proxies/proxies.writes.ts'
import { openRuntime, type Runtime } from '../src/runtime.ts'
import { bearer, dialects, testConfig, throwawaySchema } from './helpers.ts'

/*
 * apiops policy, proxy deploy|undeploy, ip-group and rlcl, on the database a running
 * server uses: what the CLI writes, the server's documented routes answer.
 */

const quiet = { warn: () => {}, info: () => {} }

async function cli(config: Config, args: string[], stdin = '') {
  let out = ''
  let err = ''
  const io: CliIo = { out: (t) => (out += t), err: (t) => (err += t), readStdin: async () => stdin }
  const code = await runCli(args, () => config, io)
  return { code, out, err }
}

const BLOCK = {
  operationMetadata: { targetScope: 'ALL', targetPipeline: 'REQUEST', deploy: false },
  policy: { type: 'policy-black-ip', description: 'no bots', ipList: ['10.0.0.0/8'] },
}

describe.each(dialects())('apiops policy, deploy, ip-group, rlcl (%s)', (dialect) => {
  let config: Config
  let dir: string
  let schema: Awaited<ReturnType<typeof throwawaySchema>> | undefined
  let runtime: Runtime
  let services: Services
  let app: Awaited<ReturnType<typeof buildApp>>
  let token: string
  const get = async (url: string) =>
    (await app.inject({ url: `/apiops/projects/Shop/${url}`, headers: bearer(token) })).json()

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'apiops-clipolicy-'))
    const env: Record<string, string> = { APIOPS_DATA_DIR: dir }
    if (dialect === 'postgres') {
      schema = await throwawaySchema('clipolicy')
      env.DATABASE_URL = schema.url
    }
    config = testConfig(env)
    runtime = await openRuntime(config, quiet)
    services = createServices(
      runtime,
      () => {},
      () => {},
    )
    app = await buildApp(runtime)
    expect((await cli(config, ['project', 'create', 'Shop'])).code).toBe(0)
    await cli(
      config,
      ['user', 'create', 'root', '--role', 'ROLE_ADMIN', '--password-stdin'],
      'root password 1\n',
    )
    token = JSON.parse(
      (await cli(config, ['--json', 'token', 'create', 'root', '--name', 't', '--never-expires']))
        .out,
    ).token
    // The server's first authenticated request is slow (its first token check): taken here.
    expect((await app.inject({ url: '/apiops/me/', headers: bearer(token) })).statusCode).toBe(200)
    await createEnvironment(services, {
      name: 'production',
      type: 'TEST',
      accessUrl: 'https://production.example.com',
      projects: ['Shop'],
    })
    const admin = {
      userId: 'test',
      username: 'test',
      roles: new Set(['ROLE_ADMIN'] as const),
      tokenId: undefined,
      via: 'token' as const,
    }
    await createProxy(
      services,
      admin,
      'Shop',
      {
        apiProxyName: 'orders',
        apiProxyCreationType: 'REVERSE_PROXY',
        clientRoute: { relativePathList: ['/orders'] },
        routingInfo: { routingAddressList: [{ address: 'https://orders.internal' }] },
      },
      quiet as never,
    )
    // Building the app compiles every route's schemas: slow on a loaded machine.
  }, 120_000)

  afterAll(async () => {
    await app.close()
    await closeServices(services)
    await runtime.close()
    rmSync(dir, { recursive: true, force: true })
    await schema?.drop()
  })

  it('adds a policy from a file and from stdin, lists, updates and deletes it; the API agrees', async () => {
    const file = join(dir, 'block.json')
    writeFileSync(file, JSON.stringify(BLOCK))
    const added = await cli(config, ['policy', 'add', 'Shop', 'orders', 'no-bots', file])
    expect(added).toMatchObject({ code: 0, out: 'added policy no-bots\n', err: '' })
    const second = { ...BLOCK, policy: { ...BLOCK.policy, ipList: ['192.0.2.1'] } }
    const piped = await cli(
      config,
      ['policy', 'add', 'Shop', 'orders', 'first'],
      JSON.stringify(second),
    )
    expect(piped.code, piped.err).toBe(0)
    const listed = await cli(config, ['policy', 'list', 'Shop', 'orders'])
    expect(listed.out).toBe(
      [
        'scope  pipeline  order  name     type             active',
        'ALL    REQUEST   1      no-bots  policy-black-ip  true',
        'ALL    REQUEST   2      first    policy-black-ip  true',
        '',
      ].join('\n'),
    )
    const json = JSON.parse((await cli(config, ['--json', 'policy', 'list', 'Shop', 'orders'])).out)
    expect(json).toEqual((await get('apiProxies/orders/policies/')).resultList[0])

    const updated = { ...BLOCK, policy: { ...BLOCK.policy, ipList: ['10.0.0.0/16'] } }
    expect(
      (
        await cli(
          config,
          ['policy', 'update', 'Shop', 'orders', 'no-bots', '-'],
          JSON.stringify(updated),
        )
      ).out,
    ).toBe('updated policy no-bots\n')
    const stored = (await get('apiProxies/orders/policies/')).resultList[0].requestPolicyList
    expect(stored.map((p: { ipList: string[] }) => p.ipList)).toEqual([
      ['10.0.0.0/16'],
      ['192.0.2.1'],
    ])
    expect((await cli(config, ['policy', 'delete', 'Shop', 'orders', 'first'])).out).toBe(
      'deleted policy first\n',
    )
    expect((await get('apiProxies/orders/policies/')).resultList[0].requestPolicyList).toHaveLength(
      1,
    )
  })

  it("refuses a bad policy body with the route's words, and exit code 1", async () => {
    const unknown = await cli(
      config,
      ['policy', 'add', 'Shop', 'orders', 'x'],
      JSON.stringify({ ...BLOCK, policy: { type: 'policy-nothing' } }),
    )
    expect(unknown.code).toBe(1)
    expect(unknown.err).toMatch(
      /^apiops: Validation failed: policy\.type is 'policy-nothing', not a known policy type; known: /,
    )
    const field = await cli(
      config,
      ['policy', 'add', 'Shop', 'orders', 'x'],
      JSON.stringify({ ...BLOCK, policy: { ...BLOCK.policy, colour: 'red' } }),
    )
    expect(field.err).toBe('apiops: Validation failed: policy.colour is not a known field\n')
    const server = await app.inject({
      method: 'POST',
      url: '/apiops/projects/Shop/apiProxies/orders/policies/x/',
      headers: bearer(token),
      payload: { ...BLOCK, policy: { ...BLOCK.policy, colour: 'red' } },
    })
    expect(field.err).toBe(`apiops: ${server.json().error_description}\n`)
    const badIp = await cli(
      config,
      ['policy', 'add', 'Shop', 'orders', 'x'],
      JSON.stringify({ ...BLOCK, policy: { ...BLOCK.policy, ipList: ['10.0.0.300'] } }),
    )
    expect(badIp.err).toContain('policy.ipList')
    expect((await cli(config, ['policy', 'add', 'Shop', 'orders', 'x'], '{not json')).err).toMatch(
      /^apiops: standard input is not valid JSON/,
    )
    expect(
      (await cli(config, ['policy', 'add', 'Shop', 'orders', 'x', join(dir, 'none.json')])).err,
    ).toContain("Cannot read '")
    expect(
      (await cli(config, ['policy', 'delete', 'Shop', 'orders', 'x', '--pipeline', 'LATER'])).err,
    ).toBe(
      'apiops: Validation failed: operationMetadata.targetPipeline must be equal to one of the allowed values: REQUEST, RESPONSE, ERROR\n',
    )
    const ghost = await cli(config, ['policy', 'list', 'Shop', 'ghost'])
    expect(ghost).toMatchObject({
      code: 1,
      err: "apiops: API proxy 'ghost' in project 'Shop' was not found.\n",
    })
    expect((await get('apiProxies/orders/policies/')).resultList[0].requestPolicyList).toHaveLength(
      1,
    )
  })

  it('deploys and undeploys a proxy', async () => {
    const deployed = await cli(config, ['proxy', 'deploy', 'Shop', 'orders', 'production'])
    expect(deployed.code, deployed.err).toBe(0)
    expect(deployed.out).toMatch(/^production: /)
    const status = await get('apiProxies/orders/')
    expect(JSON.stringify(status)).toContain('production')
    const again = await cli(config, ['--json', 'proxy', 'undeploy', 'Shop', 'orders', 'production'])
    expect(JSON.parse(again.out)).toMatchObject({
      success: true,
      deploymentResults: [{ environmentName: 'production', message: 'Undeployed' }],
    })
    const nowhere = await cli(config, ['proxy', 'deploy', 'Shop', 'orders', 'mars'])
    expect(nowhere.code).toBe(1)
    expect(nowhere.err).toMatch(/^apiops: .*'mars'/)
  })

  it('creates an IP group, adds and removes entries, deletes it', async () => {
    expect(
      (await cli(config, ['ip-group', 'create', 'Shop', 'office', '--description', 'HQ'])).out,
    ).toBe('created IP group office\n')
    const added = await cli(config, [
      'ip-group',
      'add-ip',
      'Shop',
      'office',
      '192.0.2.7',
      '2001:db8::/32',
    ])
    expect(added.out).toBe('office: 2 added, 0 removed, 2 entries\n')
    expect((await get('ipGroups/office/')).ipGroup.ipList.sort()).toEqual([
      '192.0.2.7',
      '2001:db8::/32',
    ])
    expect((await cli(config, ['ip-group', 'list', 'Shop'])).out).toBe(
      'name    ipCount  description\noffice  2        HQ\n',
    )
    expect((await cli(config, ['ip-group', 'remove-ip', 'Shop', 'office', '192.0.2.7'])).out).toBe(
      'office: 0 added, 1 removed, 1 entries\n',
    )
    const bad = await cli(config, ['ip-group', 'add-ip', 'Shop', 'office', '300.1.1.1'])
    expect(bad.code).toBe(1)
    expect(bad.err).toMatch(/^apiops: Validation failed: ipList\.0 /)
    expect((await cli(config, ['ip-group', 'create', 'Shop', 'office'])).err).toContain(
      'already exists',
    )
    expect((await cli(config, ['ip-group', 'delete', 'Shop', 'office'])).out).toBe(
      'deleted IP group office\n',
    )
    expect((await cli(config, ['ip-group', 'get', 'Shop', 'office'])).err).toBe(
      "apiops: IP group 'office' in project 'Shop' was not found.\n",
    )
  })

  it('creates an RLCL from JSON, reads it, deletes it', async () => {
    const made = await cli(
      config,
      ['rlcl', 'create', 'Shop'],
      JSON.stringify({ name: 'partners', executionOrder: 'LAST' }),
    )
    expect(made).toMatchObject({ code: 0, out: 'created RLCL partners\n' })
    expect((await get('rlcl/partners/')).rlcl).toMatchObject({
      name: 'partners',
      executionOrder: 'LAST',
    })
    const read = JSON.parse((await cli(config, ['--json', 'rlcl', 'get', 'Shop', 'partners'])).out)
    expect(read).toEqual((await get('rlcl/partners/')).rlcl)
    expect((await cli(config, ['rlcl', 'list', 'Shop'])).out).toMatch(
      /^name\s+enabled\s+executionOrder\s+description\npartners\s+true\s+LAST\n$/,
    )
    const bad = await cli(
      config,
      ['rlcl', 'create', 'Shop'],
      JSON.stringify({ name: 'x', executionOrder: 'MIDDLE' }),
    )
    expect(bad.err).toBe(
      'apiops: Validation failed: executionOrder must be equal to one of the allowed values: FIRST, LAST\n',
    )
    expect((await cli(config, ['rlcl', 'delete', 'Shop', 'partners'])).out).toBe(
      'deleted RLCL partners\n',
    )
    expect((await cli(config, ['rlcl', 'delete', 'Shop', 'partners'])).code).toBe(1)
  })

  it('records writes and failed writes in the audit log as the CLI; reads are not recorded', async () => {
    const before = await runtime.store.db.selectFrom('audit_events').select('id').execute()
    await cli(config, ['policy', 'add', 'Shop', 'orders', 'audited'], JSON.stringify(BLOCK))
    await cli(config, ['policy', 'add', 'Shop', 'orders', 'audited'], JSON.stringify(BLOCK))
    await cli(config, ['ip-group', 'get', 'Shop', 'nothing'])
    await cli(config, ['policy', 'list', 'Shop', 'nothing'])
    const seen = new Set(before.map((e) => e.id))
    const events = (
      await runtime.store.db
        .selectFrom('audit_events')
        .select(['id', 'action', 'actor_username', 'outcome'])
        .orderBy('at')
        .orderBy('id')
        .execute()
    ).filter((e) => !seen.has(e.id))
    expect(events.map((e) => `${e.actor_username} ${e.action} ${e.outcome}`)).toEqual([
      'cli policy.added success',
      'cli cli.failed failure',
    ])
  })
})
