import { generateKeyPairSync, type KeyObject, X509Certificate } from 'node:crypto'
import * as jose from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Dialect } from '../src/db/create-db.ts'
import type { Role } from '../src/identity/users/roles.ts'
import { privateJwkContext } from '../src/resources/jwks/jwks.service.ts'
import { sealContext } from '../src/resources/keystores/keystores.service.ts'
import { MASK, seal, unseal } from '../src/sealed.ts'
import { CREATE_EXAMPLES, PARSE_EXAMPLES } from './fixtures/jwk-examples.ts'
import { CREATE_KEY_EXAMPLE } from './fixtures/key-examples.ts'
import { JKS, pkcs12With } from './fixtures/keystore-files.ts'
import { bearer, buildTestApp, dialects, makeUser, type TestContext, tokenFor } from './helpers.ts'
import { captureLog } from './spec-support.ts'

/*
 * JWKs made from stored keys and keystores (the parse-from-key and parse-from-keystore
 * pages, and create with sourceType PUBLIC_KEY, PRIVATE_KEY and KEYSTORE): the pages'
 * bodies verbatim, against a key "my-key" and a keystore "my-keystore" with alias
 * "my-alias" made beforehand from real material.
 */

const P = '/apiops/projects/MyProject/jwks'
const body = (page: string) =>
  (PARSE_EXAMPLES.find(([name]) => name === page) as [string, string, Record<string, unknown>])[2]
const FROM_KEY = body('parse-jwk-from-key')
const FROM_KEYSTORE = body('parse-jwk-from-keystore')

const der = (key: KeyObject, type: 'spki' | 'pkcs8') =>
  key.export({ type, format: 'der' } as never).toString('base64')
const pair = (type: 'rsa' | 'ec', option: number | string) =>
  type === 'rsa'
    ? generateKeyPairSync('rsa', { modulusLength: option as number })
    : generateKeyPairSync('ec', { namedCurve: option as string })
const entry = (
  environmentName: string,
  keys: { publicKey: KeyObject; privateKey?: KeyObject },
) => ({
  environmentName,
  publicKey: der(keys.publicKey, 'spki'),
  ...(keys.privateKey ? { privateKey: der(keys.privateKey, 'pkcs8') } : {}),
})

