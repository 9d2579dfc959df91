import { createPrivateKey, createPublicKey } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../src/app.ts'
import { type CliIo, runCli } from '../src/cli/index.ts'
import type { Config } from '../src/config.ts'
import { createEnvironment } from '../src/resources/environments/environments.service.ts'
import { createProxy } from '../src/resources/proxies/proxies.writes.ts'
import { openRuntime, type Runtime } from '../src/runtime.ts'
import { GENERATE_EXAMPLES } from './fixtures/jwk-examples.ts'
import { bearer, dialects, testConfig, throwawaySchema } from './helpers.ts'

/*
 * apiops connection, credential (with access), jwk, key, keystore and certificate, on
 * the database a running server uses: what the CLI writes the server's routes answer,
 * and no password, private key or keystore file is ever printed.
 */

const quiet = { warn: () => {}, info: () => {} }
const fixture = (file: string) => new URL(`./fixtures/${file}`, import.meta.url).pathname
const PRIVATE_PEM = readFileSync(fixture('certificates/rsa.key'), 'utf8')

async function cli(config: Config, args: string[], stdin = '') {
  let out = ''
  let err = ''
  const io: CliIo = { out: (t) => (out += t), err: (t) => (err += t), readStdin: async () => stdin }
  const code = await runCli(args, () => config, io)
  return { code, out, err }
}

