import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MASK } from '../src/sealed.ts'
import {
  DOCUMENTED_ANSWERS,
  type DocumentedExample,
  EXAMPLES,
  REFERENCE_DIR,
  requestTexts,
  SECRET_FIELDS,
} from './fixtures/connection-examples.ts'
import { expectDocumentedShape } from './fixtures/proxy-group-examples.ts'
import { buildSecurityWorld, type SecurityWorld } from './fixtures/security-objects.ts'
import { dialects } from './helpers.ts'

const reference = process.env.APIOPS_REFERENCE_DOCS ?? REFERENCE_DIR
const URL = '/apiops/projects/Payments/connections/'
type Json = Record<string, unknown>

describe.runIf(existsSync(reference))('the example bodies', () => {
  it("are the reference pages' own, and every page's examples are here", () => {
    const pages = new Set(EXAMPLES.map((e) => e.page))
    expect(pages.size).toBe(16)
    for (const page of pages) {
      const texts = requestTexts(readFileSync(join(reference, page), 'utf8'))
      for (const example of EXAMPLES.filter((e) => e.page === page)) {
        expect(texts, page).toContain(example.body)
      }
    }
  })
})

/**
 * The body as read back: the two quirks of the docs' examples undone (elasticsearch's
 * second `type`, SNMP's other spellings), every secret the mask (or null when unset).
 */
function expectedReadBack(body: Json): Json {
  let expected: Json = { deployToWorker: true, enabled: true, ...body }
  if (expected.type === 'READ_WRITE' || expected.type === 'READ') {
    expected = { ...expected, type: 'elasticsearch', elasticsearchType: expected.type }
  }
  for (const [alias, field] of [
    ['enabledUserAuthentication', 'enableUserAuthentication'],
    ['pduUdpForMessage', 'pduOidForMessage'],
    ['pduUdpForTime', 'pduOidForTime'],
  ] as const) {
    if (alias in expected) {
      expected[field] = expected[alias]
      delete expected[alias]
    }
  }
  for (const field of SECRET_FIELDS[expected.type as string] ?? []) {
    expected[field] = typeof expected[field] === 'string' && expected[field] !== '' ? MASK : null
  }
  if (Array.isArray(expected.headerList)) {
    expected.headerList = expected.headerList.map((h: Json) => ({ ...h, value: MASK }))
  }
  if (typeof expected.fullUrl === 'string') {
    expected.fullUrl = expected.fullUrl.replace(/=([^&#]+)/g, `=${MASK}`)
  }
  return expected
}

/** The clear secrets a body holds (long enough not to turn up by chance elsewhere). */
function secretsOf(body: Json): string[] {
  const type = body.type === 'READ_WRITE' ? 'elasticsearch' : (body.type as string)
  const values = (SECRET_FIELDS[type] ?? []).map((f) => body[f])
  for (const h of (body.headerList as Json[] | undefined) ?? []) values.push(h.value)
  const clear = Object.entries(body)
    .filter(([k]) => !(SECRET_FIELDS[type] ?? []).includes(k))
    .map(([, v]) => JSON.stringify(v))
    .join(' ')
  return values.filter(
    (v): v is string =>
      typeof v === 'string' &&
      v.length >= 6 &&
      v !== 'application/json' &&
      !(v in body) &&
      !clear.includes(v),
  )
}

describe.each(dialects())('connections in the documented shape (%s)', (dialect) => {
  let w: SecurityWorld
  beforeAll(async () => {
    w = await buildSecurityWorld(dialect)
  })
  afterAll(() => w.ctx.close())

  const send = (method: 'POST' | 'PUT', name: string, body: string) =>
    w.inject({
      method,
      url: `${URL}${encodeURIComponent(name)}/`,
      headers: { authorization: `Bearer ${w.security}`, 'content-type': 'application/json' },
      payload: body,
    })
  const readBack = async (name: string) => {
    const res = await w.call('GET', `${URL}${name}/`, w.security)
    expect(res.statusCode, res.body).toBe(200)
    expectDocumentedShape(res.json(), DOCUMENTED_ANSWERS.read)
    return res.json().resultList[0] as Json
  }

  const created: string[] = []
  it.each(EXAMPLES.map((e, i) => [`${e.page} #${i} ${e.method}`, e] as const))(
    'accepts %s verbatim and reads it back, secrets masked',
    async (_label, example: DocumentedExample) => {
      const body = JSON.parse(example.body) as Json
      const name = body.name as string
      if (example.method === 'PUT') {
        // An update needs a connection to update: the same one, first with other words.
        const first = await send('POST', name, JSON.stringify({ ...body, description: 'before' }))
        expect(first.statusCode, first.body).toBe(200)
      }
      const res = await send(example.method, name, example.body)
      expect(res.statusCode, res.body).toBe(200)
      expectDocumentedShape(res.json(), DOCUMENTED_ANSWERS.write)
      const { createdAt, updatedAt, ...read } = await readBack(name)
      expect(read).toEqual(expectedReadBack(body))
      expect(res.json().connection).toMatchObject(read)
      created.push(...secretsOf(body))
      expect((await w.call('DELETE', `${URL}${name}/`, w.security)).statusCode).toBe(200)
    },
  )

  it('never answered or logged a secret of those bodies', () => {
    expect(created.length).toBeGreaterThan(10)
    const seen = [...w.answers, ...w.logLines].join('\n')
    expect(created.filter((secret) => seen.includes(secret))).toEqual([])
  })
})
