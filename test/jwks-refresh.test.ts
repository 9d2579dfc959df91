import { generateKeyPairSync, type KeyObject } from 'node:crypto'
import type * as jose from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Dialect } from '../src/db/create-db.ts'
import { privateJwkContext } from '../src/resources/jwks/jwks.service.ts'
import { unseal } from '../src/sealed.ts'
import { pkcs12With } from './fixtures/keystore-files.ts'
import { multipart, type Part } from './fixtures/multipart.ts'
import { bearer, buildTestApp, dialects, makeUser, type TestContext, tokenFor } from './helpers.ts'

/*
 * updateReferencedJwks=true on key, keystore and certificate updates: the JWKs made from
 * the source are derived again from it as updated (same environment, use, algorithm,
 * half or alias), in the update's transaction; without the flag they stay as they were.
 * And a JWK from a certificate needs the certificate assigned to the environment named.
 */

const MY = '/apiops/projects/MyProject'
const OTHER = '/apiops/projects/Other'
const FLAG = (scope: string) => `?updateReferencedJwks=true&updateScope=${scope}`

const der = (key: KeyObject, type: 'spki' | 'pkcs8') =>
  key.export({ type, format: 'der' } as never).toString('base64')
const rsa = () => generateKeyPairSync('rsa', { modulusLength: 2048 })
const n = (key: KeyObject) => (key.export({ format: 'jwk' }) as jose.JWK).n
const keyBody = (pair: { publicKey: KeyObject; privateKey?: KeyObject }, name = 'my-key') => ({
  name,
  keyType: 'RSA',
  cryptoKeyInfoEnvironmentList: [
    {
      environmentName: 'production',
      publicKey: der(pair.publicKey, 'spki'),
      ...(pair.privateKey ? { privateKey: der(pair.privateKey, 'pkcs8') } : {}),
    },
  ],
})
const fromKey = (name: string) => ({
  name,
  keyName: 'my-key',
  environmentName: 'production',
  useType: 'SIGNATURE',
  algorithm: 'RS256',
})
const pem = (certificateDer: Buffer) =>
  `-----BEGIN CERTIFICATE-----\n${certificateDer.toString('base64')}\n-----END CERTIFICATE-----\n`

