import { generateKeyPairSync, type KeyObject } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { LightMyRequestResponse } from 'fastify'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loggerOptions } from '../src/app.ts'
import type { Dialect } from '../src/db/create-db.ts'
import type { Role } from '../src/identity/users/roles.ts'
import {
  CREATE_KEY_EXAMPLE,
  curlBodies,
  DEPLOYMENT_ANSWER,
  KEYS_REFERENCE,
  shapeOf,
} from './fixtures/key-examples.ts'
import { jsonBlocks } from './fixtures/proxy-group-examples.ts'
import { bearer, buildTestApp, dialects, makeUser, type TestContext, tokenFor } from './helpers.ts'

describe.runIf(existsSync(KEYS_REFERENCE))('the key examples', () => {
  it("are the reference pages' own", () => {
    const page = (name: string) => readFileSync(join(KEYS_REFERENCE, name), 'utf8')
    expect(curlBodies(page('create-key.md'))).toContainEqual(CREATE_KEY_EXAMPLE)
    expect(jsonBlocks(page('create-key.md'))).toContainEqual(DEPLOYMENT_ANSWER)
  })
})

const rsa = () => generateKeyPairSync('rsa', { modulusLength: 2048 })
const ec = () => generateKeyPairSync('ec', { namedCurve: 'P-256' })
const der = (key: KeyObject, type: 'spki' | 'pkcs8') =>
  key.export({ type, format: 'der' } as never).toString('base64')
const pem = (key: KeyObject, type: 'spki' | 'pkcs8') =>
  key.export({ type, format: 'pem' } as never).toString()

const URL_ = '/apiops/projects/MyProject/keys/'

