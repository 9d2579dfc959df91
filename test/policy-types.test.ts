import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { POLICY_TYPES } from '../src/resources/proxies/policies/types/index.ts'
import { addExamples, documentedTypes, type Json } from './fixtures/policy-docs.ts'
import { bearer, buildTestApp, dialects, makeUser, type TestContext, tokenFor } from './helpers.ts'

/*
 * Every registered policy type against its own documentation page: each add-policy
 * example on the page is accepted as written and reads back as sent (secrets masked),
 * and the same body with one unknown field is a 400 naming it.
 */

/**
 * Types the other half of the work (branch s6-policies-b) registers. The lead empties
 * this list when merging it; until then their pages are not required to have a type.
 */
/**
 * The protocol transformations: their pages say they cannot be added by hand (the
 * gateway makes them), and show no add example; apiops refuses them naming policy.type.
 */
const NOT_ADDABLE: readonly string[] = [
  'policy-request-protocol-transformation',
  'policy-response-protocol-transformation',
]

const MASK = '********'
const REGISTERED = POLICY_TYPES.map((d) => d.type)

/** What a read shows of a sent policy: no name, active by default, secrets masked. */
function expectedRead(name: string, sent: Json, secrets: readonly string[]): Json {
  const { name: _ignored, ...policy } = structuredClone(sent)
  const out: Json = { name, active: true, ...policy }
  const mask = (value: Json, parts: string[]): void => {
    const [head, ...rest] = parts
    if (value === null || typeof value !== 'object' || head === undefined) return
    const keys = head === '*' ? Object.keys(value) : [head]
    for (const k of keys) {
      if (rest.length > 0) mask(value[k], rest)
      else if (typeof value[k] === 'string' && value[k] !== '') value[k] = MASK
    }
  }
  for (const s of secrets) mask(out, s.split('.'))
  return out
}

/** Every non-trivial string a secret path holds in the body sent. */
function secretValues(sent: Json, secrets: readonly string[]): string[] {
  const found: string[] = []
  const walk = (value: unknown, parts: string[]): void => {
    const [head, ...rest] = parts
    if (head === undefined) {
      if (typeof value === 'string' && value.length >= 4) found.push(value)
      return
    }
    if (value === null || typeof value !== 'object') return
    const v = value as Json
    for (const k of head === '*' ? Object.keys(v) : [head]) walk(v[k], rest)
  }
  for (const s of secrets) walk(sent, s.split('.'))
  return found
}

describe('documented policy types', () => {
  it('has a registered type for every documented page', () => {
    const missing = documentedTypes().filter((t) => !REGISTERED.includes(t))
    expect(missing).toEqual([])
    expect(REGISTERED.filter((t) => !documentedTypes().includes(t))).toEqual([])
    expect(new Set(REGISTERED).size).toBe(REGISTERED.length)
  })

  it('finds at least one add-policy example on the page of every registered type', () => {
    for (const t of REGISTERED.filter((t) => !NOT_ADDABLE.includes(t))) {
      expect(addExamples(t).length, t).toBeGreaterThan(0)
    }
    for (const t of NOT_ADDABLE) expect(addExamples(t), t).toEqual([])
  })
})

