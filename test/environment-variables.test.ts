// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${NAME} references are the subject here, not template mistakes
import { readFileSync } from 'node:fs'
import type { LightMyRequestResponse } from 'fastify'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loggerOptions } from '../src/app.ts'
import type { Role } from '../src/identity/users/roles.ts'
import { resolveVariables } from '../src/resources/environment-variables/environment-variables.resolve.ts'
import { variableScope } from '../src/resources/environment-variables/environment-variables.service.ts'
import {
  globalContext,
  valueContext,
} from '../src/resources/environment-variables/environment-variables.values.ts'
import { findEnvironmentByName } from '../src/resources/environments/environments.repository.ts'
import { findProjectByName } from '../src/resources/projects/projects.repository.ts'
import { unseal } from '../src/sealed.ts'
import { bearer, buildTestApp, dialects, makeUser, type TestContext, tokenFor } from './helpers.ts'

/*
 * Environment variables over HTTP, with the request and answer examples of the Apinizer
 * docs (copied verbatim into the fixture): every endpoint, every documented error, the
 * roles, and secret values sealed at rest, null on every read, absent from logs and
 * the audit log.
 */

const DOCS = JSON.parse(
  readFileSync(
    new URL('./fixtures/apinizer-docs/environment-variables.json', import.meta.url),
    'utf8',
  ),
)
const URL_ = '/apiops/projects/MyProject/environmentVariables/'
const SECRETS = ['secret-api-key-12345', 'prod-secret-password', 'staging-secret-password']

/** Every key path of a JSON value (array items merged), to compare shapes with the docs'. */
function shape(value: unknown, at = ''): string[] {
  if (Array.isArray(value)) return [...new Set(value.flatMap((v) => shape(v, `${at}[]`)))]
  if (value === null || typeof value !== 'object') return []
  return Object.entries(value).flatMap(([k, v]) => [`${at}.${k}`, ...shape(v, `${at}.${k}`)])
}