describe.each(dialects())('keys (%s)', (dialect: Dialect) => {
  let ctx: TestContext
  const t: Record<string, string> = {}
  const logLines: string[] = []
  const answers: string[] = []
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
  const pair = rsa()
  const body = (name: string, entries: object[], keyType = 'RSA') => ({
    name,
    description: 'd',
    keyType,
    cryptoKeyInfoEnvironmentList: entries,
  })

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
    for (const name of ['production', 'staging', 'elsewhere']) {
      const res = await call('POST', '/apiops/environments/', t.admin, {
        name,
        type: 'TEST',
        accessUrl: `https://${name}.example.com`,
        projects: name === 'elsewhere' ? [] : ['MyProject'],
      })
      expect(res.statusCode).toBe(201)
    }
  })
  afterAll(() => ctx.close())

  it('takes the documented body with real keys in place of the placeholders, and answers the documented shape', async () => {
    const example = structuredClone(CREATE_KEY_EXAMPLE)
    const entry = example.cryptoKeyInfoEnvironmentList[0] as Record<string, string>
    entry.publicKey = der(pair.publicKey, 'spki')
    entry.privateKey = der(pair.privateKey, 'pkcs8')
    const res = await call('POST', URL_, t.both, example)
    expect(res.statusCode, res.body).toBe(200)
    expect(shapeOf(res.json())).toMatchObject(shapeOf(DEPLOYMENT_ANSWER) as object)
    expect(res.json().deploymentResult.environmentResults).toEqual([
      expect.objectContaining({ environmentName: 'production', success: true }),
    ])
    const again = await call('POST', URL_, t.both, example)
    expect(again.statusCode).toBe(409)

    const got = (await call('GET', `${URL_}my-key/`)).json()
    expect(got.success).toBe(true)
    expect(got.resultList).toEqual([
      expect.objectContaining({
        name: 'my-key',
        keyType: 'RSA',
        cryptoKeyInfoEnvironmentList: [
          { environmentName: 'production', publicKey: entry.publicKey, privateKey: '********' },
        ],
      }),
    ])
    const list = (await call('GET', URL_, t.security)).json()
    expect(list.resultList.map((k: { name: string }) => k.name)).toEqual(['my-key'])
  })

  it('refuses the placeholders and bad material with a 400 naming the field', async () => {
    const cases: [unknown, string][] = [
      [
        { ...CREATE_KEY_EXAMPLE, name: 'placeholders' },
        'cryptoKeyInfoEnvironmentList[0].publicKey',
      ],
      [
        body('k1', [{ environmentName: 'production' }]),
        'cryptoKeyInfoEnvironmentList[0].publicKey',
      ],
      [
        body('k2', [{ environmentName: 'production', publicKey: der(ec().publicKey, 'spki') }]),
        'cryptoKeyInfoEnvironmentList[0].publicKey',
      ],
      [
        body('k3', [
          {
            environmentName: 'production',
            publicKey: der(pair.publicKey, 'spki'),
            privateKey: der(rsa().privateKey, 'pkcs8'),
          },
        ]),
        'cryptoKeyInfoEnvironmentList[0].privateKey',
      ],
      [
        body('k4', [{ environmentName: 'elsewhere', publicKey: pem(pair.publicKey, 'spki') }]),
        'cryptoKeyInfoEnvironmentList[0].environmentName',
      ],
      [
        body('k5', [
          { environmentName: 'production', publicKey: pem(pair.publicKey, 'spki') },
          { environmentName: 'production', publicKey: pem(pair.publicKey, 'spki') },
        ]),
        'cryptoKeyInfoEnvironmentList[1].environmentName',
      ],
      [{ ...body('k6', []), keyType: 'DSA' }, 'keyType'],
    ]
    for (const [payload, field] of cases) {
      const res = await call('POST', URL_, t.both, payload)
      expect(res.statusCode, res.body).toBe(400)
      expect(res.json().error_description).toContain(field)
    }
    const scope = await call(
      'PUT',
      `${URL_}my-key/?updateReferencedJwks=true`,
      t.both,
      body('my-key', []),
    )
    expect(scope.statusCode).toBe(400)
  })

  it('takes PEM, EC keys and private-only entries; the mask keeps a stored private key; renames', async () => {
    const e = ec()
    const created = await call(
      'POST',
      URL_,
      t.both,
      body(
        'ec-key',
        [{ environmentName: 'staging', privateKey: pem(e.privateKey, 'pkcs8') }],
        'EC',
      ),
    )
    expect(created.statusCode, created.body).toBe(200)
    const read = (await call('GET', `${URL_}ec-key/`)).json().resultList[0]
    expect(read.cryptoKeyInfoEnvironmentList[0].publicKey).toBe(der(e.publicKey, 'spki'))
    // What a read answers goes back as it is (projectId included), but for the new name.
    const { createdAt: _c, updatedAt: _u, ...again } = read
    const update = await call(
      'PUT',
      `${URL_}ec-key/?updateReferencedJwks=true&updateScope=SAME_PROJECT`,
      t.both,
      { ...again, name: 'ec-renamed' },
    )
    expect(update.statusCode, update.body).toBe(200)
    const after = (await call('GET', `${URL_}ec-renamed/`)).json().resultList[0]
    expect(after.cryptoKeyInfoEnvironmentList[0].privateKey).toBe('********')
    expect((await call('GET', `${URL_}ec-key/`)).statusCode).toBe(404)
    const removed = await call('DELETE', `${URL_}ec-renamed/`)
    expect(removed.statusCode).toBe(200)
    expect(removed.json().deploymentResult.environmentResults).toEqual([
      expect.objectContaining({ environmentName: 'staging', message: 'Undeployed' }),
    ])
  })

  it('needs ROLE_API_SECURITY to read and ROLE_DEPLOY_UNDEPLOY_PROXIES too to write', async () => {
    expect((await call('GET', URL_, t.plain)).statusCode).toBe(403)
    const write = body('k', [
      { environmentName: 'production', publicKey: pem(pair.publicKey, 'spki') },
    ])
    expect((await call('POST', URL_, t.security, write)).statusCode).toBe(403)
    expect((await call('DELETE', `${URL_}my-key/`, t.security)).statusCode).toBe(403)
  })

  it('never answers or logs a private key', () => {
    const secrets = [
      der(pair.privateKey, 'pkcs8'),
      pem(pair.privateKey, 'pkcs8').split('\n')[1] as string,
    ]
    for (const text of [...answers, ...logLines]) {
      for (const secret of secrets) expect(text).not.toContain(secret)
    }
  })
})
