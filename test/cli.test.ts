import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../src/app.ts'
import { type CliIo, runCli } from '../src/cli/index.ts'
import { type Config, loadConfig } from '../src/config.ts'
import { loadMasterSecret } from '../src/keys.ts'
import { openRuntime, type Runtime } from '../src/runtime.ts'
import { bearer, dialects, testConfig, throwawaySchema, until } from './helpers.ts'

const quiet = { warn: () => {}, info: () => {} }

/** Runs one CLI command as a user would, capturing what it prints. */
async function cli(config: Config, args: string[], stdin = '') {
  let out = ''
  let err = ''
  const io: CliIo = { out: (t) => (out += t), err: (t) => (err += t), readStdin: async () => stdin }
  const code = await runCli(args, () => config, io)
  return { code, out, err }
}

describe.each(dialects())(
  'the apiops CLI (%s), against the same database as a running server',
  (dialect) => {
    let config: Config
    let dir: string
    let schema: Awaited<ReturnType<typeof throwawaySchema>> | undefined
    let server: Runtime
    let app: Awaited<ReturnType<typeof buildApp>>

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'apiops-cli-'))
      const env: Record<string, string> = { APIOPS_DATA_DIR: dir }
      if (dialect === 'postgres') {
        schema = await throwawaySchema('cli')
        env.DATABASE_URL = schema.url
      }
      config = testConfig(env)
      server = await openRuntime(config, quiet)
      app = await buildApp(server)
    })

    afterAll(async () => {
      await app.close()
      await server.close()
      rmSync(dir, { recursive: true, force: true })
      await schema?.drop()
    })

    it('creates a user with roles, reading the password from stdin', async () => {
      const res = await cli(
        config,
        ['user', 'create', 'alice', '--role', 'ROLE_MANAGE_PROXIES', '--password-stdin'],
        'alice password 1\n',
      )
      expect(res).toMatchObject({ code: 0, err: '' })
      expect(res.out).toBe('created user alice (ROLE_MANAGE_PROXIES)\n')
      const list = await cli(config, ['--json', 'user', 'list'])
      expect(JSON.parse(list.out)).toMatchObject([
        { username: 'alice', roles: ['ROLE_MANAGE_PROXIES'], enabled: true },
      ])
    })

    it('sets and clears where a user is told of expiring tokens', async () => {
      const set = await cli(config, ['user', 'set-email', 'alice', 'alice@example.com'])
      expect(set).toMatchObject({ code: 0, out: 'alice: alice@example.com\n' })
      const list = JSON.parse((await cli(config, ['--json', 'user', 'list'])).out)
      expect(list).toMatchObject([{ username: 'alice', email: 'alice@example.com' }])
      const bad = await cli(config, ['user', 'set-email', 'alice', 'nope'])
      expect(bad.code).toBe(1)
      expect(bad.err).toMatch(/email must be an email address/)
      expect((await cli(config, ['user', 'set-email', 'alice'])).err).toMatch(/--clear/)
      const cleared = await cli(config, ['user', 'set-email', 'alice', '--clear'])
      expect(cleared).toMatchObject({ code: 0, out: 'alice: no email address\n' })
    })

    it('refuses bad input with a clear message and exit code 1', async () => {
      const weak = await cli(config, ['user', 'create', 'bob', '--password-stdin'], 'short\n')
      expect(weak.code).toBe(1)
      expect(weak.err).toMatch(/password must be at least 8 characters/)
      const role = await cli(config, ['user', 'grant', 'alice', 'ROLE_ROOT'])
      expect(role.code).toBe(1)
      expect(role.err).toMatch(/unknown role ROLE_ROOT/)
      const ghost = await cli(config, ['token', 'list', 'ghost'])
      expect(ghost).toMatchObject({ code: 1, err: "apiops: User 'ghost' was not found.\n" })
      const both = await cli(config, [
        'token',
        'create',
        'alice',
        '--name',
        'x',
        '--never-expires',
        '--expires',
        '2030-01-01',
      ])
      expect(both.err).toMatch(/exactly one of --expires/)
      const nopw = await cli(config, ['user', 'create', 'carol'])
      expect(nopw.err).toMatch(/--password-stdin/)
    })

    it('creates a never-expiring token, printed once, that the server accepts; revoking it from the CLI stops it', async () => {
      const res = await cli(config, [
        'token',
        'create',
        'alice',
        '--name',
        'deploy bot',
        '--never-expires',
      ])
      expect(res.code).toBe(0)
      const [headline, , token, , warning] = res.out.split('\n')
      expect(headline).toMatch(/^created token [0-9a-f]{32} "deploy bot" for alice, expires never$/)
      expect(warning).toBe('Copy it now: it will not be shown again.')
      const hello = await app.inject({
        url: '/apiops/test/hello/CLI',
        headers: bearer(token as string),
      })
      expect(hello.body).toBe('Hello CLI')

      const list = JSON.parse((await cli(config, ['--json', 'token', 'list', 'alice'])).out)
      expect(list).toMatchObject([
        { name: 'deploy bot', source: 'cli', status: 'active', expiresAt: null },
      ])
      expect(JSON.stringify(list)).not.toContain(token)

      const id = (headline as string).split(' ')[2] as string
      expect((await cli(config, ['token', 'revoke', 'alice', id])).out).toBe(
        `revoked ${id} "deploy bot"\n`,
      )
      // The server cached the token on first use; the CLI's write must still reach it.
      await until(
        'the server refuses the token the CLI revoked',
        async () =>
          (await app.inject({ url: '/apiops/me/', headers: bearer(token as string) }))
            .statusCode === 401,
      )
    })

    it('creates a dated token (valid through that day, UTC)', async () => {
      const res = await cli(config, [
        '--json',
        'token',
        'create',
        'alice',
        '--name',
        'dated',
        '--expires',
        '2099-03-01',
      ])
      expect(JSON.parse(res.out)).toMatchObject({
        name: 'dated',
        expiresAt: '2099-03-02T00:00:00.000Z',
        source: 'cli',
      })
      const past = await cli(config, [
        'token',
        'create',
        'alice',
        '--name',
        'old',
        '--expires',
        '2001-01-01',
      ])
      expect(past.err).toMatch(/expiresAt must be in the future/)
    })

    it("revokes all of a user's tokens", async () => {
      const a = JSON.parse(
        (
          await cli(config, [
            '--json',
            'token',
            'create',
            'alice',
            '--name',
            'a',
            '--never-expires',
          ])
        ).out,
      )
      expect((await app.inject({ url: '/apiops/me/', headers: bearer(a.token) })).statusCode).toBe(
        200,
      )
      const res = await cli(config, ['token', 'revoke-all', 'alice'])
      expect(res.out).toBe('revoked 2 token(s) of alice\n')
      await until(
        'the server refuses the tokens the CLI revoked',
        async () =>
          (await app.inject({ url: '/apiops/me/', headers: bearer(a.token) })).statusCode === 401,
      )
    })

    it('rotates a token with a grace period: both work until it ends; a bad grace is refused', async () => {
      const made = await cli(config, [
        '--json',
        'token',
        'create',
        'alice',
        '--name',
        'ci',
        '--never-expires',
      ])
      const old = JSON.parse(made.out)
      const res = await cli(config, [
        '--json',
        'token',
        'rotate',
        'alice',
        old.id,
        '--grace-seconds',
        '600',
      ])
      expect(res).toMatchObject({ code: 0, err: '' })
      const fresh = JSON.parse(res.out)
      expect(fresh).toMatchObject({ name: 'ci', expiresAt: null, previousTokenId: old.id })
      for (const token of [old.token, fresh.token]) {
        expect((await app.inject({ url: '/apiops/me/', headers: bearer(token) })).statusCode).toBe(
          200,
        )
      }
      const list = JSON.parse((await cli(config, ['--json', 'token', 'list', 'alice'])).out)
      const retired = list.find((t: { id: string }) => t.id === old.id)
      expect(retired).toMatchObject({ status: 'active', rotatedTo: fresh.id })
      expect(Date.parse(retired.expiresAt) - Date.now()).toBeLessThanOrEqual(600_000)
      const bad = await cli(config, [
        'token',
        'rotate',
        'alice',
        fresh.id,
        '--grace-seconds',
        '86401',
      ])
      expect(bad.code).toBe(1)
      expect(bad.err).toMatch(/--grace-seconds must be a whole number from 0 to 86400/)
    })

    it('grants and revokes roles, disables and enables, with the server following at once', async () => {
      const t = JSON.parse(
        (
          await cli(config, [
            '--json',
            'token',
            'create',
            'alice',
            '--name',
            'live',
            '--never-expires',
          ])
        ).out,
      )
      const users = () => app.inject({ url: '/apiops/users/', headers: bearer(t.token) })
      // Another administrator, so that taking ROLE_ADMIN from alice is allowed.
      await cli(
        config,
        ['user', 'create', 'root', '--role', 'ROLE_ADMIN', '--password-stdin'],
        'root password 1\n',
      )
      expect((await users()).statusCode).toBe(403)
      expect((await cli(config, ['user', 'grant', 'alice', 'ROLE_ADMIN'])).out).toBe(
        'alice has ROLE_ADMIN, ROLE_MANAGE_PROXIES\n',
      )
      await until('the grant is seen', async () => (await users()).statusCode === 200)
      expect((await cli(config, ['user', 'revoke', 'alice', 'ROLE_ADMIN'])).code).toBe(0)
      await until('the change is seen', async () => (await users()).statusCode === 403)
      expect((await cli(config, ['user', 'disable', 'alice'])).out).toBe('alice is disabled\n')
      await until('the disable is seen', async () => (await users()).statusCode === 401)
      await cli(config, ['user', 'enable', 'alice'])
      await until('the change is seen', async () => (await users()).statusCode === 403)
    })

    it('sets a password from stdin', async () => {
      expect(
        (
          await cli(
            config,
            ['user', 'set-password', 'alice', '--password-stdin'],
            'another password\n',
          )
        ).code,
      ).toBe(0)
      const login = await app.inject({
        method: 'POST',
        url: '/apiops/auth/token',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'grant_type=client_credentials&client_id=alice&client_secret=another+password',
      })
      expect(login.statusCode).toBe(200)
    })

    it("set-password revokes the user's tokens and ends their sessions; --keep-tokens keeps them", async () => {
      await cli(config, ['user', 'create', 'dana', '--password-stdin'], 'dana password 1\n')
      const newToken = async () =>
        JSON.parse(
          (
            await cli(config, [
              '--json',
              'token',
              'create',
              'dana',
              '--name',
              'ci',
              '--never-expires',
            ])
          ).out,
        ).token as string
      const login = async (password: string) => {
        const res = await app.inject({
          method: 'POST',
          url: '/apiops/session/',
          payload: { username: 'dana', password },
        })
        return `apiops_session=${res.cookies.find((c) => c.name === 'apiops_session')?.value}`
      }
      const sessionStatus = async (cookie: string) =>
        (await app.inject({ url: '/apiops/session/', headers: { cookie } })).statusCode
      const tokenStatus = async (token: string) =>
        (await app.inject({ url: '/apiops/me/', headers: bearer(token) })).statusCode

      const first = await newToken()
      expect(await tokenStatus(first)).toBe(200)
      const session = await login('dana password 1')
      const reset = await cli(
        config,
        ['user', 'set-password', 'dana', '--password-stdin'],
        'dana password 2\n',
      )
      expect(reset).toMatchObject({ code: 0, err: '' })
      expect(reset.out).toBe(
        'password of dana changed; revoked 1 token(s) and ended 1 console session(s)\n',
      )
      await until(
        'the server refuses the revoked token',
        async () => (await tokenStatus(first)) === 401,
      )
      expect(await sessionStatus(session)).toBe(401)

      const second = await newToken()
      const kept = await login('dana password 2')
      const keep = await cli(
        config,
        ['--json', 'user', 'set-password', 'dana', '--keep-tokens', '--password-stdin'],
        'dana password 3\n',
      )
      expect(keep.code).toBe(0)
      expect(JSON.parse(keep.out)).toEqual({
        username: 'dana',
        passwordChanged: true,
        revokedTokenCount: 0,
        endedSessionCount: 0,
      })
      expect(await tokenStatus(second)).toBe(200)
      expect(await sessionStatus(kept)).toBe(200)
      expect(
        (
          await cli(
            config,
            ['user', 'set-password', 'dana', '--keep-tokens', '--password-stdin'],
            'dana password 4\n',
          )
        ).out,
      ).toBe('password of dana changed; API tokens and console sessions kept\n')
    })

    it('manages projects and members', async () => {
      expect(
        (await cli(config, ['project', 'create', 'Payments', '--description', 'cards'])).out,
      ).toBe('created project Payments\n')
      expect((await cli(config, ['project', 'create', 'Payments'])).err).toMatch(/already exists/)
      expect((await cli(config, ['project', 'add-member', 'Payments', 'alice'])).out).toBe(
        'alice is a member of Payments\n',
      )
      expect(JSON.parse((await cli(config, ['--json', 'project', 'list'])).out)).toMatchObject([
        { name: 'Payments', description: 'cards' },
      ])
      expect((await cli(config, ['project', 'remove-member', 'Payments', 'alice'])).code).toBe(0)
      expect((await cli(config, ['project', 'delete', 'Payments'])).out).toBe(
        'deleted project Payments\n',
      )
    })

    it.runIf(dialect === 'sqlite')('keeps the database file readable by its owner only', () => {
      expect(statSync(join(dir, 'apiops.sqlite')).mode & 0o077).toBe(0)
    })
  },
)

describe('the master secret key file', () => {
  it('is created on first start with mode 0600, then reused', () => {
    const dir = mkdtempSync(join(tmpdir(), 'apiops-key-'))
    try {
      const config = loadConfig({ APIOPS_DATA_DIR: dir })
      const first = loadMasterSecret(config)
      expect(first.createdKeyFile).toBe(join(dir, 'secret.key'))
      expect(first.secret.length).toBe(32)
      expect(statSync(join(dir, 'secret.key')).mode & 0o777).toBe(0o600)
      const second = loadMasterSecret(config)
      expect(second.createdKeyFile).toBeNull()
      expect(second.secret.equals(first.secret)).toBe(true)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('refuses a configured secret shorter than 256 bits, listing every problem', () => {
    expect(() => loadConfig({ APIOPS_SECRET_KEY: 'c2hvcnQ=', PORT: 'abc' })).toThrow(
      /APIOPS_SECRET_KEY is too short[\s\S]*PORT must be a whole number/,
    )
  })
})
