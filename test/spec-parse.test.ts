import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { operationsOf } from './endpoint-view.ts'
import { buildTestApp, dialects, type TestContext, until } from './helpers.ts'
import { ApiopsNode } from './nodes.ts'
import { json, openApi, proxyMaker, type SpecHost, serveSpecs } from './spec-support.ts'

/*
 * Specs are parsed in worker threads: a big document must import, a slow one must not
 * stall other requests, and one that overruns the time or memory limit is stopped.
 */

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` })

/**
 * A document shaped like GitHub's published OpenAPI description (13 MB of JSON, 1,223
 * operations): $ref-heavy schemas, shared parameters, and a large example per operation.
 */
function githubSizedSpec(operations: number, exampleBytes: number): string {
  const models = 800
  const schemas: Record<string, unknown> = {}
  for (let i = 0; i < models; i++) {
    const next = (k: number) => ref(`model-${(i + k) % models}`)
    schemas[`model-${i}`] = {
      type: 'object',
      description: `Model ${i}: ${'a field of a resource, documented at length. '.repeat(4)}`,
      required: ['id', 'node_id'],
      properties: {
        id: { type: 'integer', format: 'int64' },
        node_id: { type: 'string' },
        owner: next(1),
        items: { type: 'array', items: next(2) },
        nested: {
          allOf: [next(3), { type: 'object', properties: { deep: { oneOf: [next(4), next(5)] } } }],
        },
      },
    }
  }
  const example = Object.fromEntries(
    Array.from({ length: Math.ceil(exampleBytes / 60) }, (_, k) => [
      `field_${k}`,
      `value ${k} `.repeat(4),
    ]),
  )
  const paths: Record<string, Record<string, unknown>> = {}
  for (let i = 0; i < operations; i++) {
    const path = `/repos/{owner}/{repo}/resource-${Math.floor(i / 2)}`
    paths[path] ??= {}
    paths[path][i % 2 === 0 ? 'get' : 'post'] = {
      operationId: `resource/${i}`,
      summary: `Operation ${i}`,
      description: 'Lists or changes a resource of a repository. '.repeat(6),
      parameters: [
        { $ref: '#/components/parameters/owner' },
        { $ref: '#/components/parameters/repo' },
      ],
      responses: {
        '200': {
          description: 'Response',
          content: {
            'application/json': {
              schema: { type: 'array', items: ref(`model-${i % models}`) },
              examples: { default: { value: example } },
            },
          },
        },
        '404': { $ref: '#/components/responses/not_found' },
      },
    }
  }
  return JSON.stringify({
    openapi: '3.0.3',
    info: { title: 'GitHub-sized', version: '1.1.4' },
    servers: [{ url: 'https://api.github.example' }],
    paths,
    components: {
      schemas,
      parameters: {
        owner: { name: 'owner', in: 'path', required: true, schema: { type: 'string' } },
        repo: { name: 'repo', in: 'path', required: true, schema: { type: 'string' } },
      },
      responses: { not_found: { description: 'Resource not found' } },
    },
  })
}

/**
 * YAML that is slow to parse (the library takes seconds for a few hundred KB of flow
 * mappings) but reads into few operations, so the answer itself is cheap to send.
 */
function slowYamlSpec(operations: number, fields: number): string {
  const lines = ['openapi: 3.0.3', 'info: {title: slow, version: "1"}', 'paths:']
  for (let i = 0; i < operations; i++) {
    lines.push(
      `  /p${i}:`,
      '    get:',
      `      operationId: op${i}`,
      '      responses:',
      "        '200':",
      '          description: ok',
      '          content:',
      '            application/json:',
      '              schema:',
      '                type: object',
      '                properties:',
    )
    for (let k = 0; k < fields; k++) {
      lines.push(`                  f${k}: {type: string, description: field ${k}}`)
    }
  }
  return lines.join('\n')
}

/** Many small objects: little text, a lot of heap once parsed. */
function heapHungrySpec(objects: number): string {
  const junk = Array.from({ length: objects }, (_, i) => ({ i, a: [i, { b: i }] }))
  return JSON.stringify({ ...openApi('hungry'), 'x-junk': junk })
}

function operationSpec(operations: number): string {
  const paths = Object.fromEntries(
    Array.from({ length: operations }, (_, i) => [`/o${i}`, { get: { operationId: `o${i}` } }]),
  )
  return JSON.stringify({ ...openApi('many'), paths })
}

const GITHUB_SIZED = githubSizedSpec(1300, 10_500)
const SLOW_YAML = slowYamlSpec(200, 30)

let specs: SpecHost
beforeAll(async () => {
  specs = await serveSpecs('127.0.0.1', {
    '/github.json': json(GITHUB_SIZED),
    '/slow.yaml': json(SLOW_YAML),
    '/hungry.json': json(heapHungrySpec(200_000)),
    '/small.json': json(openApi('small')),
    '/5000.json': json(operationSpec(5000)),
    '/5001.json': json(operationSpec(5001)),
  })
})
afterAll(() => specs.close())

const ALLOW = { APIOPS_SPEC_FETCH_ALLOWLIST: '127.0.0.1/32' }

describe.each(dialects())('parsing specs off the event loop (%s)', (dialect) => {
  let ctx: TestContext
  let importSpec: Awaited<ReturnType<typeof proxyMaker>>
  beforeAll(async () => {
    // 13 MB from a server in this same busy process: more than the default 5 s may pass.
    ctx = await buildTestApp(dialect, { env: { ...ALLOW, APIOPS_SPEC_FETCH_TIMEOUT_MS: '30000' } })
    importSpec = await proxyMaker(ctx)
  })
  afterAll(() => ctx.close())

  it('imports a GitHub-sized spec (13 MB of JSON, 1,300 $ref-heavy operations)', async () => {
    expect(GITHUB_SIZED.length).toBeGreaterThan(13_000_000)
    const res = await importSpec(`${specs.url}/github.json`)
    expect(res.statusCode, res.body.slice(0, 300)).toBe(200)
    const endpoints = res.json().apiProxy.endpoints
    expect(endpoints).toHaveLength(1300)
    expect(operationsOf({ endpoints })[1299]).toEqual({
      method: 'POST',
      path: '/repos/{owner}/{repo}/resource-649',
      operationId: 'resource/1299',
      summary: 'Operation 1299',
    })
  })

  it('takes up to 5,000 operations, and says so past that', async () => {
    const ok = await importSpec(`${specs.url}/5000.json`)
    expect(ok.statusCode, ok.body.slice(0, 300)).toBe(200)
    expect(ok.json().apiProxy.endpoints).toHaveLength(5000)
    const over = await importSpec(`${specs.url}/5001.json`)
    expect(over.statusCode).toBe(400)
    expect(over.json().validation_errors).toEqual([
      {
        field: 'specUrl',
        message: 'the spec has more than 5000 operations, the most one proxy may have',
      },
    ])
  })

  // Retried: a timing test on a shared two-core machine; parsing inline fails every try.
  it('keeps answering other requests within 50 ms of usual while a slow spec parses', {
    retry: 2,
  }, async () => {
    const healthcheck = async () => {
      const start = performance.now()
      const res = await ctx.app.inject({ url: '/apiops/test/healthcheck' })
      expect(res.statusCode).toBe(200)
      return performance.now() - start
    }
    /** Healthcheck latencies, one after another, until `stop` says so. */
    const sample = async (stop: () => boolean) => {
      const latencies: number[] = []
      while (!stop()) {
        latencies.push(await healthcheck())
        await new Promise((r) => setTimeout(r, 5))
      }
      return latencies
    }
    const forMs = (ms: number) => {
      const end = performance.now() + ms
      return () => performance.now() >= end
    }
    // A thread is started by the first parse; start one now so only parsing is measured.
    await importSpec(`${specs.url}/small.json`)
    const before = await sample(forMs(1000))
    let done = false
    const started = performance.now()
    const parsing = importSpec(`${specs.url}/slow.yaml`).finally(() => (done = true))
    const during = await sample(() => done)
    // The machine's own noise (other processes on two cores) must weigh on the baseline
    // as on the measurement: sample as long again without a parse.
    const after = await sample(forMs(performance.now() - started))
    const res = await parsing
    expect(res.statusCode, res.body.slice(0, 300)).toBe(200)
    expect(res.json().apiProxy.endpoints).toHaveLength(200)
    // Parsing on the event loop would give one sample of seconds, not a stream of quick ones.
    expect(during.length).toBeGreaterThan(20)
    expect(Math.max(...during)).toBeLessThan(Math.max(...before, ...after) + 50)
  })
})

describe.each(dialects())('the limits on parsing a spec (%s)', (dialect) => {
  let slowLimit: TestContext
  let smallHeap: TestContext
  let oneAtATime: TestContext
  beforeAll(async () => {
    ;[slowLimit, smallHeap, oneAtATime] = await Promise.all([
      buildTestApp(dialect, { env: { ...ALLOW, APIOPS_SPEC_PARSE_TIMEOUT_MS: '300' } }),
      buildTestApp(dialect, { env: { ...ALLOW, APIOPS_SPEC_PARSE_MEMORY_MB: '16' } }),
      buildTestApp(dialect, { env: { ...ALLOW, APIOPS_SPEC_PARSE_CONCURRENCY: '1' } }),
    ])
  })
  afterAll(() => Promise.all([slowLimit, smallHeap, oneAtATime].map((c) => c?.close())))

  const parser = (ctx: TestContext) => ctx.services.specImport.parser

  it('stops a parse that takes longer than APIOPS_SPEC_PARSE_TIMEOUT_MS, and goes on', async () => {
    const importSpec = await proxyMaker(slowLimit)
    const started = performance.now()
    const res = await importSpec(`${specs.url}/slow.yaml`)
    expect(res.statusCode).toBe(400)
    expect(res.json().validation_errors).toEqual([
      {
        field: 'specUrl',
        message: "took longer than 300 ms to parse (the server's limit); import a smaller document",
      },
    ])
    expect(performance.now() - started).toBeLessThan(10_000)
    await until('the overrunning thread is gone', async () => parser(slowLimit).threadCount === 0)
    const next = await importSpec(`${specs.url}/small.json`)
    expect(next.statusCode, next.body).toBe(200)
  })

  it('stops a parse that needs more heap than APIOPS_SPEC_PARSE_MEMORY_MB, and goes on', async () => {
    const importSpec = await proxyMaker(smallHeap)
    const small = await importSpec(`${specs.url}/small.json`)
    expect(small.statusCode, small.body).toBe(200)
    const res = await importSpec(`${specs.url}/hungry.json`)
    expect(res.statusCode).toBe(400)
    expect(res.json().validation_errors).toEqual([
      {
        field: 'specUrl',
        message:
          "needed more than 16 MB of memory to parse (the server's limit); import a smaller document",
      },
    ])
    await until('the overrunning thread is gone', async () => parser(smallHeap).threadCount === 0)
    const next = await importSpec(`${specs.url}/small.json`)
    expect(next.statusCode, next.body).toBe(200)
  })

  it('parses APIOPS_SPEC_PARSE_CONCURRENCY specs at once, queues a few, turns the rest away', async () => {
    const importSpec = await proxyMaker(oneAtATime)
    let most = 0
    const watch = setInterval(() => {
      most = Math.max(most, parser(oneAtATime).threadCount)
    }, 5)
    // One parses, four wait (4 per slot), two are told to retry.
    const answers = await Promise.all(
      Array.from({ length: 7 }, () => importSpec(`${specs.url}/5000.json`)),
    ).finally(() => clearInterval(watch))
    const statuses = answers.map((r) => r.statusCode).sort()
    expect(statuses).toEqual([200, 200, 200, 200, 200, 503, 503])
    const busy = answers.find((r) => r.statusCode === 503)
    expect(busy?.json()).toEqual({
      error: 'service_unavailable',
      error_description: 'Too many specs are being read at once; retry in a few seconds.',
    })
    expect(busy?.headers['retry-after']).toBe('5')
    expect(most).toBe(1)
  })
})

describe('a real apiops process (node bin/apiops.js serve)', () => {
  let dir: string
  let node: ApiopsNode
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'apiops-spec-'))
    node = await ApiopsNode.start({
      databaseUrl: '',
      secret: Buffer.alloc(32, 7).toString('base64'),
      adminPassword: 'admin password 1',
      env: { APIOPS_DATA_DIR: dir, ...ALLOW },
    })
  }, 60_000)
  afterAll(async () => {
    await node?.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  it('parses a spec in its worker thread, and refuses an address the allowlist does not hold', async () => {
    const admin = await node.token('admin', 'admin password 1')
    const post = (url: string, body: unknown) =>
      node.call(admin, url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
    expect((await post('/apiops/projects/', { name: 'Real' })).status).toBe(201)
    const make = (name: string, specUrl: string) =>
      post('/apiops/projects/Real/apiProxies/url/', {
        apiProxyName: name,
        apiProxyCreationType: 'OPEN_API',
        specUrl,
        routingInfo: { routingAddressList: [{ address: 'https://backend.example' }] },
      })
    const ok = await make('yaml', `${specs.url}/slow.yaml`)
    const body = await ok.json()
    expect(ok.status, JSON.stringify(body).slice(0, 300)).toBe(200)
    expect(body.apiProxy.endpoints).toHaveLength(200)
    const refused = await make(
      'local',
      `http://127.0.0.2:${new URL(node.base).port}/apiops/openapi.json`,
    )
    expect(refused.status).toBe(400)
    expect(await refused.json()).toMatchObject({
      validation_errors: [
        { field: 'specUrl', message: expect.stringMatching(/^could not be fetched/) },
      ],
    })
  }, 60_000)
})