describe.each(dialects())('policy types through the routes (%s)', (dialect) => {
  let ctx: TestContext
  let admin: string
  let counter = 0

  beforeAll(async () => {
    ctx = await buildTestApp(dialect)
    admin = (await tokenFor(ctx, (await makeUser(ctx, 'root', ['ROLE_ADMIN'])).id)).token
    const setup: [string, Json][] = [['/apiops/projects/', { name: 'MyProject' }]]
    for (const env of ['production', 'staging', 'tester']) {
      setup.push([
        '/apiops/environments/',
        { name: env, type: 'TEST', accessUrl: `https://${env}.example`, projects: ['MyProject'] },
      ])
    }
    for (const [url, payload] of setup) {
      const res = await ctx.app.inject({ method: 'POST', url, headers: bearer(admin), payload })
      expect(res.statusCode, `${url} ${res.body}`).toBe(201)
    }
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/apiops/projects/MyProject/apiProxies/url/',
      headers: bearer(admin),
      payload: {
        apiProxyName: 'MyAPI',
        apiProxyCreationType: 'REVERSE_PROXY',
        clientRoute: { relativePathList: ['/my-api'] },
        routingInfo: { routingAddressList: [{ address: 'https://backend.example.com' }] },
      },
    })
    expect(res.statusCode, res.body).toBe(200)
  })
  afterAll(async () => ctx?.close())

  const base = '/apiops/projects/MyProject/apiProxies/MyAPI/policies/'
  const post = (name: string, payload: Json) =>
    ctx.app.inject({ method: 'POST', url: `${base}${name}/`, headers: bearer(admin), payload })
  const listed = async () => {
    const res = await ctx.app.inject({ method: 'GET', url: base, headers: bearer(admin) })
    expect(res.statusCode, res.body).toBe(200)
    return { body: res.body, proxy: res.json().resultList[0] as Json }
  }

  it('describes one body per registered type in the OpenAPI document, told apart by policy.type', async () => {
    const doc = (await ctx.app.inject({ url: '/apiops/openapi.json' })).json()
    const path = '/apiops/projects/{projectName}/apiProxies/{apiProxyName}/policies/{policyName}/'
    for (const method of ['post', 'put']) {
      const body = doc.paths[path][method].requestBody.content['application/json'].schema
      expect(body.anyOf.map((b: Json) => b.$ref)).toEqual(
        REGISTERED.map((t) => `#/components/schemas/PolicyBody.${t}`),
      )
    }
    for (const t of REGISTERED) {
      const branch = doc.components.schemas[`PolicyBody.${t}`]
      expect(branch.properties.policy.properties.type.enum).toEqual([t])
      expect(branch.properties.policy.additionalProperties).toBe(false)
    }
  })

  const ADDABLE = POLICY_TYPES.filter((d) => !NOT_ADDABLE.includes(d.type))

  it.each(NOT_ADDABLE.map((t) => [t] as const))(
    '%s cannot be added by hand (400 naming policy.type)',
    async (type) => {
      const res = await post(`${type}-manual`, {
        operationMetadata: { targetScope: 'ALL', targetPipeline: 'REQUEST', deploy: false },
        policy: { type },
      })
      expect(res.statusCode, res.body).toBe(400)
      expect(res.json().error_description).toContain('policy.type')
    },
  )

  it.each(ADDABLE.map((d) => [d.type, d] as const))(
    '%s: the documented examples are stored and read back as sent',
    async (type, def) => {
      for (const example of addExamples(type)) {
        const name = `${type}-${++counter}`
        const res = await post(name, example)
        expect(res.statusCode, `${name}: ${res.body}`).toBe(200)
        const pipeline = String(example.operationMetadata.targetPipeline).toLowerCase()
        const { body, proxy } = await listed()
        const read = (proxy[`${pipeline}PolicyList`] as Json[]).find((p) => p.name === name)
        expect(read).toEqual(expectedRead(name, example.policy, def.secrets ?? []))
        for (const secret of secretValues(example.policy, def.secrets ?? [])) {
          expect(body).not.toContain(`:${JSON.stringify(secret)}`)
        }
      }
    },
  )

  it.each(ADDABLE.map((d) => [d.type] as const))(
    '%s: an unknown field in the policy is a 400 naming it',
    async (type) => {
      const example = structuredClone(addExamples(type)[0]) as Json
      example.policy.notADocumentedField = 1
      example.operationMetadata.deploy = false
      const res = await post(`${type}-invalid`, example)
      expect(res.statusCode, res.body).toBe(400)
      expect(res.json().validation_errors).toContainEqual({
        field: 'policy.notADocumentedField',
        message: 'is not a known field',
      })
    },
  )
})
