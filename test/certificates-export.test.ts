import { X509Certificate } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import yauzl from 'yauzl'
import { KEYS_REFERENCE, shapeOf } from './fixtures/key-examples.ts'
import { multipart, type Part } from './fixtures/multipart.ts'
import { jsonBlocks } from './fixtures/proxy-group-examples.ts'
import { buildSecurityWorld, type SecurityWorld } from './fixtures/security-objects.ts'
import { dialects } from './helpers.ts'

/*
 * The documented side of certificates: the Apinizer form (certificateName, alias,
 * certificateDescription, environmentList), certificateEnvironmentList on read, the
 * export ZIP and an environment's truststore.
 */

const VALID = readFileSync(new URL('./fixtures/certificates/valid.pem', import.meta.url), 'utf8')
const DER = new X509Certificate(VALID).raw

/** The documented Example 2 form, the file being ours. */
const EXAMPLE_FORM: Part[] = [
  ['certificateName', 'my-certificate'],
  ['alias', 'my-cert-alias'],
  ['certificateDescription', 'SSL certificate for API'],
  ['environmentList', 'production,staging,development'],
  ['pemEncodedFile', VALID, 'file'],
]

describe.runIf(existsSync(KEYS_REFERENCE))('the certificate examples', () => {
  it("are the reference pages' own", () => {
    const page = readFileSync(join(KEYS_REFERENCE, 'create-certificate.md'), 'utf8')
    for (const [name, value, file] of EXAMPLE_FORM) {
      expect(page).toContain(file ? `-F "${name}=@certificate.pem"` : `-F "${name}=${value}"`)
    }
    const list = readFileSync(join(KEYS_REFERENCE, 'list-certificates.md'), 'utf8')
    const documented = jsonBlocks(list)[0] as { resultList: object[] }
    expect(Object.keys(shapeOf(documented.resultList[0]) as object)).toEqual([
      'name',
      'description',
      'certificateEnvironmentList',
    ])
  })
})

/** The archive's entries as bytes. */
async function unzip(bytes: Buffer): Promise<Map<string, Buffer>> {
  const archive = await yauzl.fromBufferPromise(bytes, { lazyEntries: true })
  const out = new Map<string, Buffer>()
  for (;;) {
    const entry = await new Promise<yauzl.Entry | null>((resolve, reject) => {
      archive
        .once('entry', resolve)
        .once('end', () => resolve(null))
        .once('error', reject)
      archive.readEntry()
    })
    if (!entry) break
    archive.removeAllListeners()
    const chunks: Buffer[] = []
    for await (const c of await archive.openReadStreamPromise(entry)) chunks.push(c as Buffer)
    out.set(entry.fileName, Buffer.concat(chunks))
  }
  return out
}

const URL_ = '/apiops/projects/Payments/certificates/'

describe.each(dialects())('certificate export and truststore (%s)', (dialect) => {
  let w: SecurityWorld
  const upload = (method: 'POST' | 'PUT', url: string, parts: Part[]) => {
    const form = multipart(parts)
    return w.inject({
      method,
      url,
      headers: { ...form.headers, authorization: `Bearer ${w.security}` },
      payload: form.payload,
    })
  }

  beforeAll(async () => {
    w = await buildSecurityWorld(dialect)
    for (const name of ['staging', 'development']) {
      const res = await w.call('POST', '/apiops/environments/', w.admin, {
        name,
        type: 'TEST',
        accessUrl: `https://${name}.example`,
        projects: ['Payments'],
      })
      expect(res.statusCode, res.body).toBe(201)
    }
  })
  afterAll(() => w.ctx.close())

  it('takes the documented form and answers each environment', async () => {
    const res = await upload('POST', URL_, EXAMPLE_FORM)
    expect(res.statusCode, res.body).toBe(200)
    expect(
      res
        .json()
        .deploymentResult.environmentResults.map(
          (r: { environmentName: string }) => r.environmentName,
        ),
    ).toEqual(['development', 'production', 'staging'])
    const one = (await w.call('GET', `${URL_}my-certificate/`, w.developer)).json()
    expect(one.success).toBe(true)
    expect(one.resultList[0].certificateEnvironmentList).toHaveLength(3)
    expect(one.resultList[0].certificateEnvironmentList[0]).toEqual({
      environmentName: 'development',
      startDate: one.notBefore,
      endDate: one.notAfter,
      base64EncodedContent: DER.toString('base64'),
      sha1Thumbprint: one.sha1Thumbprint.replaceAll(':', ''),
      subjectDn: one.subject,
      alias: 'my-cert-alias',
    })
  })

  it('exports a ZIP with one DER .cer per environment, to members', async () => {
    const res = await w.call('GET', `${URL_}my-certificate/export/`, w.developer)
    expect(res.statusCode, res.body).toBe(200)
    expect(res.headers['content-type']).toBe('application/octet-stream')
    expect(res.headers['content-disposition']).toContain(
      'filename="my-certificate-certificates.zip"',
    )
    const files = await unzip(res.rawPayload)
    expect([...files.keys()].sort()).toEqual([
      'my-certificate-development.cer',
      'my-certificate-production.cer',
      'my-certificate-staging.cer',
    ])
    for (const bytes of files.values()) expect(bytes.equals(DER)).toBe(true)
    const again = await w.call('GET', `${URL_}my-certificate/export/`, w.developer)
    expect(again.rawPayload.equals(res.rawPayload)).toBe(true)
    expect((await w.call('GET', `${URL_}my-certificate/export/`, w.outsider)).statusCode).toBe(404)
    expect((await w.call('GET', `${URL_}nope/export/`, w.developer)).statusCode).toBe(404)
  })

  it("lists an environment's truststore, and follows environmentList on update", async () => {
    const store = async (env: string) =>
      (await w.call('GET', `${URL_}truststore/${env}/`, w.developer)).json().resultList
    expect(await store('staging')).toEqual([
      {
        name: 'my-certificate',
        description: 'SSL certificate for API',
        certificateEnvironmentList: [expect.objectContaining({ environmentName: 'staging' })],
      },
    ])
    const put = await upload('PUT', `${URL_}my-certificate/?updateReferencedJwks=false`, [
      ['alias', 'updated-cert-alias'],
      ['certificateDescription', 'Updated SSL certificate'],
      ['environmentList', 'production'],
      ['pemEncodedFile', VALID, 'file'],
    ])
    expect(put.statusCode, put.body).toBe(200)
    expect(await store('staging')).toEqual([])
    expect((await store('production'))[0].certificateEnvironmentList[0].alias).toBe(
      'updated-cert-alias',
    )
    const missing = await w.call('GET', `${URL_}truststore/nowhere/`, w.developer)
    expect(missing.statusCode).toBe(400)
    expect(missing.json().error_description).toContain('environmentName')
    const files = await unzip(
      (await w.call('GET', `${URL_}my-certificate/export/`, w.security)).rawPayload,
    )
    expect([...files.keys()]).toEqual(['my-certificate-production.cer'])
  })
})
