import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { LightMyRequestResponse } from 'fastify'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loggerOptions } from '../src/app.ts'
import type { Dialect } from '../src/db/create-db.ts'
import type { Role } from '../src/identity/users/roles.ts'
import {
  CREATE_KEYSTORE_EXAMPLE,
  curlBodies,
  DEPLOYMENT_ANSWER,
  KEYS_REFERENCE,
  shapeOf,
} from './fixtures/key-examples.ts'
import { JKS, KEYTOOL_P12, pkcs12 } from './fixtures/keystore-files.ts'
import { jsonBlocks } from './fixtures/proxy-group-examples.ts'
import { bearer, buildTestApp, dialects, makeUser, type TestContext, tokenFor } from './helpers.ts'

describe.runIf(existsSync(KEYS_REFERENCE))('the keystore examples', () => {
  it("are the reference pages' own", () => {
    const page = (name: string) => readFileSync(join(KEYS_REFERENCE, name), 'utf8')
    expect(curlBodies(page('create-keystore.md'))).toContainEqual(CREATE_KEYSTORE_EXAMPLE)
    expect(jsonBlocks(page('create-keystore.md'))).toContainEqual(DEPLOYMENT_ANSWER)
  })
})

const URL_ = '/apiops/projects/MyProject/keystores/'
const LIST = 'keyStoreEnvironmentList[0]'

