import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type CliIo, runCli } from '../src/cli/index.ts'
import type { Config } from '../src/config.ts'
import { createEnvironment } from '../src/resources/environments/environments.service.ts'
import { openRuntime, type Runtime } from '../src/runtime.ts'
import { dialects, testConfig, throwawaySchema } from './helpers.ts'

/* apiops env-var list|set|delete, on the same database a server uses. */

const quiet = { warn: () => {}, info: () => {} }

async function cli(config: Config, args: string[], stdin = '') {
  let out = ''
  let err = ''
  const io: CliIo = { out: (t) => (out += t), err: (t) => (err += t), readStdin: async () => stdin }
  const code = await runCli(args, () => config, io)
  return { code, out, err }
}

describe.each(dialects())('apiops env-var (%s)', (dialect) => {
  let config: Config
  let dir: string
  let schema: Awaited<ReturnType<typeof throwawaySchema>> | undefined
  let runtime: Runtime

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'apiops-envvar-'))
    const env: Record<string, string> = { APIOPS_DATA_DIR: dir }
    if (dialect === 'postgres') {
      schema = await throwawaySchema('cliev')
      env.DATABASE_URL = schema.url
    }
    config = testConfig(env)
    runtime = await openRuntime(config, quiet)
    expect((await cli(config, ['project', 'create', 'Shop'])).code).toBe(0)
    for (const name of ['production', 'staging']) {
      await createEnvironment(
        { db: runtime.store.db, clock: runtime.clock },
        { name, type: 'TEST', accessUrl: `https://${name}.example.com`, projects: ['Shop'] },
      )
    }
  })

  afterAll(async () => {
    await runtime.close()
    rmSync(dir, { recursive: true, force: true })
    await schema?.drop()
  })

  it('sets values per environment, keeps the others, never prints a secret', async () => {
    const set = (args: string[], stdin = '') =>
      cli(config, ['env-var', 'set', 'Shop', ...args], stdin)
    expect(
      (await set(['BACKEND', '--env', 'production', '--value', 'https://p.internal'])).out,
    ).toBe('set BACKEND: Deployed to 2 environments\n')
    const secret = await set(
      ['BACKEND', '--env', 'staging', '--secret', '--value-stdin'],
      'S3cret-Staging\n',
    )
    expect(secret.code, secret.err).toBe(0)
    const listed = await cli(config, ['env-var', 'list', 'Shop'])
    expect(listed.out).toBe('BACKEND  production=https://p.internal staging=(secret)\n')
    expect(listed.out).not.toContain('S3cret')
    const json = JSON.parse((await cli(config, ['--json', 'env-var', 'list', 'Shop'])).out)
    expect(json[0].environmentValueList).toEqual([
      { environmentName: 'production', value: 'https://p.internal', visible: true },
      { environmentName: 'staging', value: null, visible: false },
    ])

    const audit = await runtime.store.db.selectFrom('audit_events').selectAll().execute()
    const sets = audit.filter((a) => a.target.includes('BACKEND'))
    expect(sets.length).toBeGreaterThanOrEqual(2)
    expect(JSON.stringify(audit)).not.toContain('S3cret')
    expect(JSON.stringify(audit)).not.toContain('p.internal')

    const global = await set(['BACKEND', '--value', 'x'])
    expect(global.code).toBe(1)
    expect(global.err).toContain('has values per environment')
    expect((await set(['NOTHING'])).err).toContain('--value-stdin')
    expect((await set(['BAD', '--env', 'nowhere', '--value', 'x'])).err).toContain('may use')
  })

  it('deletes, and says when there is nothing to delete', async () => {
    expect((await cli(config, ['env-var', 'delete', 'Shop', 'BACKEND'])).out).toBe(
      'deleted BACKEND\n',
    )
    const again = await cli(config, ['env-var', 'delete', 'Shop', 'BACKEND'])
    expect(again.code).toBe(1)
    expect(again.err).toContain("Environment variable 'BACKEND' in project 'Shop' was not found.")
    expect((await cli(config, ['env-var', 'list', 'Nowhere'])).err).toContain('was not found')
  })
})