describe.each(dialects())('apiops security objects (%s)', (dialect) => {
  let config: Config
  let dir: string
  let schema: Awaited<ReturnType<typeof throwawaySchema>> | undefined
  let runtime: Runtime
  let app: Awaited<ReturnType<typeof buildApp>>
  let token: string
  const get = async (url: string) =>
    app.inject({ url: `/apiops/projects/Shop/${url}`, headers: bearer(token) })
  const printed: string[] = []
  const run = async (args: string[], stdin = '') => {
    const res = await cli(config, args, stdin)
    printed.push(res.out, res.err)
    return res
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'apiops-clisec-'))
    const env: Record<string, string> = { APIOPS_DATA_DIR: dir }
    if (dialect === 'postgres') {
      schema = await throwawaySchema('clisec')
      env.DATABASE_URL = schema.url
    }
    config = testConfig(env)
    runtime = await openRuntime(config, quiet)
    app = await buildApp(runtime)
    const s = app.services
    await cli(config, ['project', 'create', 'Shop'])
    await cli(
      config,
      ['user', 'create', 'root', '--role', 'ROLE_ADMIN', '--password-stdin'],
      'root password 1\n',
    )
    const t = await cli(config, [
      '--json',
      'token',
      'create',
      'root',
      '--name',
      't',
      '--never-expires',
    ])
    token = JSON.parse(t.out).token
    // The server's first authenticated request is slow (its first token check): taken here.
    expect((await app.inject({ url: '/apiops/me/', headers: bearer(token) })).statusCode).toBe(200)
    await createEnvironment(s, {
      name: 'production',
      type: 'TEST',
      accessUrl: 'https://p.example.com',
      projects: ['Shop'],
    })
    const admin = {
      userId: 't',
      username: 't',
      roles: new Set(['ROLE_ADMIN'] as const),
      tokenId: undefined,
      via: 'token' as const,
    }
    await createProxy(
      s,
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
    await runtime.close()
    rmSync(dir, { recursive: true, force: true })
    await schema?.drop()
    // Nothing the commands printed holds a secret they were given.
    const all = printed.join('\n')
    for (const secret of [
      'Mail-Secret-1',
      'Consumer-Pass-1',
      'Consumer-Pass-2',
      'changeit',
      'PRIVATE KEY',
    ]) {
      expect(all).not.toContain(secret)
    }
  })

  it('creates a connection from documented JSON, lists, reads it masked, deletes it', async () => {
    const body = {
      type: 'email',
      name: 'mailer',
      host: 'smtp.example.com',
      auth: true,
      username: 'bot',
      password: 'Mail-Secret-1',
    }
    expect((await run(['connection', 'create', 'Shop'], JSON.stringify(body))).out).toBe(
      'created email connection mailer\n',
    )
    expect((await run(['connection', 'list', 'Shop', '--type', 'email'])).out).toMatch(
      /^name\s+type\s+enabled\s+deployToWorker\s+description\nmailer\s+email\s+true\s+true\n$/,
    )
    const read = JSON.parse((await run(['--json', 'connection', 'get', 'Shop', 'mailer'])).out)
    expect(read).toEqual((await get('connections/mailer/')).json().resultList[0])
    expect(read.password).toBe('********')
    const badBody = { ...body, name: 'm2', port: 'x' }
    const bad = await run(['connection', 'create', 'Shop'], JSON.stringify(badBody))
    const server = await app.inject({
      method: 'POST',
      url: '/apiops/projects/Shop/connections/',
      headers: bearer(token),
      payload: badBody,
    })
    expect(server.statusCode).toBe(400)
    // The route's own words, to the letter.
    expect(bad).toMatchObject({ code: 1, err: `apiops: ${server.json().error_description}\n` })
    expect(bad.err).toContain('port must be integer')
    expect((await run(['connection', 'list', 'Shop', '--type', 'fax'])).err).toMatch(
      /^apiops: Validation failed: type is 'fax'; must be equal to one of/,
    )
    expect((await run(['connection', 'delete', 'Shop', 'mailer'])).out).toBe(
      'deleted connection mailer\n',
    )
    expect((await run(['connection', 'get', 'Shop', 'mailer'])).err).toContain("'mailer'")
  })

  it('creates a credential, changes its password, grants and revokes access, deletes it', async () => {
    const created = await run(
      [
        'credential',
        'create',
        'Shop',
        'mobile',
        '--email',
        'm@example.com',
        '--full-name',
        'Mobile app',
        '--role',
        'reader',
        '--password-stdin',
      ],
      'Consumer-Pass-1\n',
    )
    expect(created).toMatchObject({ code: 0, out: 'created credential mobile\n' })
    expect((await get('credentials/mobile/')).json().password).toBe('********')
    expect(
      (
        await run(
          ['credential', 'set-password', 'Shop', 'mobile', '--password-stdin'],
          'Consumer-Pass-2\n',
        )
      ).out,
    ).toBe('password of credential mobile changed\n')
    expect(
      (await run(['credential', 'set-password', 'Shop', 'mobile', '--password-stdin'], 'short\n'))
        .err,
    ).toBe('apiops: Validation failed: password must NOT have fewer than 8 characters\n')
    expect((await run(['credential', 'list', 'Shop'])).out).toMatch(
      /\nmobile\s+Mobile app\s+m@example\.com\s+true\s+false\s+reader\n$/,
    )

    expect(
      (await run(['credential', 'access', 'grant', 'Shop', 'mobile', '--proxy', 'orders'])).out,
    ).toBe('granted API_PROXY orders\n')
    expect((await get('credentials/mobile/access/')).json().resultList).toEqual([
      { name: 'orders', type: 'API_PROXY' },
    ])
    expect(
      JSON.parse((await run(['--json', 'credential', 'access', 'list', 'Shop', 'mobile'])).out),
    ).toEqual([{ name: 'orders', type: 'API_PROXY' }])
    const twice = await run([
      'credential',
      'access',
      'grant',
      'Shop',
      'mobile',
      '--proxy',
      'orders',
    ])
    expect(twice.code).toBe(1)
    expect(twice.err).toMatch(/^apiops: .*orders/)
    expect((await run(['credential', 'access', 'grant', 'Shop', 'mobile'])).err).toBe(
      'apiops: Name at least one --proxy or --proxy-group.\n',
    )
    expect(
      (await run(['credential', 'access', 'revoke', 'Shop', 'mobile', '--proxy', 'orders'])).out,
    ).toBe('revoked API_PROXY orders\n')
    expect((await get('credentials/mobile/access/')).json().resultList).toEqual([])
    const noEmail = await run([
      'credential',
      'create',
      'Shop',
      'web',
      '--full-name',
      'W',
      '--password',
      'Consumer-Pass-1',
    ])
    expect(noEmail.err).toBe('apiops: Validation failed: email is required\n')
    expect((await run(['credential', 'delete', 'Shop', 'mobile'])).out).toBe(
      'deleted credential mobile\n',
    )
    expect((await get('credentials/mobile/')).statusCode).toBe(404)
  })

  it('generates a JWK, lists, reads and deletes it; a bad body is refused', async () => {
    const example = GENERATE_EXAMPLES[1] as Record<string, unknown>
    const made = await run(['jwk', 'generate', 'Shop'], JSON.stringify(example))
    expect(made.code, made.err).toBe(0)
    expect(made.out).toBe('generated JWK generated-ec-jwk (EC, kid ec-key-1)\n')
    const read = JSON.parse((await run(['--json', 'jwk', 'get', 'Shop', 'generated-ec-jwk'])).out)
    expect(read).toEqual((await get('jwks/generated-ec-jwk/')).json().resultList[0])
    expect(read.ec.d).toBe('********')
    expect((await run(['jwk', 'list', 'Shop'])).out).toMatch(/\ngenerated-ec-jwk\s+EC\s+ec-key-1\s/)
    const bad = await run(
      ['jwk', 'generate', 'Shop'],
      JSON.stringify({ ...example, name: 'x', type: 'DSA' }),
    )
    expect(bad.err).toMatch(/^apiops: Validation failed: type must be equal to constant/)
    expect((await run(['jwk', 'delete', 'Shop', 'generated-ec-jwk'])).out).toBe(
      'deleted JWK generated-ec-jwk\n',
    )
    expect((await get('jwks/generated-ec-jwk/')).statusCode).toBe(404)
  })

  it('creates a key from PEMs and a keystore from its file; reads answer the mask', async () => {
    const publicPem = createPublicKey(createPrivateKey(PRIVATE_PEM)).export({
      type: 'spki',
      format: 'pem',
    })
    const keyBody = {
      name: 'signer',
      keyType: 'RSA',
      cryptoKeyInfoEnvironmentList: [
        { environmentName: 'production', publicKey: publicPem, privateKey: PRIVATE_PEM },
      ],
    }
    const file = join(dir, 'key.json')
    writeFileSync(file, JSON.stringify(keyBody))
    expect((await run(['key', 'create', 'Shop', file])).out).toBe('created key signer\n')
    const key = JSON.parse((await run(['--json', 'key', 'get', 'Shop', 'signer'])).out)
    expect(key).toEqual((await get('keys/signer/')).json().resultList[0])
    expect((await run(['key', 'create', 'Shop', file])).err).toContain('already exists')

    const store = await run(
      [
        'keystore',
        'create',
        'Shop',
        'gateway',
        fixture('keystore.jks'),
        '--env',
        'production',
        '--type',
        'JKS',
        '--password-stdin',
      ],
      'changeit\n',
    )
    expect(store).toMatchObject({ code: 0, out: 'created keystore gateway\n' })
    const listed = JSON.parse((await run(['--json', 'keystore', 'list', 'Shop'])).out)
    expect(listed).toEqual((await get('keystores/')).json().resultList)
    const wrong = await run([
      'keystore',
      'create',
      'Shop',
      'other',
      fixture('keystore.jks'),
      '--env',
      'production',
      '--type',
      'JKS',
      '--password',
      'nope',
    ])
    expect(wrong.code).toBe(1)
    expect(wrong.err).toMatch(/^apiops: .*keyStoreEnvironmentList/)
    expect((await run(['keystore', 'delete', 'Shop', 'gateway'])).out).toBe(
      'deleted keystore gateway\n',
    )
    expect((await run(['key', 'delete', 'Shop', 'signer'])).out).toBe('deleted key signer\n')
  })

  it('uploads a certificate with its key, exports it, deletes it', async () => {
    const made = await run([
      'certificate',
      'create',
      'Shop',
      'api',
      fixture('certificates/valid.pem'),
      '--private-key',
      fixture('certificates/rsa.key'),
    ])
    expect(made).toMatchObject({
      code: 0,
      out: 'created certificate api (C=TR, O=apiops tests, CN=api.example.com)\n',
    })
    const read = JSON.parse((await run(['--json', 'certificate', 'get', 'Shop', 'api'])).out)
    expect(read).toMatchObject({ name: 'api', hasPrivateKey: true, privateKey: '********' })
    const zip = join(dir, 'api.zip')
    expect((await run(['certificate', 'export', 'Shop', 'api', zip])).code).toBe(0)
    expect(readFileSync(zip).equals((await get('certificates/api/export/')).rawPayload)).toBe(true)
    const expired = await run([
      'certificate',
      'create',
      'Shop',
      'old',
      fixture('certificates/expired.pem'),
    ])
    expect(expired.code).toBe(1)
    expect(expired.err).toMatch(/^apiops: .*expired/)
    expect((await run(['certificate', 'delete', 'Shop', 'api'])).out).toBe(
      'deleted certificate api\n',
    )
  })
})
