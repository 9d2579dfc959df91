import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type CliIo, runCli } from '../src/cli/index.ts'
import { closeServices, createServices, type Services } from '../src/composition.ts'
import type { Config } from '../src/config.ts'
import { createProxy } from '../src/resources/proxies/proxies.writes.ts'
import { openRuntime, type Runtime } from '../src/runtime.ts'
import { dialects, testConfig, throwawaySchema } from './helpers.ts'

/* apiops proxy list|export|import, on the same database a server uses. */

const quiet = { warn: () => {}, info: () => {} }

async function cli(config: Config, args: string[]) {
  let out = ''
  let err = ''
  const io: CliIo = { out: (t) => (out += t), err: (t) => (err += t), readStdin: async () => '' }
  const code = await runCli(args, () => config, io)
  return { code, out, err }
}

describe.each(dialects())('apiops proxy (%s)', (dialect) => {
  let config: Config
  let dir: string
  let schema: Awaited<ReturnType<typeof throwawaySchema>> | undefined
  let runtime: Runtime
  let services: Services

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'apiops-cliproxy-'))
    const env: Record<string, string> = { APIOPS_DATA_DIR: dir }
    if (dialect === 'postgres') {
      schema = await throwawaySchema('cliproxy')
      env.DATABASE_URL = schema.url
    }
    config = testConfig(env)
    runtime = await openRuntime(config, quiet)
    services = createServices(
      runtime,
      () => {},
      () => {},
    )
    for (const name of ['Shop', 'Other']) {
      expect((await cli(config, ['project', 'create', name])).code).toBe(0)
    }
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
        apiProxyDescription: 'Orders',
        clientRoute: { relativePathList: ['/orders'] },
        routingInfo: { routingAddressList: [{ address: 'https://orders.internal' }] },
      },
      quiet as never,
    )
  })

  afterAll(async () => {
    await closeServices(services)
    await runtime.close()
    rmSync(dir, { recursive: true, force: true })
    await schema?.drop()
  })

  it('exports to a file, imports into another project, refuses a second import unless --override', async () => {
    const file = join(dir, 'orders.zip')
    const exported = await cli(config, ['proxy', 'export', 'Shop', 'orders', file])
    expect(exported.code, exported.err).toBe(0)
    expect(exported.out).toMatch(/^exported orders to .*orders\.zip \(\d+ bytes\)\n$/)
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(readFileSync(file).subarray(0, 2).toString()).toBe('PK')
    const imported = await cli(config, ['proxy', 'import', 'Other', file])
    expect(imported).toMatchObject({ code: 0, out: 'imported orders (revision 1)\n' })
    const listed = await cli(config, ['proxy', 'list', 'Other'])
    expect(listed.out).toMatch(
      /^name\s+creationType\s+relativePath\s+description\norders\s+REVERSE_PROXY\s+\/orders\s+Orders\n$/,
    )
    const again = await cli(config, ['proxy', 'import', 'Other', file])
    expect(again.code).toBe(1)
    expect(again.err).toContain("API proxy 'orders' in project 'Other'")
    const override = await cli(config, ['--json', 'proxy', 'import', 'Other', file, '--override'])
    expect(override.code, override.err).toBe(0)
    expect(JSON.parse(override.out)).toEqual({ name: 'orders', secretsToSetAgain: [] })
    const events = await runtime.store.db
      .selectFrom('audit_events')
      .select(['action', 'actor_username', 'target'])
      .where('action', 'in', ['proxy.exported', 'proxy.imported'])
      .orderBy('at')
      .orderBy('id')
      .execute()
    expect(events.map((e) => `${e.actor_username} ${e.action} ${e.target}`)).toEqual([
      'cli proxy.exported project=Shop proxy=orders',
      'cli proxy.imported project=Other proxy=orders overridden=false',
      'cli proxy.imported project=Other proxy=orders overridden=true',
    ])
  })

  it('says plainly when the file is not an export', async () => {
    const file = join(dir, 'notes.zip')
    await import('node:fs/promises').then((fs) => fs.writeFile(file, 'not a zip'))
    const res = await cli(config, ['proxy', 'import', 'Other', file])
    expect(res.code).toBe(1)
    expect(res.err).toContain('is not a ZIP archive')
    expect(
      (await cli(config, ['proxy', 'export', 'Shop', 'nothing', join(dir, 'x.zip')])).err,
    ).toContain("API proxy 'nothing' in project 'Shop' was not found")
  })
})
