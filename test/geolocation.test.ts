import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Dialect } from '../src/db/create-db.ts'
import { testMmdb } from './fixtures/mmdb.ts'
import { jsonBlocks } from './fixtures/proxy-group-examples.ts'
import { specForm } from './fixtures/spec-upload.ts'
import { bearer, buildTestApp, dialects, makeUser, type TestContext, tokenFor } from './helpers.ts'

const REFERENCE =
  '/work/shared/reference/apinizer-management-api-docs/02-api-reference/13-geolocation'
const G = '/apiops/settings/geolocation'

/** The documented answer of all three pages (checked against them when they are here). */
const DOCUMENTED = {
  success: true,
  deploymentResult: {
    success: true,
    message: 'Deployment completed successfully',
    environmentResults: [
      { environmentName: 'production', success: true, message: 'Deployed successfully' },
    ],
  },
}

describe.runIf(existsSync(REFERENCE))('the geolocation pages', () => {
  it('document the answer this test checks the shape of', () => {
    for (const page of ['enable-geolocation.md', 'disable-geolocation.md', 'upload-mmdb-file.md']) {
      expect(jsonBlocks(readFileSync(join(REFERENCE, page), 'utf8'))).toContainEqual(DOCUMENTED)
    }
  })
})

describe.each(dialects())('geolocation (%s)', (dialect: Dialect) => {
  let ctx: TestContext
  let admin: string
  let user: string
  beforeAll(async () => {
    ctx = await buildTestApp(dialect)
    admin = (await tokenFor(ctx, (await makeUser(ctx, 'root', ['ROLE_ADMIN'])).id)).token
    user = (await tokenFor(ctx, (await makeUser(ctx, 'ops', ['ROLE_MANAGE_PROXIES'])).id)).token
    await ctx.app.inject({
      method: 'POST',
      url: '/apiops/environments/',
      headers: bearer(admin),
      payload: { name: 'production', type: 'PRODUCTION', accessUrl: 'https://p.example' },
    })
  })
  afterAll(() => ctx.close())

  const upload = (bytes: Uint8Array, fileName?: string, field = 'file', token = admin) => {
    const form = specForm([
      { name: field, value: bytes, filename: 'GeoLite2-Country.mmdb' },
      ...(fileName === undefined ? [] : [{ name: 'fileName', value: fileName }]),
    ])
    return ctx.app.inject({
      method: 'PUT',
      url: `${G}/mmdb`,
      headers: { ...bearer(token), ...form.headers },
      payload: form.payload,
    })
  }
  const put = (path: string, token = admin) =>
    ctx.app.inject({ method: 'PUT', url: `${G}/${path}`, headers: bearer(token) })
  const state = async () => (await ctx.app.inject({ url: G, headers: bearer(admin) })).json()

  it('is off with no database, and refuses to turn on until one is uploaded (fail closed)', async () => {
    expect(await state()).toEqual({ enabled: false, database: null })
    const refused = await put('enable')
    expect(refused.statusCode).toBe(409)
    expect(refused.json().error_description).toContain('Upload a MaxMind database first')
    expect(ctx.services.settings.geolocationEnabled).toBe(false)
  })

  it('refuses what is not a MaxMind database, saying why, and keeps nothing', async () => {
    const cases: [string, Uint8Array, string][] = [
      ['random bytes', new Uint8Array(4096).fill(7), 'is not a MaxMind database'],
      [
        'a PNG',
        Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'),
        'is not a MaxMind database',
      ],
      ['an empty file', new Uint8Array(0), 'is empty'],
    ]
    cases.push([
      'a tree larger than the file (truncated or forged)',
      testMmdb({ declaredNodeCount: 1_000_000 }),
      'declares a search tree larger than the file',
    ])
    for (const [what, bytes, message] of cases) {
      const res = await upload(bytes)
      expect(res.statusCode, what).toBe(400)
      expect(res.json().validation_errors?.[0]?.field, what).toBe('file')
      expect(res.json().error_description, what).toContain(message)
    }
    expect((await state()).database).toBeNull()
  })

  it('takes a database, answers as documented, and reports what it holds', async () => {
    const bytes = testMmdb()
    const res = await upload(bytes, 'GeoLite2-Country-2026-11.mmdb')
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json()).toEqual({
      status: 'SUCCESS',
      success: true,
      deploymentResult: {
        success: true,
        message: 'Deployed to 1 environment',
        environmentResults: [{ environmentName: 'production', success: true, message: 'Deployed' }],
      },
    })
    expect((await state()).database).toEqual({
      fileName: 'GeoLite2-Country-2026-11.mmdb',
      size: bytes.length,
      sha256: (await import('node:crypto')).createHash('sha256').update(bytes).digest('hex'),
      databaseType: 'apiops-Test-Country',
      ipVersion: 4,
      buildEpoch: '2025-12-01T00:00:00.000Z',
      uploadedAt: ctx.clock.now().toISOString(),
      uploadedBy: 'root',
    })
    const stored = await ctx.store.db
      .selectFrom('geolocation_database')
      .select('content')
      .executeTakeFirstOrThrow()
    expect(Buffer.from(stored.content).equals(bytes)).toBe(true)
    // Without fileName, the uploaded file's own name; a second upload replaces the first.
    await upload(testMmdb({ databaseType: 'apiops-Test-City' }))
    expect((await state()).database).toMatchObject({
      fileName: 'GeoLite2-Country.mmdb',
      databaseType: 'apiops-Test-City',
    })
  })

  it('turns on and off for every node (the runtime settings reload)', async () => {
    expect((await put('enable')).json()).toMatchObject({ success: true })
    expect(await state()).toMatchObject({ enabled: true })
    expect(ctx.services.settings.geolocationEnabled).toBe(true)
    expect((await put('disable')).statusCode).toBe(200)
    expect(ctx.services.settings.geolocationEnabled).toBe(false)
  })

  it('refuses a bad form precisely', async () => {
    const badName = await upload(testMmdb(), '../../etc/passwd')
    expect(badName.statusCode).toBe(400)
    expect(badName.json().validation_errors[0].field).toBe('fileName')
    const wrongField = await upload(testMmdb(), undefined, 'mmdb')
    expect(wrongField.statusCode).toBe(400)
    expect(wrongField.json().error_description).toContain('mmdb is not a field of this form')
    const json = await ctx.app.inject({
      method: 'PUT',
      url: `${G}/mmdb`,
      headers: bearer(admin),
      payload: { file: 'x' },
    })
    expect(json.statusCode).toBe(415)
  })

  it('is for administrators only', async () => {
    for (const res of [
      await put('enable', user),
      await put('disable', user),
      await upload(testMmdb(), undefined, 'file', user),
      await ctx.app.inject({ url: G, headers: bearer(user) }),
    ]) {
      expect(res.statusCode).toBe(403)
    }
    expect((await ctx.app.inject({ method: 'PUT', url: `${G}/enable` })).statusCode).toBe(401)
  })

  it('records each change in the audit log', async () => {
    await ctx.services.audit.flush()
    const rows = await ctx.store.db
      .selectFrom('audit_events')
      .select('action')
      .where('action', 'like', 'geolocation.%')
      .execute()
    expect(rows.map((r) => r.action).sort()).toEqual([
      'geolocation.databaseUploaded',
      'geolocation.databaseUploaded',
      'geolocation.disabled',
      'geolocation.enabled',
    ])
  })
})
