import { createPrivateKey, X509Certificate } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { errors } from '../src/errors.ts'
import { privateKeyContext } from '../src/resources/certificates/certificates.service.ts'
import { MASK, unseal } from '../src/sealed.ts'
import { multipart, type Part } from './fixtures/multipart.ts'
import { buildSecurityWorld, type SecurityWorld } from './fixtures/security-objects.ts'
import { dialects } from './helpers.ts'

/** Made by test/fixtures/make-certificates.sh; certificates.json is what openssl says of them. */
const fixture = (file: string) =>
  readFileSync(new URL(`./fixtures/certificates/${file}`, import.meta.url), 'utf8')
const OPENSSL = JSON.parse(fixture('certificates.json')) as Record<
  'ca' | 'valid' | 'renewed' | 'expired' | 'future',
  Record<string, string>
>
const VALID = fixture('valid.pem')
const RENEWED = fixture('renewed.pem')
const EXPIRED = fixture('expired.pem')
const FUTURE = fixture('future.pem')
const CA = fixture('ca.pem')
const RSA_KEY = fixture('rsa.key')
const CA_KEY = fixture('ca.key')
const OTHER_KEY = fixture('other.key')
const ENCRYPTED_KEY = fixture('rsa-encrypted.key')
/** The base64 lines of a PEM: what would show if a key leaked in any form. */
const keyLines = (pem: string) => pem.split('\n').filter((l) => l.length > 20 && !l.startsWith('-'))

/** The PEM with its first base64 line changed. */
const withBodyLine = (pem: string, change: (line: string) => string) =>
  pem
    .split('\n')
    .map((line, i) => (i === 1 ? change(line) : line))
    .join('\n')

