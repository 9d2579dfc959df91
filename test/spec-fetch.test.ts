import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../src/config.ts'
import { isForbiddenAddress, parseAllowlist } from '../src/outbound-address.ts'
import { buildTestApp, dialects, type TestContext } from './helpers.ts'
import { freePort } from './nodes.ts'
import {
  captureLog,
  json,
  openApi,
  proxyMaker,
  type SpecHost,
  serveSpecs,
  tableResolver,
} from './spec-support.ts'

/*
 * Importing a spec from a URL must not let a caller reach what only the server can
 * (SSRF), nor tell them what it found there. No test here sends a packet anywhere but
 * loopback: private and metadata addresses are refused before any socket is opened.
 */

describe('the outbound address policy', () => {
  const none = parseAllowlist('', 'X').allowlist

  it.each([
    '127.0.0.1',
    '127.255.255.254',
    '0.0.0.0',
    '0.1.2.3',
    '10.0.0.1',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '100.127.255.255',
    '224.0.0.1',
    '255.255.255.255',
    '240.0.0.1',
    '192.0.2.1',
    '198.18.0.1',
    '::',
    '::1',
    'fe80::1',
    'fe80::1%eth0',
    'fc00::1',
    'fd12:3456::1',
    'ff02::1',
    'ff00::',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '::ffff:10.0.0.1',
    '::ffff:169.254.169.254',
    '::127.0.0.1',
    '::10.0.0.1',
    '::ffff:0:127.0.0.1',
    '64:ff9b::7f00:1',
    '64:ff9b::127.0.0.1',
    '64:ff9b::a9fe:a9fe',
    '64:ff9b:1::1',
    '2002:7f00:1::',
    '2002:a00:1::1',
    '2001::1',
    '2001:db8::1',
    '100::1',
    'not an address',
  ])('refuses %s', (address) => {
    expect(isForbiddenAddress(address, none)).toBe(true)
  })

  it.each([
    '8.8.8.8',
    '1.1.1.1',
    '93.184.216.34',
    '172.32.0.1',
    '100.128.0.1',
    '2606:4700:4700::1111',
    '2a00:1450:4001::200e',
    '::ffff:8.8.8.8',
    '64:ff9b::808:808',
    '2002:808:808::1',
  ])('allows the public address %s', (address) => {
    expect(isForbiddenAddress(address, none)).toBe(false)
  })

  it('allows what an allowlisted network holds, in any spelling, and nothing next to it', () => {
    const { allowlist, problems } = parseAllowlist(
      ' 127.0.0.1/32 , 10.20.0.0/16,fd00::/8, 192.168.7.7, specs.internal',
      'X',
    )
    expect(problems).toEqual([])
    for (const a of ['127.0.0.1', '::ffff:127.0.0.1', '10.20.3.4', 'fd00::1', '192.168.7.7']) {
      expect(isForbiddenAddress(a, allowlist), a).toBe(false)
    }
    // NAT64 and 6to4 forms lead to a gateway, not to the allowed host: still refused.
    for (const a of [
      '127.0.0.2',
      '10.21.0.1',
      'fc00::1',
      '192.168.7.8',
      '::1',
      '64:ff9b::7f00:1',
      '2002:7f00:1::',
      '::127.0.0.1',
    ]) {
      expect(isForbiddenAddress(a, allowlist), a).toBe(true)
    }
    expect([...allowlist.hosts]).toEqual(['specs.internal'])
  })

  it('stops startup on a bad allowlist entry, naming each', () => {
    const load = () =>
      loadConfig({
        APIOPS_SECRET_KEY: 'k'.repeat(44),
        APIOPS_SPEC_FETCH_ALLOWLIST: '10.0.0.0/8,127.0.0.1/33,bad host!,Specs.Internal.,fd00::/8',
      })
    expect(load).toThrow(ConfigError)
    expect(load).toThrow(/APIOPS_SPEC_FETCH_ALLOWLIST: "127.0.0.1\/33" is not a valid CIDR/)
    expect(load).toThrow(/APIOPS_SPEC_FETCH_ALLOWLIST: "bad host!" is neither/)
    const ok = loadConfig({
      APIOPS_SECRET_KEY: 'k'.repeat(44),
      APIOPS_SPEC_FETCH_ALLOWLIST: 'Specs.Internal.,10.0.0.0/8',
    })
    expect([...ok.specFetchAllowlist.hosts]).toEqual(['specs.internal'])
    expect(loadConfig({ APIOPS_SECRET_KEY: 'k'.repeat(44) }).specFetchAllowlist.networks).toEqual(
      [],
    )
  })
})

