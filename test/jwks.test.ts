import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import * as jose from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Dialect } from '../src/db/create-db.ts'
import { privateJwkContext } from '../src/resources/jwks/jwks.service.ts'
import { MASK, unseal } from '../src/sealed.ts'
import {
  CREATE_COMMON,
  CREATE_EXAMPLES,
  GENERATE_EXAMPLES,
  PARSE_EXAMPLES,
  UPDATE_EXAMPLE,
} from './fixtures/jwk-examples.ts'
import { certificateUpload } from './fixtures/multipart.ts'
import { curlBodies, jsonBlocks } from './fixtures/proxy-group-examples.ts'
import { bearer, buildTestApp, dialects, makeUser, type TestContext, tokenFor } from './helpers.ts'
import { captureLog, json, type SpecHost, serveSpecs, tableResolver } from './spec-support.ts'

const REFERENCE =
  process.env.APIOPS_REFERENCE_DOCS_JWKS ??
  '/work/shared/reference/apinizer-management-api-docs/02-api-reference/08-keys-secrets/crud'

describe.runIf(existsSync(REFERENCE))('the JWK examples', () => {
  it("are the reference pages' own", () => {
    const page = (name: string) => {
      const text = readFileSync(join(REFERENCE, `${name}.md`), 'utf8')
      return [...jsonBlocks(text), ...curlBodies(text)]
    }
    for (const e of GENERATE_EXAMPLES) expect(page('generate-jwk')).toContainEqual(e)
    expect(page('create-jwk')).toContainEqual(CREATE_COMMON)
    for (const e of Object.values(CREATE_EXAMPLES)) expect(page('create-jwk')).toContainEqual(e)
    for (const [name, , body] of PARSE_EXAMPLES) expect(page(name)).toContainEqual(body)
    expect(page('update-jwk')).toContainEqual(UPDATE_EXAMPLE)
  })
})

const P = '/apiops/projects/MyProject/jwks'
const PRIVATE = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']