const URL_BASE = '/apiops/projects/Payments/certificates/'
describe.each(dialects())('certificates (%s)', (dialect) => {
  let w: SecurityWorld

  beforeAll(async () => {
    w = await buildSecurityWorld(dialect)
  })
  afterAll(() => w.ctx.close())

  const upload = (method: 'POST' | 'PUT', url: string, token: string, parts: Part[]) => {
    const { headers, payload } = multipart(parts)
    return w.inject({
      method,
      url,
      headers: { ...headers, authorization: `Bearer ${token}` },
      payload,
    })
  }
  const create = (parts: Part[], token = w.security) => upload('POST', URL_BASE, token, parts)
  const replace = (name: string, parts: Part[], token = w.security) =>
    upload('PUT', `${URL_BASE}${name}/`, token, parts)
  const row = (name: string) =>
    w.ctx.store.db
      .selectFrom('certificates')
      .innerJoin('projects', 'projects.id', 'certificates.project_id')
      .selectAll('certificates')
      .where('projects.name', '=', 'Payments')
      .where('certificates.name', '=', name)
      .executeTakeFirstOrThrow()
  const storedKey = async (name: string) => {
    const r = await row(name)
    return r.private_key === null
      ? null
      : unseal(w.ctx.services.atRestKey, r.private_key, privateKeyContext(r.id))
  }
  const failure = (res: { json(): { validation_errors?: { field: string; message: string }[] } }) =>
    res.json().validation_errors ?? []

  it('uploads a certificate with its key, reading it exactly as openssl does', async () => {
    const res = await create([
      ['name', 'api-tls'],
      ['description', 'TLS for api.example.com'],
      ['alias', 'api-tls-2025'],
      ['pemEncodedFile', VALID, 'file'],
      ['privateKeyFile', RSA_KEY, 'file'],
    ])
    expect(res.statusCode, res.body).toBe(200)
    const { valid } = OPENSSL
    expect(res.json()).toEqual({
      status: 'SUCCESS',
      success: true,
      deploymentResult: expect.objectContaining({ success: true }),
      certificateEnvironmentList: [expect.objectContaining({ alias: 'api-tls-2025' })],
      name: 'api-tls',
      description: 'TLS for api.example.com',
      alias: 'api-tls-2025',
      subject: valid.subject,
      issuer: valid.issuer,
      serialNumber: valid.serialNumber,
      notBefore: valid.notBefore,
      notAfter: valid.notAfter,
      validity: 'VALID',
      fingerprintSha256: valid.fingerprintSha256,
      sha1Thumbprint: valid.sha1Thumbprint,
      hasPrivateKey: true,
      privateKey: MASK,
      pem: VALID.trim().concat('\n'),
      createdAt: '2026-01-15T10:00:00.000Z',
      updatedAt: '2026-01-15T10:00:00.000Z',
    })
    expect(valid.subject).toBe('C=TR, O=apiops tests, CN=api.example.com')
  })

  it("takes the PEM as a text field and Apinizer's field names, without a key", async () => {
    const res = await create([
      ['certificateName', 'partner'],
      ['certificateDescription', 'Issued by our test CA'],
      ['pemEncodedFile', RENEWED],
    ])
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json()).toMatchObject({
      name: 'partner',
      description: 'Issued by our test CA',
      alias: 'partner',
      subject: OPENSSL.renewed.subject,
      issuer: OPENSSL.ca.subject,
      serialNumber: OPENSSL.renewed.serialNumber,
      fingerprintSha256: OPENSSL.renewed.fingerprintSha256,
      hasPrivateKey: false,
      privateKey: null,
    })
  })

  it('accepts a certificate that is not valid yet, and reports validity by the clock', async () => {
    const res = await create([
      ['name', 'next-year'],
      ['pemEncodedFile', FUTURE, 'file'],
    ])
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json()).toMatchObject({
      validity: 'NOT_YET_VALID',
      notBefore: OPENSSL.future.notBefore,
      notAfter: OPENSSL.future.notAfter,
    })
    const validityAt = async (iso: string) => {
      w.ctx.clock.set(iso)
      return (await w.call('GET', `${URL_BASE}next-year/`, w.developer)).json().validity
    }
    try {
      expect(await validityAt('2030-01-01T00:00:00.000Z')).toBe('VALID')
      expect(await validityAt('2039-12-31T23:59:59.999Z')).toBe('VALID')
      expect(await validityAt('2040-01-01T00:00:00.000Z')).toBe('EXPIRED')
    } finally {
      w.ctx.clock.set('2026-01-15T10:00:00.000Z')
    }
  })

  it('lists by name, sorts by expiry, and lets members without the role read', async () => {
    const names = async (query: string) =>
      (await w.call('GET', `${URL_BASE}${query}`, w.developer))
        .json()
        .resultList.map((c: { name: string }) => c.name)
    expect(await names('')).toEqual(['api-tls', 'next-year', 'partner'])
    expect(await names('?sort=notAfter,desc')).toEqual(['partner', 'api-tls', 'next-year'])
    expect(await names('?sort=alias&size=1&page=0')).toEqual(['api-tls'])
    const one = await w.call('GET', `${URL_BASE}api-tls`, w.developer)
    expect(one.statusCode).toBe(200)
    expect(one.json().privateKey).toBe(MASK)
    const missing = await w.call('GET', `${URL_BASE}nope/`, w.developer)
    expect(missing.json()).toEqual(
      errors.notFound("Certificate 'nope' in project 'Payments'").toJSON(),
    )
  })

  it('refuses writes to members without ROLE_API_SECURITY before reading the form', async () => {
    const denied = errors.missingRole('ROLE_API_SECURITY').toJSON()
    const parts: Part[] = [
      ['name', 'dev-cert'],
      ['pemEncodedFile', VALID, 'file'],
    ]
    expect((await create(parts, w.developer)).json()).toEqual(denied)
    expect((await replace('api-tls', parts, w.developer)).json()).toEqual(denied)
    const garbage = await w.inject({
      method: 'POST',
      url: URL_BASE,
      headers: {
        authorization: `Bearer ${w.developer}`,
        'content-type': multipart([]).headers['content-type'] as string,
      },
      payload: 'not a multipart body at all',
    })
    expect(garbage.statusCode).toBe(403)
    const del = await w.call('DELETE', `${URL_BASE}api-tls/`, w.developer)
    expect(del.statusCode).toBe(403)
    expect(del.json()).toEqual(denied)
  })

  it('answers 404 to non-members exactly as for a project that does not exist', async () => {
    const hidden = errors.notFound("Project 'Payments'").toJSON()
    const parts: Part[] = [
      ['name', 'spy'],
      ['pemEncodedFile', VALID, 'file'],
    ]
    for (const res of [
      await w.call('GET', URL_BASE, w.outsider),
      await w.call('GET', `${URL_BASE}api-tls/`, w.outsider),
      await create(parts, w.outsider),
      await replace('api-tls', parts, w.outsider),
      await w.call('DELETE', `${URL_BASE}api-tls/`, w.outsider),
    ]) {
      expect(res.statusCode).toBe(404)
      expect(res.json()).toEqual(hidden)
    }
    const ghost = await w.call('GET', '/apiops/projects/Ghost/certificates/', w.admin)
    expect(ghost.json()).toEqual(errors.notFound("Project 'Ghost'").toJSON())
  })

  it('refuses a duplicate name, and an alias already used ignoring case, with 409', async () => {
    const dup = await create([
      ['name', 'api-tls'],
      ['pemEncodedFile', VALID, 'file'],
    ])
    expect(dup.statusCode).toBe(409)
    expect(dup.json()).toEqual(
      errors.duplicateName("Certificate 'api-tls' in project 'Payments'").toJSON(),
    )
    const alias = await create([
      ['name', 'api-tls-copy'],
      ['alias', 'API-TLS-2025'],
      ['pemEncodedFile', VALID, 'file'],
    ])
    expect(alias.statusCode).toBe(409)
    expect(alias.json().error).toBe('duplicate_name')
    expect(alias.json().error_description).toBe(
      "Alias 'api-tls-2025' (aliases are compared ignoring case, as keystores do) of certificate 'api-tls' in project 'Payments' already exists.",
    )
    // Another project has its own names.
    const elsewhere = await upload('POST', '/apiops/projects/Internal/certificates/', w.outsider, [
      ['name', 'api-tls'],
      ['alias', 'api-tls-2025'],
      ['pemEncodedFile', VALID, 'file'],
    ])
    expect(elsewhere.statusCode).toBe(200)
  })

  const refusals: [string, Part[], string, string | RegExp][] = [
    [
      'an expired certificate',
      [['pemEncodedFile', EXPIRED, 'file']],
      'pemEncodedFile',
      'holds a certificate that expired on 2020-01-01T00:00:00.000Z (it is now 2026-01-15T10:00:00.000Z); upload a current one',
    ],
    [
      'a malformed certificate block',
      [['pemEncodedFile', withBodyLine(VALID, (line) => 'A'.repeat(line.length)), 'file']],
      'pemEncodedFile',
      'holds a CERTIFICATE block that does not decode to an X.509 certificate; check that it was copied completely',
    ],
    [
      'a certificate block that is not base64',
      [['pemEncodedFile', withBodyLine(VALID, (line) => `!!!!${line.slice(4)}`), 'file']],
      'pemEncodedFile',
      /does not decode to an X\.509 certificate/,
    ],
    [
      'text that is not PEM',
      [['pemEncodedFile', 'hello, I am not a certificate', 'file']],
      'pemEncodedFile',
      /^is not PEM text: it has no "-----BEGIN CERTIFICATE-----" line \(convert a binary DER file first/,
    ],
    [
      'a certificate cut short',
      [['pemEncodedFile', VALID.slice(0, 300), 'file']],
      'pemEncodedFile',
      'has a -----BEGIN line without its matching -----END line; the file may have been cut short',
    ],
    [
      'a private key in place of the certificate',
      [['pemEncodedFile', OTHER_KEY, 'file']],
      'pemEncodedFile',
      'holds a PRIVATE KEY: send the private key as privateKeyFile, never inside the certificate file',
    ],
    [
      'a certificate and its key in one file',
      [['pemEncodedFile', VALID + RSA_KEY, 'file']],
      'pemEncodedFile',
      /^holds a PRIVATE KEY: send the private key as privateKeyFile/,
    ],
    [
      'two certificates',
      [['pemEncodedFile', VALID + CA, 'file']],
      'pemEncodedFile',
      'holds 2 certificates; upload exactly one (a chain or bundle is not accepted: upload each certificate on its own)',
    ],
    [
      'a key that belongs to another certificate',
      [
        ['pemEncodedFile', VALID, 'file'],
        ['privateKeyFile', OTHER_KEY, 'file'],
      ],
      'privateKeyFile',
      'does not match the certificate: it is not the private key of the public key in pemEncodedFile',
    ],
    [
      'an encrypted key',
      [
        ['pemEncodedFile', VALID, 'file'],
        ['privateKeyFile', ENCRYPTED_KEY, 'file'],
      ],
      'privateKeyFile',
      /^is encrypted with a passphrase/,
    ],
    [
      'a certificate in place of the key',
      [
        ['pemEncodedFile', VALID, 'file'],
        ['privateKeyFile', CA, 'file'],
      ],
      'privateKeyFile',
      'holds a CERTIFICATE, not a PRIVATE KEY',
    ],
    [
      'an empty key file',
      [
        ['pemEncodedFile', VALID, 'file'],
        ['privateKeyFile', '', 'file'],
      ],
      'privateKeyFile',
      'is empty',
    ],
    ['no certificate at all', [], 'pemEncodedFile', 'is required'],
    [
      'a field this endpoint does not take',
      [
        ['pemEncodedFile', VALID, 'file'],
        ['keystorePassword', 'secret'],
      ],
      'keystorePassword',
      'is not a known field',
    ],
    [
      'an environment the project may not use',
      [
        ['pemEncodedFile', VALID, 'file'],
        ['environmentList', 'production,nowhere'],
      ],
      'environmentList',
      /names 'nowhere', which is not an environment/,
    ],
    [
      'an alias a keystore cannot hold',
      [
        ['pemEncodedFile', VALID, 'file'],
        ['alias', 'my alias'],
      ],
      'alias',
      'must be letters, digits and . _ @ + - only, starting with a letter or digit',
    ],
    [
      'a field sent twice',
      [
        ['pemEncodedFile', VALID, 'file'],
        ['pemEncodedFile', FUTURE, 'file'],
      ],
      'pemEncodedFile',
      'was sent more than once',
    ],
  ]
  it.each(refusals)('refuses %s with 400, saying why', async (_, parts, field, message) => {
    const name = parts.some(([n]) => n === 'name') ? [] : ([['name', 'refused']] as Part[])
    const res = await create([...name, ...parts])
    expect(res.statusCode, res.body).toBe(400)
    expect(res.json().error).toBe('validation_failed')
    const issues = failure(res)
    expect(issues.map((i) => i.field)).toEqual([field])
    if (typeof message === 'string') expect(issues[0]?.message).toBe(message)
    else expect(issues[0]?.message).toMatch(message)
    expect(res.json().error_description).toContain(field)
  })

  it('answers 413 naming the limit for an oversize file, field or form', async () => {
    const padded = `${'# padding\n'.repeat(7000)}${VALID}` // ~70 KiB
    const big = await create([
      ['name', 'big'],
      ['pemEncodedFile', padded, 'file'],
    ])
    expect(big.statusCode).toBe(413)
    expect(big.json()).toEqual({
      error: 'payload_too_large',
      error_description:
        'The file pemEncodedFile is larger than 65536 bytes, the limit for each uploaded file. A PEM certificate or key is a few KiB.',
    })
    const bigField = await create([
      ['name', 'big'],
      ['pemEncodedFile', padded],
    ])
    expect(bigField.statusCode).toBe(413)
    expect(bigField.json().error_description).toMatch(/field pemEncodedFile is larger than 65536/)
    const threeFiles = await create([
      ['name', 'many'],
      ['pemEncodedFile', VALID, 'file'],
      ['privateKeyFile', RSA_KEY, 'file'],
      ['extra', CA, 'file'],
    ])
    expect(threeFiles.statusCode).toBe(400)
    expect(threeFiles.json().error_description).toMatch(/more parts than this endpoint takes/)
    // Nothing was stored by any of them.
    expect((await w.call('GET', URL_BASE, w.security)).json().resultCount).toBe(3)
  })

  it('answers 415 to a body that is not multipart', async () => {
    for (const [contentType, payload] of [
      ['application/json', JSON.stringify({ name: 'x', pemEncodedFile: VALID })],
      ['text/plain', VALID],
    ]) {
      const res = await w.inject({
        method: 'POST',
        url: URL_BASE,
        headers: { authorization: `Bearer ${w.security}`, 'content-type': contentType as string },
        payload,
      })
      expect(res.statusCode, contentType).toBe(415)
      expect(res.json()).toEqual(
        errors.unsupportedMediaType(contentType as string, 'multipart/form-data').toJSON(),
      )
    }
  })

  it('stores the private key sealed, bound to its row, and never answers it', async () => {
    const r = await row('api-tls')
    expect(r.private_key?.startsWith('v1.')).toBe(true)
    for (const line of keyLines(RSA_KEY)) expect(JSON.stringify(r)).not.toContain(line)
    const key = (await storedKey('api-tls')) as string
    expect(new X509Certificate(VALID).checkPrivateKey(createPrivateKey(key))).toBe(true)
    // Under another row's binding, the same key and ciphertext do not open.
    const other = await row('partner')
    expect(() =>
      unseal(w.ctx.services.atRestKey, r.private_key as string, privateKeyContext(other.id)),
    ).toThrow()
    expect(() =>
      unseal(w.ctx.services.atRestKey, r.private_key as string, `connections:${r.id}:secret`),
    ).toThrow()
  })

  it('replaces a certificate, keeping a stored key that belongs to the new one', async () => {
    w.ctx.clock.advance(60_000)
    const res = await replace('api-tls', [
      ['pemEncodedFile', RENEWED, 'file'],
      ['description', 'Renewed by the CA'],
      ['alias', 'api-tls-2026'],
    ])
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json()).toMatchObject({
      name: 'api-tls',
      description: 'Renewed by the CA',
      alias: 'api-tls-2026',
      serialNumber: OPENSSL.renewed.serialNumber,
      issuer: OPENSSL.ca.subject,
      notAfter: OPENSSL.renewed.notAfter,
      fingerprintSha256: OPENSSL.renewed.fingerprintSha256,
      hasPrivateKey: true,
      privateKey: MASK,
      createdAt: '2026-01-15T10:00:00.000Z',
      updatedAt: '2026-01-15T10:01:00.000Z',
    })
    const key = (await storedKey('api-tls')) as string
    expect(new X509Certificate(RENEWED).checkPrivateKey(createPrivateKey(key))).toBe(true)
    // The old alias is free again.
    const reuse = await create([
      ['name', 'old-alias'],
      ['alias', 'api-tls-2025'],
      ['pemEncodedFile', VALID, 'file'],
    ])
    expect(reuse.statusCode).toBe(200)
  })

  it('refuses a replacement the stored key does not belong to, unless told what to do', async () => {
    const refused = await replace('api-tls', [['pemEncodedFile', FUTURE, 'file']])
    expect(refused.statusCode).toBe(400)
    expect(failure(refused)).toEqual([
      {
        field: 'privateKeyFile',
        message:
          "is required: the stored private key does not belong to the new certificate; send the new certificate's key, or removePrivateKey=true to drop the stored one",
      },
    ])
    const both = await replace('api-tls', [
      ['pemEncodedFile', FUTURE, 'file'],
      ['privateKeyFile', CA_KEY, 'file'],
      ['removePrivateKey', 'true'],
    ])
    expect(failure(both).map((i) => i.field)).toEqual(['removePrivateKey'])
    const expired = await replace('api-tls', [['pemEncodedFile', EXPIRED, 'file']])
    expect(failure(expired)[0]?.message).toMatch(/expired on 2020-01-01T00:00:00\.000Z/)
    expect((await row('api-tls')).serial_number).toBe(OPENSSL.renewed.serialNumber)

    const withKey = await replace('api-tls', [
      ['pemEncodedFile', FUTURE, 'file'],
      ['privateKeyFile', CA_KEY, 'file'],
      ['alias', 'api-tls-2026'],
    ])
    expect(withKey.statusCode, withKey.body).toBe(200)
    expect(withKey.json()).toMatchObject({ validity: 'NOT_YET_VALID', hasPrivateKey: true })
    const key = (await storedKey('api-tls')) as string
    expect(new X509Certificate(FUTURE).checkPrivateKey(createPrivateKey(key))).toBe(true)

    const dropped = await replace('api-tls', [
      ['pemEncodedFile', VALID, 'file'],
      ['removePrivateKey', 'true'],
    ])
    expect(dropped.statusCode, dropped.body).toBe(200)
    expect(dropped.json()).toMatchObject({
      hasPrivateKey: false,
      privateKey: null,
      // PUT replaces: alias and description left out fall back to their defaults.
      alias: 'api-tls',
      description: '',
    })
    expect((await row('api-tls')).private_key).toBeNull()
  })

  it('refuses a rename or a missing certificate on PUT', async () => {
    const renamed = await replace('api-tls', [
      ['name', 'other'],
      ['pemEncodedFile', VALID, 'file'],
    ])
    expect(failure(renamed)).toEqual([
      {
        field: 'name',
        message: "must be 'api-tls', the name in the path: certificates cannot be renamed",
      },
    ])
    const same = await replace('api-tls', [
      ['name', 'api-tls'],
      ['pemEncodedFile', VALID, 'file'],
    ])
    expect(same.statusCode).toBe(200)
    const missing = await replace('nope', [['pemEncodedFile', VALID, 'file']])
    expect(missing.statusCode).toBe(404)
  })

  it('deletes a certificate with its key', async () => {
    const res = await w.call('DELETE', `${URL_BASE}partner/`, w.security)
    expect(res.json()).toEqual({
      status: 'SUCCESS',
      success: true,
      deploymentResult: expect.objectContaining({ message: expect.stringMatching(/^Undeployed/) }),
    })
    expect((await w.call('DELETE', `${URL_BASE}partner/`, w.admin)).statusCode).toBe(404)
    expect((await w.call('GET', `${URL_BASE}partner/`, w.admin)).statusCode).toBe(404)
  })

  it('never answered or logged a private key', () => {
    const everything = w.answers.join('\n')
    expect(everything).toContain('api-tls')
    const log = w.logLines.join('')
    expect(log).toContain('/certificates/')
    // An RSA private key holds its public modulus too: a line of it may match the
    // certificate's public key as answered in one base64 line; that part is not secret.
    const publicDer = [VALID, RENEWED, FUTURE, CA]
      .map((pem) => new X509Certificate(pem).raw.toString('base64'))
      .join(' ')
    for (const key of [RSA_KEY, CA_KEY, OTHER_KEY]) {
      for (const line of keyLines(key).filter((l) => !publicDer.includes(l))) {
        expect(everything).not.toContain(line)
        expect(log).not.toContain(line)
      }
    }
  })
})