describe.each(dialects())('importing a spec from a URL (%s)', (dialect) => {
  const GOOD = openApi('fromTheCheckedAddress')
  const EVIL = openApi('fromTheOtherAddress')
  let good: SpecHost // 127.0.0.1:P, allowed by CIDR in `allowing`
  let other: SpecHost // 127.0.0.2:P, allowed only by host name
  let closedPort: number
  const resolver = tableResolver({
    'loop.example': [['127.0.0.1']],
    'specs.internal': [['127.0.0.2']],
    'evil.example': [['127.0.0.2']],
    'private.example': [['10.1.2.3']],
    'metadata.example': [['169.254.169.254']],
    'mixed.example': [['10.9.9.9', '127.0.0.2', '127.0.0.1']],
    'rebind.example': [['127.0.0.1'], ['127.0.0.2']],
    'rebind-late.example': [['127.0.0.2'], ['127.0.0.1']],
  })
  // `strict` allows nothing private; `allowing` allows 127.0.0.1/32 and specs.internal.
  let strict: TestContext
  let allowing: TestContext
  let importStrict: Awaited<ReturnType<typeof proxyMaker>>
  let importAllowing: Awaited<ReturnType<typeof proxyMaker>>
  /** What a refused fetch answers: every failed fetch must answer exactly this. */
  let refusedBody: string
  const logged = captureLog()

  beforeAll(async () => {
    good = await serveSpecs('127.0.0.1', {
      '/openapi.json': json(GOOD),
      '/500': (_req, res) => {
        res.writeHead(500)
        res.end('internal details: db=10.0.0.5')
      },
      '/redirect': (_req, res) => {
        res.writeHead(302, { location: '/openapi.json' })
        res.end()
      },
      '/slow': (_req, res) => setTimeout(() => res.end(JSON.stringify(GOOD)), 3000),
    })
    other = await serveSpecs('127.0.0.2', { '/openapi.json': json(EVIL) }, good.port)
    closedPort = await freePort()
    ;[strict, allowing] = await Promise.all([
      buildTestApp(dialect, { resolveHost: resolver }),
      buildTestApp(dialect, {
        resolveHost: resolver,
        log: logged.log,
        env: {
          APIOPS_SPEC_FETCH_ALLOWLIST: '127.0.0.1/32,specs.internal',
          APIOPS_SPEC_FETCH_TIMEOUT_MS: '1000',
        },
      }),
    ])
    ;[importStrict, importAllowing] = await Promise.all([proxyMaker(strict), proxyMaker(allowing)])
    refusedBody = (await importStrict(`${good.url}/openapi.json`)).body
  }, 60_000)
  afterAll(async () => {
    await Promise.all([strict.close(), allowing.close(), good.close(), other.close()])
  })

  const operationIds = (body: string) =>
    (JSON.parse(body).apiProxy.endpoints as { operationId: string }[]).map((e) => e.operationId)

  it('imports from loopback once the allowlist names it, and refuses it otherwise', async () => {
    const res = await importAllowing(`${good.url}/openapi.json`)
    expect(res.statusCode, res.body).toBe(200)
    expect(operationIds(res.body)).toEqual(['fromTheCheckedAddress'])
    expect(JSON.parse(refusedBody)).toMatchObject({
      error: 'validation_failed',
      validation_errors: [
        { field: 'specUrl', message: expect.stringMatching(/^could not be fetched from that URL/) },
      ],
    })
  })

  // Each of these reaches this host (a listener serves a spec on 127.0.0.1:P): refused.
  it.each([
    'http://127.0.0.1:P/openapi.json',
    'http://127.1:P/openapi.json',
    'http://2130706433:P/openapi.json',
    'http://0x7f000001:P/openapi.json',
    'http://0x7f.0.0.1:P/openapi.json',
    'http://0177.0.0.1:P/openapi.json',
    'http://127.0.0.2:P/openapi.json',
    'http://0.0.0.0:P/openapi.json',
    'http://0:P/openapi.json',
    'http://[::]:P/openapi.json',
    'http://[::1]:P/openapi.json',
    'http://[::ffff:127.0.0.1]:P/openapi.json',
    'http://[::ffff:7f00:1]:P/openapi.json',
    'http://localhost:P/openapi.json',
    'http://LocalHost.:P/openapi.json',
    'http://loop.example:P/openapi.json',
    'http://evil.example:P/openapi.json',
    'https://127.0.0.1:P/openapi.json',
  ])('refuses %s, answering what every failure answers', async (template) => {
    const res = await importStrict(template.replace('P', String(good.port)))
    expect(res.statusCode).toBe(400)
    expect(res.body).toBe(refusedBody)
  })

  // Private, link-local, metadata, and IPv6 forms of loopback: refused before any connection is tried.
  it.each([
    'http://10.0.0.1/openapi.json',
    'http://172.16.0.1/openapi.json',
    'http://192.168.1.1/openapi.json',
    'http://169.254.169.254/latest/meta-data/',
    'http://100.64.0.1/openapi.json',
    'http://[::127.0.0.1]/openapi.json',
    'http://[64:ff9b::7f00:1]/openapi.json',
    'http://[fc00::1]/openapi.json',
    'http://[fd12:3456::1]/openapi.json',
    'http://[fe80::1]/openapi.json',
    'http://[ff00::]/openapi.json',
    'http://[ff02::1]/openapi.json',
    'http://224.0.0.1/openapi.json',
    'http://[::ffff:169.254.169.254]/openapi.json',
    'http://[64:ff9b::a9fe:a9fe]/openapi.json',
    'http://[2002:a00:1::1]/openapi.json',
    'http://private.example/openapi.json',
    'http://metadata.example/latest/meta-data/',
  ])('refuses %s without connecting', async (url) => {
    const before = logged.lines.length
    const res = await importAllowing(url)
    expect(res.statusCode).toBe(400)
    expect(res.body).toBe(refusedBody)
    const reasons = logged.lines
      .slice(before)
      .filter((l) => l.msg === 'spec fetch failed')
      .map((l) => l.reason)
    expect(reasons).toEqual([expect.stringMatching(/^refused address /)])
  })

  it('answers byte for byte the same for every way a fetch fails, and logs why at debug', async () => {
    const P = good.port
    const cases = [
      [`http://127.0.0.2:${P}/openapi.json`, /^refused address 127\.0\.0\.2$/],
      [`http://127.0.0.1:${closedPort}/openapi.json`, /ECONNREFUSED/],
      [`http://127.0.0.1:${P}/500`, /^HTTP 500$/],
      [`http://127.0.0.1:${P}/missing`, /^HTTP 404$/],
      [`http://127.0.0.1:${P}/redirect`, /^HTTP 302$/],
      [`http://127.0.0.1:${P}/slow`, /^timeout$/],
      [`https://127.0.0.1:${P}/openapi.json`, /SSL|TLS|EPROTO|ECONNRESET/],
      [`http://nowhere.example:${P}/openapi.json`, /ENOTFOUND/],
    ] as const
    for (const [url, reason] of cases) {
      const before = logged.lines.length
      const res = await importAllowing(url)
      expect(res.statusCode, url).toBe(400)
      expect(res.body, url).toBe(refusedBody)
      const line = logged.lines.slice(before).find((l) => l.msg === 'spec fetch failed')
      expect(line, url).toMatchObject({ level: 20, reason: expect.stringMatching(reason) })
    }
    for (const leak of [
      '127.0',
      String(P),
      'ECONN',
      '500',
      '302',
      '404',
      'timeout',
      'TLS',
      'db=',
    ]) {
      expect(refusedBody).not.toContain(leak)
    }
  })

  it('allows a host name on the allowlist to resolve to a private address', async () => {
    const res = await importAllowing(`http://SPECS.internal:${other.port}/openapi.json`)
    expect(res.statusCode, res.body).toBe(200)
    expect(operationIds(res.body)).toEqual(['fromTheOtherAddress'])
    // The same address by another name is refused: the name was what was allowed.
    const byOtherName = await importAllowing(`http://evil.example:${other.port}/openapi.json`)
    expect(byOtherName.body).toBe(refusedBody)
  })

  it('allows an allowlisted network whatever name led there, and only its addresses', async () => {
    const byName = await importAllowing(`http://loop.example:${good.port}/openapi.json`)
    expect(operationIds(byName.body)).toEqual(['fromTheCheckedAddress'])
    // 10.9.9.9 and 127.0.0.2 are passed over: only 127.0.0.1 may be connected to.
    const mixed = await importAllowing(`http://mixed.example:${good.port}/openapi.json`)
    expect(operationIds(mixed.body)).toEqual(['fromTheCheckedAddress'])
  })

  it('connects to the address it checked, so a DNS answer that changes cannot slip past', async () => {
    // A check-then-fetch would resolve twice and reach 127.0.0.2 the second time.
    const rebound = await importAllowing(`http://rebind.example:${good.port}/openapi.json`)
    expect(rebound.statusCode, rebound.body).toBe(200)
    expect(operationIds(rebound.body)).toEqual(['fromTheCheckedAddress'])
    expect(resolver.calls.get('rebind.example')).toBe(1)
    const late = await importAllowing(`http://rebind-late.example:${good.port}/openapi.json`)
    expect(late.body).toBe(refusedBody)
    expect(resolver.calls.get('rebind-late.example')).toBe(1)
  })

  it.each([
    ['not a url', /^must be an http:\/\/ or https:\/\/ URL/],
    ['http://[::1/openapi.json', /^is not a valid URL$/],
    ['ftp://127.0.0.1/openapi.json', /^must be an http:\/\/ or https:\/\/ URL/],
    ['file:///etc/passwd', /^must be an http:\/\/ or https:\/\/ URL/],
  ])('still says precisely what is wrong with the URL itself: %s', async (url, message) => {
    const res = await importStrict(url)
    expect(res.statusCode).toBe(400)
    expect(res.json().validation_errors).toEqual([
      { field: 'specUrl', message: expect.stringMatching(message) },
    ])
  })
})