describe.each(dialects())('JWKs from stored keys and keystores (%s)', (dialect: Dialect) => {
  let ctx: TestContext
  const logged = captureLog()
  const answers: string[] = []
  const t: Record<string, string> = {}
  const production = pair('rsa', 2048)
  const staging = pair('rsa', 2048)
  const ecPublic = pair('ec', 'P-256')
  const P12_PASSWORD = 'p12-Store-Secret'
  const p12 = pkcs12With(P12_PASSWORD, 'jwks.example.test', 'my-alias')
  const call = async (method: string, url: string, payload?: unknown, who = 'sec') => {
    const res = await ctx.app.inject({
      method: method as 'GET',
      url,
      headers: bearer(t[who] as string),
      ...(payload === undefined ? {} : { payload: payload as object }),
    })
    answers.push(res.body)
    return res
  }
  const ok = async (method: string, url: string, payload?: unknown, who = 'sec') => {
    const res = await call(method, url, payload, who)
    expect(res.statusCode, res.body).toBe(200)
    return res.json()
  }
  const refused = async (
    url: string,
    payload: object,
    status: number,
    field: string,
    words: RegExp,
  ) => {
    const res = await call('POST', url, payload)
    expect(res.statusCode, res.body).toBe(status)
    if (status === 400) expect(res.json().validation_errors[0].field).toBe(field)
    expect(res.json().error_description).toMatch(words)
  }
  /** What the API answers for a JWK, and the whole key: its sealed members opened. */
  const wholeKey = async (name: string) => {
    const [got] = (await ok('GET', `${P}/${name}/`)).resultList
    const row = await ctx.store.db
      .selectFrom('jwks')
      .selectAll()
      .where('name', '=', name)
      .executeTakeFirstOrThrow()
    const secret = row.private_jwk
      ? JSON.parse(unseal(ctx.services.atRestKey, row.private_jwk, privateJwkContext(row.id)))
      : {}
    return { got, full: { ...got.publicJwk, ...secret } as jose.JWK, row }
  }
  /** Signs with the stored JWK (its private members opened) and verifies with `verifier`. */
  const signs = async (jwk: jose.JWK, alg: string, verifier: KeyObject) => {
    const jws = await new jose.CompactSign(new TextEncoder().encode('payload'))
      .setProtectedHeader({ alg })
      .sign(await jose.importJWK(jwk, alg))
    const { payload } = await jose.compactVerify(jws, verifier)
    expect(new TextDecoder().decode(payload)).toBe('payload')
  }

  beforeAll(async () => {
    ctx = await buildTestApp(dialect, { log: logged.log })
    const users: Record<string, Role[]> = {
      admin: ['ROLE_ADMIN'],
      sec: ['ROLE_API_SECURITY'],
      reader: [],
      stranger: ['ROLE_API_SECURITY'],
    }
    for (const [name, roles] of Object.entries(users)) {
      t[name] = (await tokenFor(ctx, (await makeUser(ctx, name, roles)).id)).token
    }
    expect(
      (await call('POST', '/apiops/projects/', { name: 'MyProject' }, 'admin')).statusCode,
    ).toBe(201)
    for (const username of ['sec', 'reader']) {
      await call('POST', '/apiops/projects/MyProject/members/', { username }, 'admin')
    }
    for (const name of ['production', 'staging', 'elsewhere']) {
      const env = { name, type: 'TEST', accessUrl: `https://${name}.example.com` }
      const projects = name === 'elsewhere' ? [] : ['MyProject']
      const res = await call('POST', '/apiops/environments/', { ...env, projects }, 'admin')
      expect(res.statusCode, res.body).toBe(201)
    }
    const key = (name: string, keyType: string, entries: object[]) =>
      ok(
        'POST',
        '/apiops/projects/MyProject/keys/',
        {
          ...CREATE_KEY_EXAMPLE,
          name,
          keyType,
          cryptoKeyInfoEnvironmentList: entries,
        },
        'admin',
      )
    await key('my-key', 'RSA', [
      entry('production', production),
      entry('staging', { publicKey: staging.publicKey }),
    ])
    await key('ec-key', 'EC', [entry('production', { publicKey: ecPublic.publicKey })])
    await key('staging-only', 'EC', [entry('staging', pair('ec', 'P-256'))])
    await key('p224-key', 'EC', [entry('production', pair('ec', 'secp224r1'))])
    await key('small-rsa', 'RSA', [entry('production', pair('rsa', 1024))])
    const keystore = (name: string, list: object[]) =>
      ok(
        'POST',
        '/apiops/projects/MyProject/keystores/',
        { name, keyStoreEnvironmentList: list },
        'admin',
      )
    await keystore('my-keystore', [
      { environmentName: 'production', type: 'PKCS12', file: p12.file, password: P12_PASSWORD },
      { environmentName: 'staging', type: 'JKS', file: JKS, password: 'changeit' },
    ])
    await keystore('tampered', [
      { environmentName: 'production', type: 'JKS', file: JKS, password: 'changeit' },
    ])
  }, 60_000)
  afterAll(() => ctx.close())

  it("takes the parse-from-key page's body verbatim: the stored private key, sealed", async () => {
    const answer = await ok('POST', `${P}/parse-from-key`, FROM_KEY)
    const keyRow = await ctx.store.db
      .selectFrom('crypto_keys')
      .select('id')
      .where('name', '=', 'my-key')
      .executeTakeFirstOrThrow()
    expect(answer).toMatchObject({
      success: true,
      deploymentResult: {
        success: true,
        environmentResults: [{ environmentName: 'production' }, { environmentName: 'staging' }],
      },
      jwk: {
        name: 'my-jwk',
        description: 'JWK from key',
        sourceType: 'PRIVATE_KEY',
        sourceId: keyRow.id,
        type: 'RSA',
        useType: 'SIGNATURE',
        algorithm: 'RS256',
        hasPrivateKey: true,
      },
    })
    const { got, full, row } = await wholeKey('my-jwk')
    expect(got.rsa).toMatchObject({
      e: 'AQAB',
      d: MASK,
      p: MASK,
      q: MASK,
      dp: MASK,
      dq: MASK,
      qi: MASK,
    })
    expect(got.publicJwk).toEqual({
      ...production.publicKey.export({ format: 'jwk' }),
      use: 'sig',
      alg: 'RS256',
    })
    const privateD = (production.privateKey.export({ format: 'jwk' }) as jose.JWK).d as string
    expect(full.d).toBe(privateD)
    expect(row.private_jwk).not.toContain(privateD)
    await signs(full, 'RS256', production.publicKey)
    await ok('DELETE', `${P}/my-jwk/`)
  })

  it("takes create's PUBLIC_KEY body verbatim, and PRIVATE_KEY, and keys for encryption", async () => {
    const made = await ok('POST', `${P}/`, CREATE_EXAMPLES.key)
    expect(made.jwk).toMatchObject({ sourceType: 'PUBLIC_KEY', hasPrivateKey: false, type: 'RSA' })
    const publicOnly = await wholeKey('my-jwk')
    expect(publicOnly.row.private_jwk).toBeNull()
    expect(publicOnly.got.rsa).toEqual({ n: expect.any(String), e: 'AQAB' })
    await ok('DELETE', `${P}/my-jwk/`)
    const both = { ...CREATE_EXAMPLES.key, sourceType: 'PRIVATE_KEY' }
    expect((await ok('POST', `${P}/`, both)).jwk).toMatchObject({
      sourceType: 'PRIVATE_KEY',
      hasPrivateKey: true,
    })
    await signs((await wholeKey('my-jwk')).full, 'RS256', production.publicKey)
    await ok('DELETE', `${P}/my-jwk/`)
    // Staging holds the public half only: the parse route takes that.
    const staged = await ok('POST', `${P}/parse-from-key`, {
      ...FROM_KEY,
      name: 'staged',
      environmentName: 'staging',
    })
    expect(staged.jwk).toMatchObject({ sourceType: 'PUBLIC_KEY', hasPrivateKey: false })
    expect((await wholeKey('staged')).got.rsa.n).toBe(staging.publicKey.export({ format: 'jwk' }).n)
    const oaep = { ...FROM_KEY, name: 'oaep', useType: 'ENCRYPTION', algorithm: 'RSA-OAEP-256' }
    await ok('POST', `${P}/parse-from-key`, oaep)
    const { full, got } = await wholeKey('oaep')
    expect(got.publicJwk).toMatchObject({ use: 'enc', alg: 'RSA-OAEP-256' })
    const jwe = await new jose.CompactEncrypt(new TextEncoder().encode('secret'))
      .setProtectedHeader({ alg: 'RSA-OAEP-256', enc: 'A256GCM' })
      .encrypt(production.publicKey)
    const opened = await jose.compactDecrypt(jwe, await jose.importJWK(full, 'RSA-OAEP-256'))
    expect(new TextDecoder().decode(opened.plaintext)).toBe('secret')
    const ec = await ok('POST', `${P}/parse-from-key`, {
      ...FROM_KEY,
      name: 'ec',
      keyName: 'ec-key',
      algorithm: 'ES256',
    })
    expect(ec.jwk).toMatchObject({ type: 'EC', sourceType: 'PUBLIC_KEY', algorithm: 'ES256' })
  })

  it("takes the parse-from-keystore page's body verbatim: the alias's key, with its certificate", async () => {
    const answer = await ok('POST', `${P}/parse-from-keystore`, FROM_KEYSTORE)
    expect(answer.jwk).toMatchObject({
      name: 'my-jwk',
      sourceType: 'KEYSTORE',
      kid: 'my-alias',
      type: 'RSA',
      hasPrivateKey: true,
      algorithm: 'RS256',
    })
    const { got, full } = await wholeKey('my-jwk')
    expect(got.publicJwk).toMatchObject({
      kid: 'my-alias',
      n: (p12.publicKey.export({ format: 'jwk' }) as jose.JWK).n,
      x5c: [p12.certificateDer.toString('base64')],
    })
    expect(got.rsa.d).toBe(MASK)
    await signs(full, 'RS256', new X509Certificate(p12.certificateDer).publicKey)
    await ok('DELETE', `${P}/my-jwk/`)
    const created = await ok('POST', `${P}/`, CREATE_EXAMPLES.keystore)
    expect(created.jwk).toMatchObject({ sourceType: 'KEYSTORE', hasPrivateKey: true })
    await ok('DELETE', `${P}/my-jwk/`)
  })

  it('reads JKS entries: an EC private key, and a trusted certificate as a public JWK', async () => {
    const jks = { ...FROM_KEYSTORE, environmentName: 'staging', algorithm: 'ES256' }
    const made = await ok('POST', `${P}/parse-from-keystore`, {
      ...jks,
      name: 'gw',
      aliasName: 'GATEWAY',
    })
    expect(made.jwk).toMatchObject({ kid: 'gateway', type: 'EC', hasPrivateKey: true })
    const gw = await wholeKey('gw')
    const x5c = gw.got.publicJwk.x5c as string[]
    await signs(
      gw.full,
      'ES256',
      new X509Certificate(Buffer.from(x5c[0] as string, 'base64')).publicKey,
    )
    const ca = await ok('POST', `${P}/parse-from-keystore`, {
      ...jks,
      name: 'ca',
      aliasName: 'trusted-ca',
    })
    expect(ca.jwk).toMatchObject({ kid: 'trusted-ca', type: 'EC', hasPrivateKey: false })
    expect((await wholeKey('ca')).got.publicJwk.x, 'the same key as the entry').toBe(
      gw.got.publicJwk.x,
    )
  })

  it('answers each documented error: missing key, keystore, alias, environment; wrong algorithm', async () => {
    const key = `${P}/parse-from-key`
    const store = `${P}/parse-from-keystore`
    await refused(
      key,
      { ...FROM_KEY, keyName: 'none' },
      404,
      '',
      /^Key 'none' in project 'MyProject'/,
    )
    await refused(store, { ...FROM_KEYSTORE, keyStoreName: 'none' }, 404, '', /^Keystore 'none'/)
    await refused(
      `${P}/`,
      { ...CREATE_EXAMPLES.keystore, keyStoreName: 'none' },
      404,
      '',
      /Keystore 'none'/,
    )
    await refused(
      key,
      { ...FROM_KEY, environmentName: 'elsewhere' },
      404,
      '',
      /Environment 'elsewhere'/,
    )
    await refused(
      key,
      { ...FROM_KEY, keyName: 'staging-only' },
      400,
      'environmentName',
      /holds nothing/,
    )
    await refused(
      store,
      { ...FROM_KEYSTORE, aliasName: 'nope' },
      400,
      'aliasName',
      /\(aliases: my-alias\)/,
    )
    const privateOfPublic = {
      ...CREATE_EXAMPLES.key,
      sourceType: 'PRIVATE_KEY',
      keyName: 'ec-key',
      algorithm: 'ES256',
    }
    await refused(`${P}/`, privateOfPublic, 400, 'sourceType', /holds only a public key/)
    await refused(
      key,
      { ...FROM_KEY, algorithm: 'ES256' },
      400,
      'algorithm',
      /does not fit a RSA key/,
    )
    await refused(key, { ...FROM_KEY, algorithm: 'RSA' }, 400, 'algorithm', /one of: RS256/)
    await refused(key, { ...FROM_KEY, useType: 'ENCRYPTION' }, 400, 'algorithm', /RSA-OAEP-256/)
    await refused(
      key,
      { ...FROM_KEY, keyName: 'ec-key', algorithm: 'ES384' },
      400,
      'algorithm',
      /P-384/,
    )
    await refused(store, { ...FROM_KEYSTORE, algorithm: 'EdDSA' }, 400, 'algorithm', /RSA key/)
    await refused(
      key,
      { ...FROM_KEY, keyName: 'p224-key', algorithm: 'ES256' },
      400,
      'keyName',
      /curve|JWK form/,
    )
    await refused(key, { ...FROM_KEY, keyName: 'small-rsa' }, 400, 'keyName', /1024 bits/)
    await refused(
      `${P}/`,
      { ...CREATE_EXAMPLES.key, keyName: undefined },
      400,
      'keyName',
      /required when sourceType is PUBLIC_KEY/,
    )
    await refused(
      `${P}/`,
      { ...CREATE_EXAMPLES.keystore, aliasName: undefined },
      400,
      'aliasName',
      /required/,
    )
    await ok('POST', key, { ...FROM_KEY, name: 'taken' })
    await refused(store, { ...FROM_KEYSTORE, name: 'taken' }, 409, '', /JWK 'taken'/)
    // Roles: a member without ROLE_API_SECURITY, and a stranger, as for every JWK write.
    expect((await call('POST', key, FROM_KEY, 'reader')).statusCode).toBe(403)
    expect((await call('POST', store, FROM_KEYSTORE, 'stranger')).statusCode).toBe(404)
  })

  it('refuses a keystore whose stored password no longer opens it, naming the keystore', async () => {
    const row = await ctx.store.db
      .selectFrom('keystores')
      .selectAll()
      .where('name', '=', 'tampered')
      .executeTakeFirstOrThrow()
    const stored = JSON.parse(row.environments)
    stored[0].password = seal(
      ctx.services.atRestKey,
      'not-the-password',
      sealContext(row.id, stored[0].environmentId, 'password'),
    )
    await ctx.store.db
      .updateTable('keystores')
      .set({ environments: JSON.stringify(stored) })
      .where('id', '=', row.id)
      .execute()
    const asked = {
      ...FROM_KEYSTORE,
      keyStoreName: 'tampered',
      aliasName: 'gateway',
      algorithm: 'ES256',
    }
    await refused(`${P}/parse-from-keystore`, asked, 400, 'keyStoreName', /wrong password/)
  })

  it('never answers, logs or audits a secret, and records each JWK with its source type', async () => {
    const secrets = [
      der(production.privateKey, 'pkcs8').slice(20, 80),
      (production.privateKey.export({ format: 'jwk' }) as jose.JWK).d as string,
      (p12.privateKey.export({ format: 'jwk' }) as jose.JWK).d as string,
      p12.file.slice(40, 120),
      JKS.slice(40, 120),
      P12_PASSWORD,
      'changeit',
    ]
    await ctx.services.audit.flush()
    const audit = await ctx.store.db.selectFrom('audit_events').selectAll().execute()
    const texts = [
      ...answers,
      ...logged.lines.map((l) => JSON.stringify(l)),
      ...audit.map((a) => JSON.stringify(a)),
    ]
    for (const text of texts) for (const secret of secrets) expect(text).not.toContain(secret)
    const created = audit.filter((a) => a.action === 'jwk.created').map((a) => a.target)
    for (const source of ['PRIVATE_KEY', 'PUBLIC_KEY', 'KEYSTORE']) {
      expect(created).toContain(`project=MyProject jwk=my-jwk sourceType=${source}`)
    }
    const failed = audit.filter(
      (a) => a.action === 'request.failed' && a.target.includes('parseJwkFromKeystore'),
    )
    expect(failed.length).toBeGreaterThan(0)
  })
})