describe.each(dialects())('keystores (%s)', (dialect: Dialect) => {
  let ctx: TestContext
  const t: Record<string, string> = {}
  const logLines: string[] = []
  const answers: string[] = []
  const P12_PASSWORD = 'p12-Secret-Pass'
  const p12 = pkcs12(P12_PASSWORD, 'api.example.test')
  const call = async (method: string, url: string, token = t.both, payload?: unknown) => {
    const res: LightMyRequestResponse = await ctx.app.inject({
      method: method as 'GET',
      url,
      headers: bearer(token as string),
      ...(payload === undefined ? {} : { payload: payload as object }),
    })
    answers.push(res.body)
    return res
  }
  const body = (name: string, entries: object[]) => ({
    name,
    description: 'd',
    keyStoreEnvironmentList: entries,
  })
  const refused = async (payload: unknown, field: string, words: RegExp) => {
    const res = await call('POST', URL_, t.both, payload)
    expect(res.statusCode, `${res.body} ${JSON.stringify(payload).slice(0, 150)}`).toBe(400)
    expect(res.json().error_description).toContain(field)
    expect(res.json().error_description).toMatch(words)
  }

  beforeAll(async () => {
    const log = pino(loggerOptions('trace') as pino.LoggerOptions, {
      write: (line: string) => logLines.push(line),
    })
    ctx = await buildTestApp(dialect, { log })
    const token = async (name: string, roles: Role[]) =>
      (await tokenFor(ctx, (await makeUser(ctx, name, roles)).id)).token
    t.admin = await token('root', ['ROLE_ADMIN'])
    t.security = await token('sec', ['ROLE_API_SECURITY'])
    t.both = await token('secdeploy', ['ROLE_API_SECURITY', 'ROLE_DEPLOY_UNDEPLOY_PROXIES'])
    t.plain = await token('plain', [])
    await call('POST', '/apiops/projects/', t.admin, { name: 'MyProject' })
    for (const username of ['sec', 'secdeploy', 'plain']) {
      await call('POST', '/apiops/projects/MyProject/members/', t.admin, { username })
    }
    for (const name of ['production', 'staging']) {
      await call('POST', '/apiops/environments/', t.admin, {
        name,
        type: 'TEST',
        accessUrl: `https://${name}.example.com`,
        projects: ['MyProject'],
      })
    }
  })
  afterAll(() => ctx.close())

  it('takes the documented body with a real JKS file and lists its entries', async () => {
    const example = structuredClone(CREATE_KEYSTORE_EXAMPLE)
    Object.assign(example.keyStoreEnvironmentList[0] as object, {
      file: JKS,
      password: 'changeit',
    })
    const res = await call('POST', URL_, t.both, example)
    expect(res.statusCode, res.body).toBe(200)
    // Opened in a worker thread, not on the event loop.
    expect(ctx.services.keystores.threadCount).toBeGreaterThan(0)
    expect(shapeOf(res.json())).toMatchObject(shapeOf(DEPLOYMENT_ANSWER) as object)
    const got = (await call('GET', `${URL_}my-keystore/`, t.security)).json()
    expect(got.resultList[0]).toMatchObject({
      name: 'my-keystore',
      keyStoreEnvironmentList: [
        {
          environmentName: 'production',
          type: 'JKS',
          file: '********',
          password: '********',
          entries: [
            {
              alias: 'gateway',
              kind: 'PRIVATE_KEY',
              subjectDn: expect.stringContaining('CN=gateway.example.test'),
              endDate: expect.stringMatching(/^21\d\d-/),
            },
            { alias: 'trusted-ca', kind: 'TRUSTED_CERTIFICATE' },
          ],
        },
      ],
    })
  })

  it('opens PKCS#12 files made with node-forge; the mask keeps a stored file', async () => {
    const res = await call(
      'POST',
      URL_,
      t.both,
      body('tls', [
        { environmentName: 'production', type: 'PKCS12', file: p12, password: P12_PASSWORD },
        { environmentName: 'staging', type: 'JKS', file: JKS, password: 'changeit' },
      ]),
    )
    expect(res.statusCode, res.body).toBe(200)
    expect(
      res
        .json()
        .deploymentResult.environmentResults.map(
          (r: { environmentName: string }) => r.environmentName,
        ),
    ).toEqual(['production', 'staging'])
    const read = (await call('GET', `${URL_}tls/`)).json().resultList[0]
    expect(read.keyStoreEnvironmentList[0].entries).toEqual([
      expect.objectContaining({
        alias: 'gateway',
        kind: 'PRIVATE_KEY',
        subjectDn: 'CN=api.example.test',
        endDate: '2030-01-01T00:00:00.000Z',
      }),
    ])
    const { createdAt: _c, updatedAt: _u, ...again } = read
    const kept = await call('PUT', `${URL_}tls/`, t.both, {
      ...again,
      keyStoreEnvironmentList: again.keyStoreEnvironmentList.map(
        ({ entries: _e, ...entry }: { entries: unknown }) => entry,
      ),
    })
    expect(kept.statusCode, kept.body).toBe(200)
    const after = (await call('GET', `${URL_}tls/`)).json().resultList[0]
    expect(after.keyStoreEnvironmentList).toEqual(read.keyStoreEnvironmentList)
    const list = (await call('GET', URL_)).json()
    expect(list.resultList.map((k: { name: string }) => k.name)).toEqual(['my-keystore', 'tls'])
  })

  it('reads a PKCS#12 file keytool made: an EC key entry and a trusted certificate', async () => {
    const res = await call(
      'POST',
      URL_,
      t.both,
      body('from-keytool', [
        { environmentName: 'staging', type: 'PKCS12', file: KEYTOOL_P12, password: 'changeit' },
      ]),
    )
    expect(res.statusCode, res.body).toBe(200)
    const read = (await call('GET', `${URL_}from-keytool/`)).json().resultList[0]
    expect(read.keyStoreEnvironmentList[0].entries).toEqual([
      expect.objectContaining({
        alias: 'gateway',
        kind: 'PRIVATE_KEY',
        subjectDn: 'O=apiops test, CN=gateway.example.test',
      }),
      expect.objectContaining({ alias: 'trusted-ca', kind: 'TRUSTED_CERTIFICATE' }),
    ])
    expect((await call('DELETE', `${URL_}from-keytool/`)).statusCode).toBe(200)
  })

  it('refuses a wrong password, a corrupt file, a wrong type or no base64 with a 400 naming the file', async () => {
    const entry = (over: object) => body('bad', [{ environmentName: 'production', ...over }])
    await refused(
      entry({ type: 'PKCS12', file: p12, password: 'wrong' }),
      `${LIST}.file`,
      /password/,
    )
    await refused(entry({ type: 'JKS', file: JKS, password: 'wrong' }), `${LIST}.file`, /password/)
    const junk = Buffer.from('not a keystore at all, only words').toString('base64')
    await refused(entry({ type: 'PKCS12', file: junk }), `${LIST}.file`, /PKCS#12/)
    await refused(entry({ type: 'JKS', file: junk }), `${LIST}.file`, /JKS/)
    await refused(entry({ type: 'JKS', file: p12, password: P12_PASSWORD }), `${LIST}.file`, /JKS/)
    await refused({ ...CREATE_KEYSTORE_EXAMPLE, name: 'placeholder' }, `${LIST}.file`, /base64/)
    await refused(entry({ type: 'PEM', file: JKS }), 'type', /JKS|PKCS12/)
    const masked = await call(
      'PUT',
      `${URL_}tls/`,
      t.both,
      entry({ environmentName: 'staging', type: 'PKCS12', file: '********' }),
    )
    expect(masked.statusCode, masked.body).toBe(400)
    expect(masked.json().error_description).toContain(`${LIST}.type`)
  })

  it('needs ROLE_API_SECURITY to read, and ROLE_DEPLOY_UNDEPLOY_PROXIES too to write', async () => {
    expect((await call('GET', URL_, t.plain)).statusCode).toBe(403)
    expect((await call('DELETE', `${URL_}tls/`, t.security)).statusCode).toBe(403)
    const removed = await call('DELETE', `${URL_}tls/`)
    expect(removed.statusCode).toBe(200)
    expect(removed.json().deploymentResult.message).toBe('Undeployed from 2 environments')
  })

  it('seals files and passwords at rest, and never answers or logs them', async () => {
    const rows = await ctx.store.db.selectFrom('keystores').select('environments').execute()
    const secrets = [
      JKS.slice(0, 40),
      p12.slice(0, 40),
      KEYTOOL_P12.slice(0, 40),
      'changeit',
      P12_PASSWORD,
    ]
    for (const text of [...rows.map((r) => r.environments), ...answers, ...logLines]) {
      for (const secret of secrets) expect(text).not.toContain(secret)
    }
  })
})