describe.each(dialects())('environment variables (%s)', (dialect) => {
  let ctx: TestContext
  const logLines: string[] = []
  const answers: string[] = []
  const t = {} as Record<'admin' | 'security' | 'both' | 'plain' | 'outsider', string>

  const call = async (
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    url: string,
    token: string | undefined = t.admin,
    payload?: unknown,
  ): Promise<LightMyRequestResponse> => {
    const res = await ctx.app.inject({
      method,
      url,
      headers: token ? bearer(token) : {},
      ...(payload === undefined ? {} : { payload: payload as object }),
    })
    answers.push(res.body)
    return res
  }
  const create = (body: { name: string }, token = t.admin) =>
    call('POST', `${URL_}${body.name}/`, token, body)
  const get = async (name: string) => (await call('GET', `${URL_}${name}/`)).json().resultList[0]
  const scope = async (environment: string) => {
    const project = await findProjectByName(ctx.store.db, 'MyProject')
    const env = await findEnvironmentByName(ctx.store.db, environment)
    return variableScope(ctx.services, project?.id as string, env as { id: string; name: string })
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
    t.outsider = await token('stranger', ['ROLE_API_SECURITY', 'ROLE_DEPLOY_UNDEPLOY_PROXIES'])
    await call('POST', '/apiops/projects/', t.admin, { name: 'MyProject' })
    for (const username of ['sec', 'secdeploy', 'plain']) {
      await call('POST', '/apiops/projects/MyProject/members/', t.admin, { username })
    }
    for (const name of ['production', 'staging', 'development', 'elsewhere']) {
      const projects = name === 'elsewhere' ? [] : ['MyProject']
      const res = await call('POST', '/apiops/environments/', t.admin, {
        name,
        type: 'TEST',
        accessUrl: `https://${name}.example.com`,
        projects,
      })
      expect(res.statusCode).toBe(201)
    }
  })
  afterAll(() => ctx.close())

  it('walks create, list, get, update and delete with the documented bodies and answers', async () => {
    for (const body of Object.values(DOCS.createBodies) as { name: string }[]) {
      const res = await create(body)
      expect(res.statusCode, res.body).toBe(200)
      expect(shape(res.json())).toEqual(expect.arrayContaining(shape(DOCS.createAnswer)))
      const results = res.json().deploymentResult.environmentResults
      expect(results.map((r: { environmentName: string }) => r.environmentName)).toEqual([
        'development',
        'production',
        'staging',
      ])
    }
    const list = await call('GET', URL_)
    expect(list.statusCode).toBe(200)
    expect(shape(list.json())).toEqual(expect.arrayContaining(shape(DOCS.listAnswer)))
    expect(list.json().resultCount).toBe(3)
    const byName = Object.fromEntries(
      list.json().resultList.map((v: { name: string }) => [v.name, v]),
    )
    const [documentedUrl, documentedKey] = DOCS.listAnswer.resultList
    // The docs' own example, except the ids and the one value the docs say is masked.
    expect(byName.API_KEY).toEqual({
      ...documentedKey,
      projectId: expect.any(String),
      globalValue: null,
    })
    expect(byName.API_BASE_URL).toMatchObject({
      ...documentedUrl,
      projectId: expect.any(String),
      environmentValueList: expect.arrayContaining(documentedUrl.environmentValueList),
    })
    expect(byName.DATABASE_PASSWORD.environmentValueList).toEqual([
      { environmentName: 'production', value: null, visible: false },
      { environmentName: 'staging', value: null, visible: false },
    ])

    const one = await call('GET', `${URL_}API_BASE_URL/`)
    expect(one.statusCode).toBe(200)
    expect(shape(one.json())).toEqual(expect.arrayContaining(shape(DOCS.getAnswer)))
    expect(one.json().resultCount).toBe(1)
    expect(one.json().resultList[0]).toEqual(byName.API_BASE_URL)

    const updated = await call('PUT', `${URL_}API_BASE_URL/`, t.admin, DOCS.updateBody)
    expect(updated.statusCode, updated.body).toBe(200)
    expect(shape(updated.json())).toEqual(expect.arrayContaining(shape(DOCS.createAnswer)))
    expect((await get('API_BASE_URL')).environmentValueList).toEqual(
      DOCS.updateBody.environmentValueList,
    )
    expect((await get('API_BASE_URL')).description).toBe('Updated base URL')

    const deleted = await call('DELETE', `${URL_}DATABASE_PASSWORD/`)
    expect(deleted.statusCode).toBe(200)
    expect(shape(deleted.json())).toEqual(expect.arrayContaining(shape(DOCS.deleteAnswer)))
    expect((await call('GET', `${URL_}DATABASE_PASSWORD/`)).statusCode).toBe(404)
    expect(
      await ctx.store.db.selectFrom('environment_variable_values').selectAll().execute(),
    ).toHaveLength(1)
  })

  it("accepts the docs' cURL bodies too (fields left out take their defaults)", async () => {
    for (const body of Object.values(DOCS.curlCreateBodies) as { name: string }[]) {
      const name = `${body.name}_CURL`
      const res = await create({ ...body, name })
      expect(res.statusCode, res.body).toBe(200)
      await call('DELETE', `${URL_}${name}/`)
    }
  })

  it('answers each documented error, with the status apiops uses for it', async () => {
    const base = DOCS.createBodies.global
    const empty = await call('POST', `${URL_}API_KEY/`, t.admin, { ...base, name: '' })
    expect(empty.statusCode).toBe(400)
    expect(empty.json().validation_errors[0].field).toBe('name')

    const mismatch = await call(
      'POST',
      `${URL_}API_KEY/`,
      t.admin,
      DOCS.createBodies.perEnvironment,
    )
    expect(mismatch.statusCode).toBe(400)
    expect(mismatch.json().error_description).toContain("'API_BASE_URL'")
    expect(mismatch.json().error_description).toContain("'API_KEY'")

    await create(base)
    const duplicate = await create(base)
    expect(duplicate.statusCode).toBe(409)
    expect(duplicate.json()).toEqual({
      error: 'duplicate_name',
      error_description: "Environment variable 'API_KEY' in project 'MyProject' already exists.",
    })

    for (const method of ['GET', 'PUT', 'DELETE'] as const) {
      const res = await call(method, `${URL_}NOPE/`, t.admin, method === 'PUT' ? base : undefined)
      expect(res.statusCode, method).toBe(404)
      expect(res.json().error).toBe('not_found')
    }
    const noProject = await call('GET', '/apiops/projects/Nowhere/environmentVariables/')
    expect(noProject.statusCode).toBe(404)
    expect((await call('GET', URL_, '')).statusCode).toBe(401)
    expect((await call('GET', URL_, 'not-a-token')).json().error).toBe('invalid_token')
  })

  it('refuses bodies whose global and per-environment values do not fit together', async () => {
    const refused = async (body: object, field: string) => {
      const res = await create({ name: 'BAD', ...body })
      expect(res.statusCode, res.body).toBe(400)
      expect(res.json().validation_errors.map((e: { field: string }) => e.field)).toContain(field)
      return res.json().error_description as string
    }
    const value = (environmentName: string) => ({ environmentName, value: 'v', visible: true })
    await refused({ global: true }, 'globalValue')
    await refused(
      { global: true, globalValue: 'x', environmentValueList: [value('production')] },
      'environmentValueList',
    )
    await refused({ global: false, environmentValueList: [] }, 'environmentValueList')
    await refused({ environmentValueList: [value('production')], globalValue: 'x' }, 'globalValue')
    expect(
      await refused(
        { environmentValueList: [value('elsewhere')] },
        'environmentValueList.0.environmentName',
      ),
    ).toContain('may use')
    expect(
      await refused(
        { environmentValueList: [value('nowhere')] },
        'environmentValueList.0.environmentName',
      ),
    ).toContain('may use')
    await refused(
      { environmentValueList: [value('production'), value('production')] },
      'environmentValueList.1.environmentName',
    )
    await refused(
      { environmentValueList: [{ environmentName: 'production', value: null }] },
      'environmentValueList.0.value',
    )
    await refused({ name: '1ST', environmentValueList: [value('production')] }, 'name')
    await refused({ global: 'yes' }, 'global')
    await refused({ unknownField: 1 }, 'unknownField')
  })

  it('lets ROLE_API_SECURITY read, and only with ROLE_DEPLOY_UNDEPLOY_PROXIES too write', async () => {
    const body = { name: 'ROLE_CHECK', global: true, globalValue: 'x' }
    expect((await call('GET', URL_, t.security)).statusCode).toBe(200)
    expect((await call('GET', `${URL_}API_KEY/`, t.security)).statusCode).toBe(200)
    const denied = await create(body, t.security)
    expect(denied.statusCode).toBe(403)
    expect(denied.json().error_description).toContain('ROLE_DEPLOY_UNDEPLOY_PROXIES')
    const plain = await call('GET', URL_, t.plain)
    expect(plain.statusCode).toBe(403)
    expect(plain.json().error_description).toContain('ROLE_API_SECURITY')
    expect((await call('GET', URL_, t.outsider)).statusCode).toBe(404)
    expect((await create(body, t.outsider)).statusCode).toBe(404)
    expect((await create(body, t.both)).statusCode).toBe(200)
    expect((await call('PUT', `${URL_}ROLE_CHECK/`, t.security, body)).statusCode).toBe(403)
    expect((await call('DELETE', `${URL_}ROLE_CHECK/`, t.security)).statusCode).toBe(403)
    expect((await call('DELETE', `${URL_}ROLE_CHECK/`, t.both)).statusCode).toBe(200)
  })

  it('seals secret values at rest, bound to their variable and environment', async () => {
    await create(DOCS.createBodies.secretPerEnvironment)
    const variables = await ctx.store.db.selectFrom('environment_variables').selectAll().execute()
    const values = await ctx.store.db
      .selectFrom('environment_variable_values')
      .selectAll()
      .execute()
    const dump = JSON.stringify([variables, values])
    for (const secret of SECRETS) expect(dump).not.toContain(secret)

    const key = variables.find((v) => v.name === 'API_KEY')
    expect(key?.global_value).toBeNull()
    expect(
      unseal(ctx.keys.atRest, key?.global_secret as string, globalContext(key?.id as string)),
    ).toBe('secret-api-key-12345')
    const password = variables.find((v) => v.name === 'DATABASE_PASSWORD')
    const sealed = values.filter((v) => v.variable_id === password?.id)
    expect(sealed).toHaveLength(2)
    for (const v of sealed) expect(v.value).toBeNull()
    const [first, second] = sealed as [(typeof sealed)[0], (typeof sealed)[0]]
    const opened = unseal(
      ctx.keys.atRest,
      first.secret as string,
      valueContext(first.variable_id, first.environment_id),
    )
    expect(['prod-secret-password', 'staging-secret-password']).toContain(opened)
    // A ciphertext moved to the other environment's row does not open there.
    expect(() =>
      unseal(
        ctx.keys.atRest,
        first.secret as string,
        valueContext(second.variable_id, second.environment_id),
      ),
    ).toThrow()
  })

  it('keeps a secret sent back as null, and refuses to turn a kept secret visible', async () => {
    const read = await get('DATABASE_PASSWORD')
    const rewritten = { ...read, description: 'rotated nothing' }
    delete rewritten.projectId
    delete rewritten.projectName
    const kept = await call('PUT', `${URL_}DATABASE_PASSWORD/`, t.admin, rewritten)
    expect(kept.statusCode, kept.body).toBe(200)
    expect((await scope('production')).values.get('DATABASE_PASSWORD')).toBe('prod-secret-password')
    expect((await scope('staging')).values.get('DATABASE_PASSWORD')).toBe('staging-secret-password')

    const reveal = {
      ...rewritten,
      environmentValueList: [{ environmentName: 'production', value: null, visible: true }],
    }
    const refused = await call('PUT', `${URL_}DATABASE_PASSWORD/`, t.admin, reveal)
    expect(refused.statusCode).toBe(400)
    expect(refused.json().validation_errors[0]).toEqual({
      field: 'environmentValueList.0.value',
      message: expect.stringContaining('send the value itself'),
    })
    const globalKept = await call('PUT', `${URL_}API_KEY/`, t.admin, {
      ...DOCS.createBodies.global,
      globalValue: null,
    })
    expect(globalKept.statusCode).toBe(200)
    expect((await scope('development')).values.get('API_KEY')).toBe('secret-api-key-12345')
  })

  it('renames on PUT, keeping sealed values openable; a taken name is a 409', async () => {
    const body = { ...DOCS.createBodies.global, name: 'SERVICE_KEY', globalValue: null }
    const renamed = await call('PUT', `${URL_}API_KEY/`, t.admin, body)
    expect(renamed.statusCode, renamed.body).toBe(200)
    expect((await call('GET', `${URL_}API_KEY/`)).statusCode).toBe(404)
    expect((await scope('production')).values.get('SERVICE_KEY')).toBe('secret-api-key-12345')
    const taken = await call('PUT', `${URL_}SERVICE_KEY/`, t.admin, {
      ...body,
      name: 'DATABASE_PASSWORD',
    })
    expect(taken.statusCode).toBe(409)
  })

  it('resolves ${NAME} per environment from what was stored over HTTP', async () => {
    const text = '${API_BASE_URL}/orders?key=${SERVICE_KEY}'
    expect(resolveVariables(text, await scope('production'))).toBe(
      'https://new-api.production.example.com/orders?key=secret-api-key-12345',
    )
    const staging = await scope('staging')
    expect(() => resolveVariables(text, staging, 'address')).toThrow(
      "refers to ${API_BASE_URL}, which has no value for environment 'staging'",
    )
  })

  it('says where a variable has no value, and drops values with their environment', async () => {
    const body = {
      name: 'ONLY_PROD',
      environmentValueList: [{ environmentName: 'production', value: 'p', visible: true }],
    }
    const created = (await create(body)).json().deploymentResult.environmentResults
    expect(
      created.find((r: { environmentName: string }) => r.environmentName === 'staging'),
    ).toEqual({
      environmentName: 'staging',
      success: true,
      message: expect.stringContaining(
        'references to ${ONLY_PROD} in this environment do not resolve',
      ),
    })
    await call('POST', '/apiops/environments/', t.admin, {
      name: 'short-lived',
      type: 'TEST',
      accessUrl: 'https://short.example.com',
      projects: ['MyProject'],
    })
    const both = [
      ...body.environmentValueList,
      { environmentName: 'short-lived', value: 's', visible: true },
    ]
    await call('PUT', `${URL_}ONLY_PROD/`, t.admin, { ...body, environmentValueList: both })
    expect((await call('DELETE', '/apiops/environments/short-lived/')).statusCode).toBe(200)
    expect((await get('ONLY_PROD')).environmentValueList).toEqual(body.environmentValueList)
  })

  it('never answers, logs or audits a secret value', async () => {
    await ctx.services.audit.flush()
    const audit = await ctx.store.db.selectFrom('audit_events').selectAll().execute()
    const actions = audit.map((a) => a.action)
    for (const action of [
      'createEnvironmentVariable',
      'updateEnvironmentVariable',
      'deleteEnvironmentVariable',
    ]) {
      expect(actions).toContain(action)
    }
    expect(audit.find((a) => a.action === 'createEnvironmentVariable')?.target).toContain('name=')
    const everything = [...answers, ...logLines, JSON.stringify(audit)].join('\n')
    expect(logLines.length).toBeGreaterThan(0)
    for (const secret of SECRETS) expect(everything).not.toContain(secret)
  })
})
