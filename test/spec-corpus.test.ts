import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse as parseYaml } from 'yaml'
import { upload } from './fixtures/spec-upload.ts'
import { bearer, buildTestApp, dialects, makeUser, type TestContext, tokenFor } from './helpers.ts'

/*
 * Real-world specs from maintained corpus packages, uploaded as files over HTTP: the
 * endpoints a proxy gets must be the operations the document declares, counted here
 * independently (paths x HTTP methods in the raw document, following a path item's
 * local $ref by hand). @readme/oas-examples covers Swagger 2.0, OpenAPI 3.0 and 3.1 in
 * JSON and YAML (circular schemas, callbacks, links, path-level servers, webhooks);
 * @octokit/openapi gives GitHub's own 13 MB description.
 */

const require = createRequire(import.meta.url)
const OAS = dirname(require.resolve('@readme/oas-examples/package.json'))
const GITHUB = join(
  dirname(require.resolve('@octokit/openapi/package.json')),
  'generated/api.github.com.json',
)

const CORPUS = [
  '2.0/json/petstore.json',
  '2.0/json/petstore-expanded.json',
  '2.0/json/api-with-examples.json',
  '2.0/json/schema-circular.json',
  '2.0/yaml/petstore.yaml',
  '2.0/yaml/petstore-with-external-docs.yaml',
  '3.0/json/http-status-codes.json',
  '3.0/json/star-trek.json',
  '3.0/json/server-path-level.json',
  '3.0/json/circular-paths.json',
  '3.0/json/callbacks.json',
  '3.0/json/link-example.json',
  '3.0/json/discriminators.json',
  '3.0/json/readme-legacy.json',
  '3.0/yaml/star-trek.yaml',
  '3.0/yaml/server-path-level.yaml',
  '3.0/yaml/parameters-style.yaml',
  '3.0/yaml/schema-circular.yaml',
  '3.1/json/readme.json',
  '3.1/json/train-travel.json',
  '3.1/json/schema-types.json',
  '3.1/yaml/readme.yaml',
  '3.1/yaml/train-travel.yaml',
  '3.1/yaml/security.yaml',
]

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']
type Doc = Record<string, unknown>

/** A local JSON pointer (#/a/b~1c), resolved by hand. */
function pointer(doc: Doc, ref: string): Doc {
  let at: unknown = doc
  for (const raw of ref.replace(/^#\/?/, '').split('/')) {
    if (raw === '') continue
    at = (at as Doc)[raw.replaceAll('~1', '/').replaceAll('~0', '~')]
  }
  return at as Doc
}

/** [method, path] of every operation: the count the import must match. */
function operationsOf(doc: Doc): string[] {
  const found: string[] = []
  for (const [path, raw] of Object.entries((doc.paths ?? {}) as Record<string, Doc>)) {
    const item = typeof raw.$ref === 'string' ? pointer(doc, raw.$ref) : raw
    for (const method of METHODS) if (item[method]) found.push(`${method.toUpperCase()} ${path}`)
  }
  return found
}

const read = (path: string): { text: string; doc: Doc } => {
  const text = readFileSync(path, 'utf8')
  return { text, doc: (path.endsWith('.json') ? JSON.parse(text) : parseYaml(text)) as Doc }
}

describe.each(dialects())('importing a real-world spec corpus as files (%s)', (dialect) => {
  let ctx: TestContext
  let dev: string
  let made = 0
  beforeAll(async () => {
    ctx = await buildTestApp(dialect, { env: { APIOPS_SPEC_PARSE_TIMEOUT_MS: '120000' } })
    const admin = (await tokenFor(ctx, (await makeUser(ctx, 'root', ['ROLE_ADMIN'])).id)).token
    dev = (await tokenFor(ctx, (await makeUser(ctx, 'dev', ['ROLE_MANAGE_PROXIES'])).id)).token
    for (const [url, payload] of [
      ['/apiops/projects/', { name: 'Corpus' }],
      ['/apiops/projects/Corpus/members/', { username: 'dev' }],
    ] as const) {
      await ctx.app.inject({ method: 'POST', url, headers: bearer(admin), payload })
    }
  })
  afterAll(() => ctx.close())

  const importFile = async (name: string, kind: string, bytes: string) => {
    const proxy = `c${++made}`
    const form = upload(
      {
        apiProxyName: proxy,
        apiProxyCreationType: kind,
        clientRoute: { relativePathList: [`/${proxy}`] },
        routingInfo: { routingAddressList: [{ address: 'https://backend.example' }] },
      },
      { name, bytes },
    )
    return ctx.app.inject({
      method: 'POST',
      url: '/apiops/projects/Corpus/apiProxies/file/',
      headers: { ...bearer(dev), ...form.headers },
      payload: form.payload,
    })
  }
  const endpointsOf = (res: {
    json(): { apiProxy: { endpoints: { httpMethod: string; endpoint: string }[] } }
  }) => res.json().apiProxy.endpoints.map((e) => `${e.httpMethod} ${e.endpoint}`)

  it.each(CORPUS)('imports @readme/oas-examples %s with every operation', async (file) => {
    const { text, doc } = read(join(OAS, file))
    const expected = operationsOf(doc)
    expect(expected.length).toBeGreaterThan(0)
    const res = await importFile(
      file.split('/').pop() ?? file,
      doc.swagger ? 'SWAGGER' : 'OPEN_API',
      text,
    )
    expect(res.statusCode, res.body.slice(0, 500)).toBe(200)
    expect(endpointsOf(res).sort()).toEqual(expected.sort())
  })

  it('refuses a 3.1 document that has webhooks but no operations, saying so', async () => {
    const { text } = read(join(OAS, '3.1/json/webhooks.json'))
    const res = await importFile('webhooks.json', 'OPEN_API', text)
    expect(res.statusCode).toBe(400)
    expect(res.json().validation_errors).toEqual([
      { field: 'specFile', message: 'the document has no "paths" object' },
    ])
  })

  // 13 MB, about a thousand operations, heavily $ref'd. Timed, for docs/performance.md.
  it("imports GitHub's published description (@octokit/openapi)", async () => {
    const { text, doc } = read(GITHUB)
    const expected = operationsOf(doc)
    expect(text.length).toBeGreaterThan(10_000_000)
    const started = performance.now()
    const res = await importFile('api.github.com.json', 'OPEN_API', text)
    const ms = Math.round(performance.now() - started)
    console.info(
      `GitHub description (${text.length} bytes, ${expected.length} operations) imported on ${dialect} in ${ms} ms`,
    )
    expect(res.statusCode, res.body.slice(0, 500)).toBe(200)
    expect(endpointsOf(res).sort()).toEqual(expected.sort())
  }, 180_000)
})