describe.each(dialects())('JWKs (%s)', (dialect: Dialect) => {
  let ctx: TestContext
  let host: SpecHost
  const logged = captureLog()
  const tokens: Record<string, string> = {}
  const call = (method: string, url: string, payload?: unknown, who = 'sec') =>
    ctx.app.inject({
      method: method as 'GET',
      url,
      headers: bearer(tokens[who] as string),
      ...(payload === undefined ? {} : { payload: payload as object }),
    })
  const ok = async (method: string, url: string, payload?: unknown) => {
    const res = await call(method, url, payload)
    expect(res.statusCode, res.body).toBe(200)
    return res.json()
  }
  const refused = async (url: string, payload: unknown, field: string, status = 400) => {
    const res = await call('POST', url, payload)
    expect(res.statusCode, res.body).toBe(status)
    if (status === 400) expect(res.json().validation_errors[0].field).toBe(field)
    return res.json()
  }
  const row = (name: string) =>
    ctx.services.db
      .selectFrom('jwks')
      .selectAll()
      .where('name', '=', name)
      .executeTakeFirstOrThrow()
  /** The whole key: the public members the API answers, the private ones from the sealed row. */
  const wholeKey = async (name: string) => {
    const [got] = (await ok('GET', `${P}/${name}/`)).resultList
    const stored = await row(name)
    const secret = stored.private_jwk
      ? JSON.parse(unseal(ctx.services.atRestKey, stored.private_jwk, privateJwkContext(stored.id)))
      : {}
    return { got, publicJwk: got.publicJwk, fullJwk: { ...got.publicJwk, ...secret }, stored }
  }

  beforeAll(async () => {
    host = await serveSpecs('127.0.0.1', {})
    ctx = await buildTestApp(dialect, {
      log: logged.log,
      resolveHost: tableResolver({
        'jwks.internal': [['127.0.0.1']],
        'example.com': [['10.0.0.1']],
      }),
      env: { APIOPS_SPEC_FETCH_ALLOWLIST: 'jwks.internal' },
    })
    const users = {
      admin: ['ROLE_ADMIN'],
      sec: ['ROLE_API_SECURITY'],
      reader: [],
      stranger: ['ROLE_API_SECURITY'],
    } as const
    for (const [name, roles] of Object.entries(users)) {
      tokens[name] = (await tokenFor(ctx, (await makeUser(ctx, name, [...roles])).id)).token
    }
    await call('POST', '/apiops/projects/', { name: 'MyProject' }, 'admin')
    for (const username of ['sec', 'reader']) {
      await call('POST', '/apiops/projects/MyProject/members/', { username }, 'admin')
    }
    const env = {
      name: 'production',
      type: 'PRODUCTION',
      accessUrl: 'https://prod.example.com',
      projects: ['MyProject'],
    }
    expect((await call('POST', '/apiops/environments/', env, 'admin')).statusCode).toBe(201)
    const cert = certificateUpload('my-certificate')
    const made = await ctx.app.inject({
      method: 'POST',
      url: '/apiops/projects/MyProject/certificates/',
      headers: { ...bearer(tokens.sec as string), ...cert.headers },
      payload: cert.payload,
    })
    expect(made.statusCode, made.body).toBe(200)
  }, 60_000)
  afterAll(async () => {
    await ctx.close()
    await host.close()
  })

  it("generates from every one of the docs' examples, answering the documented shape", async () => {
    for (const example of GENERATE_EXAMPLES) {
      const answer = await ok('POST', `${P}/generate`, example)
      expect(answer).toMatchObject({
        success: true,
        deploymentResult: {
          success: true,
          environmentResults: [{ environmentName: 'production', success: true }],
        },
        jwk: { name: example.name, kid: example.kid, sourceType: 'GENERATE', type: example.type },
      })
      expect(JSON.stringify(answer)).not.toMatch(/"(d|p|q|dp|dq|qi|k)":/)
      await ok('DELETE', `${P}/${example.name}/`)
    }
  }, 60_000)

  const SIGNERS: [string, Record<string, unknown>, string][] = [
    ['RSA', { rsa: { keySize: 3072, algorithm: 'PS256' } }, 'PS256'],
    ['EC', { ec: { curveType: 'P256', algorithm: 'ES256' } }, 'ES256'],
    ['EC', { ec: { curveType: 'P384' } }, 'ES384'],
    ['EC', { ec: { curveType: 'P521' } }, 'ES512'],
    ['OCT', { oct: { keySize: 512, algorithm: 'HS512' } }, 'HS512'],
    ['OKP', { okp: { curveType: 'ED25519' } }, 'EdDSA'],
  ]
  it.each(SIGNERS)(
    'generates %s keys jose signs and verifies with (%j)',
    async (type, body, alg) => {
      const name = `sig-${alg}`
      await ok('POST', `${P}/generate`, { name, type, ...body })
      const { got, publicJwk, fullJwk, stored } = await wholeKey(name)
      const material = got[type.toLowerCase()]
      for (const member of PRIVATE) {
        if (member in material) expect(material[member]).toBe(MASK)
        expect(stored.public_jwk).not.toContain(`"${member}"`)
        const secret = (fullJwk as Record<string, string>)[member]
        if (secret) {
          expect(stored.private_jwk).not.toContain(secret)
          expect(JSON.stringify(logged.lines)).not.toContain(secret)
        }
      }
      const jws = await new jose.CompactSign(new TextEncoder().encode('payload'))
        .setProtectedHeader({ alg, kid: got.kid })
        .sign(await jose.importJWK(fullJwk, alg))
      const verifier = type === 'OCT' ? fullJwk : publicJwk
      const { payload } = await jose.compactVerify(jws, await jose.importJWK(verifier, alg))
      expect(new TextDecoder().decode(payload)).toBe('payload')
      expect(got.kid).toMatch(/^\d+$/) // TIMESTAMP, the default kid
    },
  )

  it('generates X25519 keys for ECDH-ES and secp256k1 keys that sign', async () => {
    await ok('POST', `${P}/generate`, {
      name: 'x',
      type: 'OKP',
      okp: { curveType: 'X25519', keyIdType: 'SHA256' },
    })
    const x = await wholeKey('x')
    expect(x.publicJwk).toMatchObject({
      use: 'enc',
      kid: await jose.calculateJwkThumbprint(x.publicJwk),
    })
    const jwe = await new jose.CompactEncrypt(new TextEncoder().encode('secret'))
      .setProtectedHeader({ alg: 'ECDH-ES', enc: 'A256GCM' })
      .encrypt(await jose.importJWK(x.publicJwk, 'ECDH-ES'))
    const opened = await jose.compactDecrypt(jwe, await jose.importJWK(x.fullJwk, 'ECDH-ES'))
    expect(new TextDecoder().decode(opened.plaintext)).toBe('secret')
    // jose has no ES256K: node:crypto signs with it.
    await ok('POST', `${P}/generate`, {
      name: 'k1',
      type: 'EC',
      ec: { curveType: 'SECP256K1', algorithm: 'ES256K' },
    })
    const k1 = await wholeKey('k1')
    const signature = sign(
      'sha256',
      Buffer.from('m'),
      createPrivateKey({ key: k1.fullJwk, format: 'jwk' }),
    )
    expect(
      verify(
        'sha256',
        Buffer.from('m'),
        createPublicKey({ key: k1.publicJwk, format: 'jwk' }),
        signature,
      ),
    ).toBe(true)
  })

  it.each([
    [{ type: 'RSA' }, 'rsa'],
    [{ type: 'RSA', rsa: {} }, 'rsa.keySize'],
    [{ type: 'RSA', rsa: { keySize: 1024 } }, 'rsa.keySize'],
    [{ type: 'RSA', rsa: { keySize: 2048 }, ec: { curveType: 'P256' } }, 'ec'],
    [{ type: 'RSA', rsa: { keySize: 2048, algorithm: 'ES256' } }, 'rsa.algorithm'],
    [
      { type: 'RSA', rsa: { keySize: 2048, keyUseType: 'ENCRYPTION', algorithm: 'RS256' } },
      'rsa.algorithm',
    ],
    [{ type: 'EC', ec: { curveType: 'P256', algorithm: 'ES384' } }, 'ec.algorithm'],
    [{ type: 'OCT', oct: { keySize: 128, algorithm: 'HS256' } }, 'oct.algorithm'],
    [
      { type: 'OCT', oct: { keySize: 128, keyUseType: 'ENCRYPTION', algorithm: 'A256KW' } },
      'oct.algorithm',
    ],
    [{ type: 'OKP', okp: { curveType: 'X25519', keyUseType: 'SIGNATURE' } }, 'okp.keyUseType'],
    [{ type: 'OKP', okp: { curveType: 'ED25519', algorithm: 'ECDH_ES' } }, 'okp.algorithm'],
    [{ type: 'EC', ec: { curveType: 'P256', notBeforeTime: 'soon' } }, 'ec.notBeforeTime'],
    [
      { type: 'EC', ec: { curveType: 'P256', expirationTime: '2000-01-01T00:00:00Z' } },
      'ec.expirationTime',
    ],
  ])('refuses generating %j, naming %s', async (body, field) => {
    const res = await call('POST', `${P}/generate`, { name: 'bad', ...body })
    expect(res.statusCode, res.body).toBe(400)
    expect(res.json().validation_errors.map((e: { field: string }) => e.field)).toContain(field)
  })

  it('accepts the ENCRYPTION spellings of the generate page and stores the JOSE names', async () => {
    await ok('POST', `${P}/generate`, {
      name: 'wrap',
      type: 'EC',
      ec: { curveType: 'P384', keyUseType: 'ENCRYPTION', algorithm: 'ECDH_ES_A192KW' },
    })
    const { got } = await wholeKey('wrap')
    expect(got).toMatchObject({
      useType: 'ENCRYPTION',
      algorithm: 'ECDH-ES+A192KW',
      publicJwk: { use: 'enc' },
    })
  })

  it("creates from the docs' certificate examples; missing keys and keystores answer 404", async () => {
    for (const body of [CREATE_EXAMPLES.certificate]) {
      const answer = await ok('POST', `${P}/`, body)
      expect(answer).toMatchObject({
        success: true,
        jwk: { sourceType: 'CERTIFICATE', type: 'RSA' },
      })
      const { got } = await wholeKey('my-jwk')
      expect(got.rsa).toEqual({ n: expect.any(String), e: 'AQAB' })
      expect(got.publicJwk).toMatchObject({ use: 'sig', alg: 'RS256', x5c: [expect.any(String)] })
      await ok('DELETE', `${P}/my-jwk/`)
    }
    for (const [, path, body] of PARSE_EXAMPLES) {
      const res = await call('POST', `${P}/${path}`, body)
      if (path === 'parse-from-certificate') {
        expect(res.statusCode, res.body).toBe(200)
        await ok('DELETE', `${P}/my-jwk/`)
      } else if (path === 'parse-from-key' || path === 'parse-from-keystore') {
        // No key or keystore is stored here (test/jwks-stored.test.ts makes them).
        expect(res.statusCode, res.body).toBe(404)
        expect(res.json().error_description).toMatch(/^Key(store)? 'my-(key|keystore)' in project/)
      } else {
        // The examples' key ("n": "...") is no key, and example.com is not reachable from here.
        expect(res.statusCode, res.body).toBe(400)
        expect(res.json().validation_errors[0].field).toBe(
          path === 'parse-from-url' ? 'url' : 'jwkStr',
        )
      }
    }
    for (const body of [CREATE_EXAMPLES.key, CREATE_EXAMPLES.keystore]) {
      expect((await call('POST', `${P}/`, body)).statusCode).toBe(404)
    }
    await refused(`${P}/`, CREATE_COMMON, 'url')
    await refused(`${P}/`, { ...CREATE_EXAMPLES.certificate, algorithm: 'ES256' }, 'algorithm')
    await refused(`${P}/`, { ...CREATE_EXAMPLES.certificate, environmentName: 'nowhere' }, '', 404)
    await refused(`${P}/`, { ...CREATE_EXAMPLES.certificate, certificateName: 'none' }, '', 404)
    await refused(`${P}/`, { name: 'g', sourceType: 'GENERATE' }, 'sourceType')
  })

  it('takes pasted JWKs and JWK sets, picking by kid, and keeps private members sealed', async () => {
    const ec = (await jose.exportJWK(
      (
        await jose.generateKeyPair('ES256', { extractable: true })
      ).privateKey,
    )) as jose.JWK
    const rsa = (await jose.exportJWK(
      (
        await jose.generateKeyPair('RS256', { extractable: true })
      ).publicKey,
    )) as jose.JWK
    const set = JSON.stringify({
      keys: [
        { ...ec, kid: 'one', use: 'sig', alg: 'ES256' },
        { ...rsa, kid: 'two' },
      ],
    })
    await ok('POST', `${P}/parse-from-clipboard`, { name: 'picked', jwkStr: set, kid: 'one' })
    const picked = await wholeKey('picked')
    expect(picked.got).toMatchObject({
      kid: 'one',
      type: 'EC',
      hasPrivateKey: true,
      ec: { d: MASK },
    })
    expect(picked.fullJwk.d).toBe(ec.d)
    expect(picked.stored.private_jwk).not.toContain(ec.d)
    expect(JSON.stringify(logged.lines)).not.toContain(ec.d)
    const list = await ok('GET', `${P}/`)
    expect(list.resultList.find((j: { name: string }) => j.name === 'picked')).toEqual(
      expect.objectContaining({ hasPrivateKey: true, sourceType: 'COPY_PASTE' }),
    )
    expect(JSON.stringify(list)).not.toContain('"d"')
    await refused(`${P}/parse-from-clipboard`, { name: 'y', jwkStr: set }, 'kid')
    await refused(`${P}/parse-from-clipboard`, { name: 'y', jwkStr: set, kid: 'three' }, 'kid')
    await refused(`${P}/parse-from-clipboard`, { name: 'y', jwkStr: '{not json' }, 'jwkStr')
    await refused(
      `${P}/parse-from-clipboard`,
      { name: 'y', jwkStr: JSON.stringify({ ...ec, x: rsa.n }) },
      'jwkStr',
    )
    await refused(
      `${P}/parse-from-clipboard`,
      { name: 'y', jwkStr: JSON.stringify({ ...ec, alg: 'RS256' }) },
      'jwkStr',
    )
    await refused(`${P}/parse-from-clipboard`, { name: 'y', jwkStr: 'x'.repeat(70_000) }, 'jwkStr')
    await refused(`${P}/parse-from-clipboard`, { name: 'picked', jwkStr: set, kid: 'two' }, '', 409)
  })

  it('fetches a JWK set from an allowed host, and refuses loopback and private addresses alike', async () => {
    const keyset = {
      keys: [
        { ...(await jose.exportJWK((await jose.generateKeyPair('EdDSA')).publicKey)), kid: 'ed' },
      ],
    }
    const served = await serveSpecs('127.0.0.1', { '/jwks.json': json(keyset) })
    try {
      const url = `http://jwks.internal:${served.port}/jwks.json`
      const made = await ok('POST', `${P}/parse-from-url`, { name: 'fetched', url })
      expect(made.jwk).toMatchObject({ kid: 'ed', type: 'OKP', sourceUrl: url, sourceType: 'URL' })
      const generic = await refused(
        `${P}/parse-from-url`,
        { name: 'f2', url: `http://127.0.0.1:${served.port}/jwks.json` },
        'url',
      )
      expect(generic.validation_errors[0].message).toMatch(
        /^could not be fetched from that URL\. The server fetches JWK sets/,
      )
      for (const bad of [
        'http://localhost:1/jwks.json',
        'http://10.0.0.1/x',
        'http://[::1]/x',
        'http://169.254.169.254/x',
        CREATE_EXAMPLES.url.url,
      ]) {
        const res = await call('POST', `${P}/`, { name: 'f3', sourceType: 'URL', url: bad })
        expect(res.statusCode).toBe(400)
        expect(res.json()).toEqual(generic)
      }
      const small = { name: 'f4', url, urlOptionSizeLimit: 10 }
      expect((await refused(`${P}/parse-from-url`, small, 'url')).error_description).toMatch(
        /the JWK set is larger than 10 bytes/,
      )
    } finally {
      await served.close()
    }
  })

  it('renames and describes (detaching from the source), deletes, and lets members read', async () => {
    await ok('POST', `${P}/parse-from-certificate`, PARSE_EXAMPLES[4]?.[2])
    const updated = await ok('PUT', `${P}/my-jwk/`, UPDATE_EXAMPLE)
    expect(updated).toMatchObject({ success: true, jwk: { name: 'updated-jwk', sourceId: null } })
    expect((await call('GET', `${P}/updated-jwk/`, undefined, 'reader')).statusCode).toBe(200)
    expect((await call('DELETE', `${P}/updated-jwk/`, undefined, 'reader')).statusCode).toBe(403)
    expect((await call('GET', `${P}/my-jwk/`)).statusCode).toBe(404)
    // Not a member: the project is not there, whatever the body lacks.
    expect((await call('POST', `${P}/`, CREATE_COMMON, 'stranger')).statusCode).toBe(404)
    expect((await call('GET', `${P}/updated-jwk/`, undefined, 'stranger')).statusCode).toBe(404)
    const gone = await ok('DELETE', `${P}/updated-jwk/`)
    expect(gone.deploymentResult.environmentResults[0]).toMatchObject({
      environmentName: 'production',
      message: 'Undeployed',
    })
    expect((await call('DELETE', `${P}/updated-jwk/`)).statusCode).toBe(404)
  })
})
