import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type CliIo, runCli } from '../src/cli/index.ts'
import { closeServices, createServices } from '../src/composition.ts'
import type { Config } from '../src/config.ts'
import { openRuntime } from '../src/runtime.ts'
import { updateSettings } from '../src/settings/settings.service.ts'
import { dialects, testConfig, throwawaySchema } from './helpers.ts'

/** `apiops token create` with limits, `token list` showing them, and `apiops can-i`. */

async function cli(config: Config, args: string[], stdin = '') {
  let out = ''
  let err = ''
  const io: CliIo = { out: (t) => (out += t), err: (t) => (err += t), readStdin: async () => stdin }
  const code = await runCli(args, () => config, io)
  return { code, out, err }
}

describe.each(dialects())('narrower tokens from the CLI (%s)', (dialect) => {
  let config: Config
  let dir: string
  let schema: Awaited<ReturnType<typeof throwawaySchema>> | undefined

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'apiops-limits-cli-'))
    const env: Record<string, string> = { APIOPS_DATA_DIR: dir }
    if (dialect === 'postgres') {
      schema = await throwawaySchema('limitscli')
      env.DATABASE_URL = schema.url
    }
    config = testConfig(env)
    const setup = [
      ['user', 'create', 'dave', '--role', 'ROLE_MANAGE_PROXIES', '--password-stdin'],
      ['project', 'create', 'p1'],
      ['project', 'create', 'p2'],
      ['project', 'add-member', 'p1', 'dave'],
      ['project', 'add-member', 'p2', 'dave'],
    ]
    for (const args of setup) {
      const res = await cli(config, args, 'dave password 1\n')
      expect(res.err).toBe('')
      expect(res.code).toBe(0)
    }
  })

  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true })
    await schema?.drop()
  })

  it('creates a narrowed token, lists its limits, and refuses limits beyond the owner', async () => {
    const created = await cli(config, [
      '--json',
      'token',
      'create',
      'dave',
      '--name',
      'ci',
      '--never-expires',
      '--role',
      'ROLE_MANAGE_PROXIES',
      '--project',
      'p1',
      '--read-only',
      '--allow-from',
      '10.0.0.0/8',
      '--allow-from',
      '::1',
    ])
    expect(created.err).toBe('')
    expect(JSON.parse(created.out).limits).toEqual({
      roles: ['ROLE_MANAGE_PROXIES'],
      projects: ['p1'],
      readOnly: true,
      allowFrom: ['10.0.0.0/8', '::1'],
    })
    const list = await cli(config, ['token', 'list', 'dave'])
    expect(list.out).toContain(
      'roles=ROLE_MANAGE_PROXIES projects=p1 read-only from=10.0.0.0/8+::1',
    )
    const refused = await cli(config, [
      'token',
      'create',
      'dave',
      '--name',
      'wide',
      '--never-expires',
      '--role',
      'ROLE_ADMIN',
      '--allow-from',
      '10.0.0.300',
    ])
    expect(refused.code).toBe(1)
    expect(refused.err).toContain("roles.0 'ROLE_ADMIN' is not one of the owner's roles")
    expect(refused.err).toContain("allowFrom.0 '10.0.0.300'")
  })

  it('lists one source with --source, and names the sources it knows', async () => {
    const cliOnly = await cli(config, ['--json', 'token', 'list', 'dave', '--source', 'cli'])
    expect(cliOnly.err).toBe('')
    expect(JSON.parse(cliOnly.out).map((t: { name: string }) => t.name)).toEqual(['ci'])
    const api = await cli(config, ['--json', 'token', 'list', 'dave', '--source', 'api'])
    expect(JSON.parse(api.out)).toEqual([])
    const wrong = await cli(config, ['token', 'list', 'dave', '--source', 'web'])
    expect(wrong.code).not.toBe(0)
    expect(wrong.err).toContain('Allowed choices are console, api, cli')
  })

  // Each can-i builds the server's route table: seconds each on a loaded 2-core machine.
  it('answers can-i for a user and for one of their tokens', { timeout: 300_000 }, async () => {
    const path = '/apiops/projects/p2/apiProxies/url/'
    const asUser = await cli(config, ['can-i', 'POST', path, '--user', 'dave'])
    expect(asUser).toMatchObject({ code: 0, err: '' })
    expect(asUser.out).toMatch(/^yes \(POST \/apiops\/projects\/:projectName\/apiProxies\/url\/\)/)
    const made = await cli(config, [
      '--json',
      'token',
      'create',
      'dave',
      '--name',
      'p1 only',
      '--never-expires',
      '--project',
      'p1',
    ])
    const id = JSON.parse(made.out).id as string
    const asToken = await cli(config, [
      '--json',
      'can-i',
      'POST',
      path,
      '--user',
      'dave',
      '--token',
      id,
    ])
    expect(JSON.parse(asToken.out)).toMatchObject({
      allowed: false,
      reason: 'This token is limited to other projects (p1); it cannot act in this one.',
    })
  })

  it("holds tokens it creates to the administrators' lifetime policy", async () => {
    const runtime = await openRuntime(config, { warn: () => {}, info: () => {} })
    const services = createServices(
      runtime,
      () => {},
      () => {},
    )
    try {
      await services.settings.reload()
      await updateSettings(
        services,
        { tokenLifetimePolicy: { maxDaysByRole: { ROLE_MANAGE_PROXIES: 30 } } },
        { username: 'root', tokenId: undefined },
      )
      const never = await cli(config, ['token', 'create', 'dave', '--name', 'x', '--never-expires'])
      expect(never.code).not.toBe(0)
      expect(never.err).toContain(
        'cannot be null: choose a date at most 30 days ahead (the longest an administrator allows for ROLE_MANAGE_PROXIES tokens)',
      )
      const soon = new Date(Date.now() + 10 * 86_400_000).toISOString().slice(0, 10)
      const ok = await cli(config, ['token', 'create', 'dave', '--name', 'y', '--expires', soon])
      expect(ok).toMatchObject({ code: 0, err: '' })
    } finally {
      await updateSettings(
        services,
        { tokenLifetimePolicy: null },
        { username: 'root', tokenId: undefined },
      )
      await closeServices(services)
      await runtime.close()
    }
  })
})