describe.each(dialects())('JWKs refreshed from their source (%s)', (dialect: Dialect) => {
  let ctx: TestContext
  let token = ''
  const call = async (method: string, url: string, payload?: unknown, headers = {}) =>
    ctx.app.inject({
      method: method as 'GET',
      url,
      headers: { ...bearer(token), ...headers },
      ...(payload === undefined ? {} : { payload: payload as object }),
    })
  const ok = async (method: string, url: string, payload?: unknown) => {
    const res = await call(method, url, payload)
    expect(res.statusCode, res.body).toBe(200)
    return res.json()
  }
  const jwk = async (project: string, name: string) =>
    (await ok('GET', `${project}/jwks/${name}/`)).resultList[0]
  /** The stored private members, opened. */
  const privateOf = async (name: string) => {
    const row = await ctx.store.db
      .selectFrom('jwks')
      .selectAll()
      .where('name', '=', name)
      .executeTakeFirstOrThrow()
    return JSON.parse(
      unseal(ctx.services.atRestKey, row.private_jwk as string, privateJwkContext(row.id)),
    )
  }
  const certificate = (method: 'POST' | 'PUT', url: string, parts: Part[]) => {
    const form = multipart(parts)
    return call(method, url, form.payload, form.headers)
  }

  beforeAll(async () => {
    ctx = await buildTestApp(dialect)
    token = (await tokenFor(ctx, (await makeUser(ctx, 'admin', ['ROLE_ADMIN'])).id)).token
    for (const name of ['MyProject', 'Other']) {
      expect((await call('POST', '/apiops/projects/', { name })).statusCode).toBe(201)
    }
    for (const name of ['production', 'staging']) {
      const env = { name, type: 'TEST', accessUrl: `https://${name}.example.com` }
      const res = await call('POST', '/apiops/environments/', {
        ...env,
        projects: ['MyProject', 'Other'],
      })
      expect(res.statusCode, res.body).toBe(201)
    }
  }, 60_000)
  afterAll(() => ctx.close())

  it('leaves the JWKs as they were without the flag; derives them again with it', async () => {
    const first = rsa()
    await ok('POST', `${MY}/keys/`, keyBody(first))
    // A key of the same name in another project, and a JWK made from it.
    const others = rsa()
    await ok('POST', `${OTHER}/keys/`, keyBody(others))
    await ok('POST', `${OTHER}/jwks/parse-from-key`, fromKey('theirs'))
    await ok('POST', `${MY}/jwks/parse-from-key`, fromKey('mine'))
    await ok('POST', `${MY}/jwks/`, { ...fromKey('public'), sourceType: 'PUBLIC_KEY' })
    expect((await jwk(MY, 'mine')).publicJwk.n).toBe(n(first.publicKey))

    const second = rsa()
    const plain = await ok('PUT', `${MY}/keys/my-key/`, keyBody(second))
    expect(plain.referencedJwks).toBeUndefined()
    expect((await jwk(MY, 'mine')).publicJwk.n, 'no flag: unchanged').toBe(n(first.publicKey))
    expect((await privateOf('mine')).d).toBe(
      (first.privateKey.export({ format: 'jwk' }) as jose.JWK).d,
    )
    const off = await ok('PUT', `${MY}/keys/my-key/?updateReferencedJwks=false`, keyBody(second))
    expect(off.referencedJwks).toBeUndefined()
    expect((await jwk(MY, 'mine')).publicJwk.n).toBe(n(first.publicKey))

    const answer = await ok('PUT', `${MY}/keys/my-key/${FLAG('SAME_PROJECT')}`, keyBody(second))
    expect(answer).toMatchObject({ success: true, deploymentResult: { success: true } })
    expect(answer.referencedJwks).toEqual({
      updateScope: 'SAME_PROJECT',
      refreshed: [
        { projectName: 'MyProject', jwkName: 'mine', sourceType: 'PRIVATE_KEY', kid: null },
        { projectName: 'MyProject', jwkName: 'public', sourceType: 'PUBLIC_KEY', kid: null },
      ],
      notRefreshed: [],
    })
    const mine = await jwk(MY, 'mine')
    expect(mine.publicJwk).toMatchObject({ n: n(second.publicKey), use: 'sig', alg: 'RS256' })
    expect(mine).toMatchObject({
      sourceType: 'PRIVATE_KEY',
      hasPrivateKey: true,
      rsa: { d: '********' },
    })
    expect((await privateOf('mine')).d).toBe(
      (second.privateKey.export({ format: 'jwk' }) as jose.JWK).d,
    )
    expect((await jwk(MY, 'public')).publicJwk.n).toBe(n(second.publicKey))
    expect((await jwk(OTHER, 'theirs')).publicJwk.n, "another project's key").toBe(
      n(others.publicKey),
    )
    await ctx.services.audit.flush()
    const refreshed = await ctx.store.db
      .selectFrom('audit_events')
      .select('target')
      .where('action', '=', 'jwk.refreshed')
      .execute()
    expect(refreshed.map((r) => r.target).sort()).toEqual([
      'project=MyProject jwk=mine sourceType=PRIVATE_KEY',
      'project=MyProject jwk=public sourceType=PUBLIC_KEY',
    ])
  })

  it('ALL_PROJECTS refreshes every JWK made from the source, and none made from another', async () => {
    const third = rsa()
    const answer = await ok('PUT', `${MY}/keys/my-key/${FLAG('ALL_PROJECTS')}`, keyBody(third))
    expect(answer.referencedJwks.updateScope).toBe('ALL_PROJECTS')
    expect(answer.referencedJwks.refreshed.map((r: { jwkName: string }) => r.jwkName)).toEqual([
      'mine',
      'public',
    ])
    expect((await jwk(MY, 'mine')).publicJwk.n).toBe(n(third.publicKey))
    const theirs = await jwk(OTHER, 'theirs')
    expect(theirs.publicJwk.n).not.toBe(n(third.publicKey))
    // The other project's key, updated with ALL_PROJECTS, refreshes its own JWK only.
    const fourth = rsa()
    const other = await ok('PUT', `${OTHER}/keys/my-key/${FLAG('ALL_PROJECTS')}`, keyBody(fourth))
    expect(other.referencedJwks.refreshed).toEqual([
      { projectName: 'Other', jwkName: 'theirs', sourceType: 'PRIVATE_KEY', kid: null },
    ])
    expect((await jwk(MY, 'mine')).publicJwk.n).toBe(n(third.publicKey))
  })

  it('refuses the whole update (409, nothing changed) when a JWK cannot follow it', async () => {
    const before = await jwk(MY, 'mine')
    const keyBefore = (await ok('GET', `${MY}/keys/my-key/`)).resultList[0]
    // The JWKs sign with RS256; an EC key cannot serve them.
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    const res = await call('PUT', `${MY}/keys/my-key/${FLAG('SAME_PROJECT')}`, {
      ...keyBody(ec),
      keyType: 'EC',
    })
    expect(res.statusCode, res.body).toBe(409)
    expect(res.json().error_description).toMatch(
      /JWK 'mine' in project 'MyProject'.*its algorithm .*updateReferencedJwks/,
    )
    expect(await jwk(MY, 'mine')).toEqual(before)
    expect((await ok('GET', `${MY}/keys/my-key/`)).resultList[0]).toEqual(keyBefore)
    const missingScope = await call(
      'PUT',
      `${MY}/keys/my-key/?updateReferencedJwks=true`,
      keyBody(rsa()),
    )
    expect(missingScope.statusCode).toBe(400)
    expect(missingScope.json().validation_errors[0].field).toBe('updateScope')
  })

  it('reports a JWK made before its inputs were kept as not refreshable, and updates the rest', async () => {
    await ok('POST', `${MY}/jwks/parse-from-key`, fromKey('legacy'))
    // As a row stored before migration 0028: no inputs.
    await ctx.store.db
      .updateTable('jwks')
      .set({ source_inputs: null })
      .where('name', '=', 'legacy')
      .execute()
    const before = await jwk(MY, 'legacy')
    const fifth = rsa()
    const answer = await ok('PUT', `${MY}/keys/my-key/${FLAG('SAME_PROJECT')}`, keyBody(fifth))
    expect(answer.referencedJwks.notRefreshed).toEqual([
      {
        projectName: 'MyProject',
        jwkName: 'legacy',
        reason: expect.stringMatching(/cannot be derived again/),
      },
    ])
    expect(answer.referencedJwks.refreshed.map((r: { jwkName: string }) => r.jwkName)).toEqual([
      'mine',
      'public',
    ])
    expect(await jwk(MY, 'legacy')).toEqual(before)
    expect((await jwk(MY, 'mine')).publicJwk.n).toBe(n(fifth.publicKey))
    // A renamed JWK no longer follows its source (its link is dropped, as documented).
    await ok('PUT', `${MY}/jwks/public/`, { name: 'renamed' })
    const sixth = await ok('PUT', `${MY}/keys/my-key/${FLAG('SAME_PROJECT')}`, keyBody(rsa()))
    expect(sixth.referencedJwks.refreshed.map((r: { jwkName: string }) => r.jwkName)).toEqual([
      'mine',
    ])
  })

  it('refreshes JWKs made from a keystore alias when the keystore is replaced', async () => {
    const store = (file: string) => ({
      name: 'my-keystore',
      keyStoreEnvironmentList: [
        { environmentName: 'production', type: 'PKCS12', file, password: 'pw-123456' },
      ],
    })
    const old = pkcs12With('pw-123456', 'old.example.test', 'my-alias')
    await ok('POST', `${MY}/keystores/`, store(old.file))
    await ok('POST', `${MY}/jwks/parse-from-keystore`, {
      name: 'stored',
      keyStoreName: 'my-keystore',
      aliasName: 'MY-ALIAS',
      environmentName: 'production',
      useType: 'SIGNATURE',
      algorithm: 'PS256',
    })
    const renewed = pkcs12With('pw-123456', 'new.example.test', 'my-alias')
    const answer = await ok(
      'PUT',
      `${MY}/keystores/my-keystore/${FLAG('SAME_PROJECT')}`,
      store(renewed.file),
    )
    expect(answer.referencedJwks.refreshed).toEqual([
      { projectName: 'MyProject', jwkName: 'stored', sourceType: 'KEYSTORE', kid: 'my-alias' },
    ])
    const got = await jwk(MY, 'stored')
    expect(got.publicJwk).toMatchObject({
      kid: 'my-alias',
      alg: 'PS256',
      n: n(renewed.publicKey),
      x5c: [renewed.certificateDer.toString('base64')],
    })
    // An alias the new file lacks: the JWK cannot follow, so nothing changes.
    const lacking = pkcs12With('pw-123456', 'x.example.test', 'another')
    const res = await call(
      'PUT',
      `${MY}/keystores/my-keystore/${FLAG('ALL_PROJECTS')}`,
      store(lacking.file),
    )
    expect(res.statusCode, res.body).toBe(409)
    expect(res.json().error_description).toMatch(/JWK 'stored'.*aliasName/)
    expect((await jwk(MY, 'stored')).publicJwk.n).toBe(n(renewed.publicKey))
  })

  it('makes a JWK from a certificate only for its environments, and refreshes it on replace', async () => {
    const a = pkcs12With('x', 'a.example.test')
    const b = pkcs12With('x', 'b.example.test')
    const made = await certificate('POST', `${MY}/certificates/`, [
      ['name', 'my-certificate'],
      ['environmentList', 'production'],
      ['pemEncodedFile', pem(a.certificateDer)],
    ])
    expect(made.statusCode, made.body).toBe(200)
    const asked = {
      name: 'cert-jwk',
      certificateName: 'my-certificate',
      environmentName: 'staging',
      useType: 'SIGNATURE',
      algorithm: 'RS256',
    }
    for (const url of [`${MY}/jwks/parse-from-certificate`, `${MY}/jwks/`]) {
      const res = await call('POST', url, {
        ...asked,
        sourceType: url.endsWith('/') ? 'CERTIFICATE' : undefined,
      })
      expect(res.statusCode, res.body).toBe(400)
      expect(res.json().validation_errors[0]).toEqual({
        field: 'environmentName',
        message: expect.stringMatching(
          /'staging', to which certificate 'my-certificate' is not assigned \(its environments: production\)/,
        ),
      })
    }
    await ok('POST', `${MY}/jwks/parse-from-certificate`, {
      ...asked,
      environmentName: 'production',
    })
    expect((await jwk(MY, 'cert-jwk')).publicJwk.n).toBe(n(a.publicKey))
    const replace = (certificateDer: Buffer, query = '', environmentList = 'production') =>
      certificate('PUT', `${MY}/certificates/my-certificate/${query}`, [
        ['environmentList', environmentList],
        ['pemEncodedFile', pem(certificateDer)],
      ])
    expect((await replace(b.certificateDer)).json().referencedJwks).toBeUndefined()
    expect((await jwk(MY, 'cert-jwk')).publicJwk.n, 'no flag: unchanged').toBe(n(a.publicKey))
    const res = await replace(b.certificateDer, FLAG('SAME_PROJECT'))
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json()).toMatchObject({
      success: true,
      name: 'my-certificate',
      referencedJwks: {
        updateScope: 'SAME_PROJECT',
        refreshed: [
          { projectName: 'MyProject', jwkName: 'cert-jwk', sourceType: 'CERTIFICATE', kid: null },
        ],
        notRefreshed: [],
      },
    })
    expect((await jwk(MY, 'cert-jwk')).publicJwk).toMatchObject({
      n: n(b.publicKey),
      x5c: [b.certificateDer.toString('base64')],
    })
    // Moving the certificate off the JWK's environment, with the flag: refused, unchanged.
    const moved = await replace(a.certificateDer, FLAG('SAME_PROJECT'), 'staging')
    expect(moved.statusCode, moved.body).toBe(409)
    expect(moved.json().error_description).toMatch(/JWK 'cert-jwk'.*not assigned/)
    const kept = (await ok('GET', `${MY}/certificates/my-certificate/`)).resultList[0]
    expect(
      kept.certificateEnvironmentList.map((e: { environmentName: string }) => e.environmentName),
    ).toEqual(['production'])
    expect((await jwk(MY, 'cert-jwk')).publicJwk.n).toBe(n(b.publicKey))
  })
})
