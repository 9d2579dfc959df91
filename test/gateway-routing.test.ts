import { describe, expect, it } from 'vitest'
import { compileTemplate, renderFault } from '../src/gateway/faults.ts'
import { type Deployed, RoutingTable } from '../src/gateway/table.ts'
import type {
  DeploymentSnapshot,
  SnapshotEndpoint,
} from '../src/resources/proxies/proxies.snapshot.ts'
import { defaultSettings } from '../src/resources/proxies/settings/settings.model.ts'

/* The routing table and error templates on their own: no database, no sockets. */

function deployed(
  name: string,
  route: Partial<DeploymentSnapshot['clientRoute']>,
  extra: { creationType?: string; endpoints?: SnapshotEndpoint[] } = {},
): Deployed {
  const address = `http://${name}.internal:8080/base`
  const snapshot: DeploymentSnapshot = {
    format: 1,
    proxyId: name,
    proxyName: name,
    projectId: 'p',
    projectName: 'P',
    environmentId: 'e',
    revision: 1,
    creationType: extra.creationType ?? 'REVERSE_PROXY',
    deployedAt: '2026-01-01T00:00:00.000Z',
    clientRoute: { relativePathList: [`/${name}`], virtualHostList: [], ...route },
    routing: {
      routingEnabled: true,
      routingAddressList: [{ address, weight: 100, healthCheckEnabled: false }],
    },
    addresses: { clear: [address] },
    settings: defaultSettings(),
    endpoints: extra.endpoints ?? [],
    policies: [],
  }
  return { snapshot, addresses: [address] }
}

const NO_HEADERS: string[] = []
const name = (table: RoutingTable, path: string, method = 'GET', host?: string, raw = NO_HEADERS) =>
  table.match(host, path, method, raw)?.proxy.name

describe('the routing table', () => {
  it('takes the longest prefix on a segment boundary', () => {
    const table = new RoutingTable('e', 1, [
      deployed('a', { relativePathList: ['/api'] }),
      deployed('b', { relativePathList: ['/api/v2'] }),
      deployed('root', { relativePathList: ['/'] }),
    ])
    expect(name(table, '/api/v2/x')).toBe('b')
    expect(name(table, '/api/v2')).toBe('b')
    expect(name(table, '/api/v2/')).toBe('b')
    expect(name(table, '/api/v3')).toBe('a')
    expect(name(table, '/apiv2')).toBe('root')
    expect(name(table, '/')).toBe('root')
    expect(table.match(undefined, '/api/v2/x', 'GET', NO_HEADERS)?.cut).toBe('/api/v2'.length)
  })

  it('answers nothing where no prefix matches', () => {
    const table = new RoutingTable('e', 1, [deployed('a', {})])
    expect(name(table, '/b')).toBeUndefined()
    expect(name(table, '/')).toBeUndefined()
  })

  it('prefers the proxy of the virtual host, then proxies without hosts', () => {
    const table = new RoutingTable('e', 1, [
      deployed('shop', { relativePathList: ['/x'], virtualHostList: ['Shop.example.com'] }),
      deployed('any', { relativePathList: ['/x'] }),
    ])
    expect(name(table, '/x/1', 'GET', 'shop.example.com')).toBe('shop')
    expect(name(table, '/x/1', 'GET', 'other.example.com')).toBe('any')
    expect(name(table, '/x/1')).toBe('any')
  })

  it('narrows by method and by header, and falls back to a shorter prefix', () => {
    const table = new RoutingTable('e', 1, [
      deployed('writes', { relativePathList: ['/orders'], methodList: ['POST', 'PUT'] }),
      deployed('beta', {
        relativePathList: ['/orders'],
        headerList: [{ name: 'X-Channel', value: 'beta' }],
      }),
      deployed('reads', { relativePathList: ['/'] }),
    ])
    expect(name(table, '/orders/1', 'POST')).toBe('writes')
    expect(name(table, '/orders/1', 'GET', undefined, ['x-channel', 'beta'])).toBe('beta')
    expect(name(table, '/orders/1', 'GET', undefined, ['X-Channel', 'stable'])).toBe('reads')
    expect(name(table, '/orders/1', 'GET')).toBe('reads')
  })

  it('routes a spec-based proxy only to its declared, enabled endpoints', () => {
    const endpoints: SnapshotEndpoint[] = [
      {
        id: '1',
        method: 'GET',
        path: '/pets/{petId}',
        active: true,
        backendResourceUrl: '/pets/{petId}',
        backendMethod: 'GET',
      },
      {
        id: '2',
        method: 'POST',
        path: '/pets',
        active: false,
        backendResourceUrl: '/pets',
        backendMethod: 'POST',
      },
      {
        id: '3',
        method: 'ALL',
        path: '/health',
        active: true,
        backendResourceUrl: '/health',
        backendMethod: 'ALL',
      },
    ]
    const table = new RoutingTable('e', 1, [
      deployed('pets', {}, { creationType: 'OPEN_API', endpoints }),
    ])
    const matcher = table.proxies[0]?.endpoints
    expect(matcher?.match('GET', '/pets/7')).toEqual({
      path: '/pets/{petId}',
      active: true,
      rewrite: null,
      method: null,
      target: null,
    })
    expect(matcher?.match('GET', '/pets/7/')).toEqual({
      path: '/pets/{petId}',
      active: true,
      rewrite: null,
      method: null,
      target: null,
    })
    expect(matcher?.match('GET', '/pets/7/toys')).toBeUndefined()
    expect(matcher?.match('DELETE', '/pets/7')).toBeUndefined()
    expect(matcher?.match('POST', '/pets')).toEqual({
      path: '/pets',
      active: false,
      rewrite: null,
      method: null,
      target: null,
    })
    expect(matcher?.match('PATCH', '/health')).toEqual({
      path: '/health',
      active: true,
      rewrite: null,
      method: null,
      target: null,
    })
    // A reverse proxy declares nothing: everything under its route goes through.
    expect(new RoutingTable('e', 1, [deployed('r', {})]).proxies[0]?.endpoints).toBeNull()
  })

  it("compiles an endpoint's backend resource URL once: by name, by position, literal, absolute", () => {
    const endpoint = (id: string, path: string, backendResourceUrl: string): SnapshotEndpoint => ({
      id,
      method: 'GET',
      path,
      active: true,
      backendResourceUrl,
      backendMethod: 'GET',
    })
    const table = new RoutingTable('e', 1, [
      deployed(
        'r',
        {},
        {
          creationType: 'OPEN_API',
          endpoints: [
            endpoint('1', '/a/{x}/b/{y}', '/y/{y}/x/{x}'),
            endpoint('2', '/c/{id}', 'c2/{other}/{more}'),
            endpoint('3', '/d', '/e?k=v'),
            endpoint('4', '/f/{id}', 'https://elsewhere.example:8443/v2/f/{id}?src=gw'),
            endpoint('5', '/g/{id}/', '/g/{id}'),
            endpoint('6', '/h', 'http://elsewhere.example:8443'),
            endpoint('7', '/i', 'HTTP://other.example/i'),
          ],
        },
      ),
    ])
    const proxy = table.proxies[0]
    const matcher = proxy?.endpoints
    const rewrite = (path: string) => {
      const hit = matcher?.match('GET', path)
      return hit?.rewrite ? hit.rewrite(path) : hit?.rewrite
    }
    expect(rewrite('/a/1/b/2')).toBe('/y/2/x/1')
    // A name the path lacks takes the parameter at its position; one past them stays.
    expect(rewrite('/c/9')).toBe('/c2/9/{more}')
    expect(rewrite('/d')).toBe('/e?k=v')
    // Not rewritten: a backend that is the path itself.
    expect(rewrite('/g/1')).toBeNull()
    // An absolute URL: its own path (never the routing address's), and its own target.
    expect(rewrite('/f/1')).toBe('/v2/f/1?src=gw')
    expect(rewrite('/h')).toBe('/')
    expect(rewrite('/i')).toBe('/i')
    const f = matcher?.match('GET', '/f/1')?.target
    expect([...(f?.upstreams.values() ?? [])]).toEqual([
      {
        address: 'https://elsewhere.example:8443',
        origin: 'https://elsewhere.example:8443',
        basePath: '',
      },
    ])
    expect(f?.chooser.pick(new Set())).toBe('https://elsewhere.example:8443')
    // One target per origin, whatever the scheme's case; paths keep the proxy's own.
    expect(matcher?.match('GET', '/h')?.target).not.toBe(f)
    expect(matcher?.match('GET', '/i')?.target?.upstreams.has('http://other.example')).toBe(true)
    expect(matcher?.match('GET', '/d')?.target).toBeNull()
    expect([...(proxy?.endpointTargets.keys() ?? [])].sort()).toEqual([
      'http://elsewhere.example:8443',
      'http://other.example',
      'https://elsewhere.example:8443',
    ])
  })

  it('sends an endpoint upstream with its backend method when that differs from its own', () => {
    const endpoint = (id: string, method: string, path: string, backendMethod: string) => ({
      id,
      method,
      path,
      active: true,
      backendResourceUrl: path,
      backendMethod,
    })
    const table = new RoutingTable('e', 1, [
      deployed(
        'r',
        {},
        {
          creationType: 'OPEN_API',
          endpoints: [
            endpoint('1', 'GET', '/search', 'POST'),
            endpoint('2', 'PUT', '/items/{id}', 'put'),
            endpoint('3', 'ALL', '/any', 'ALL'),
            endpoint('4', 'ALL', '/all-as-post', 'POST'),
          ],
        },
      ),
    ])
    const matcher = table.proxies[0]?.endpoints
    expect(matcher?.match('GET', '/search')?.method).toBe('POST')
    expect(matcher?.match('PUT', '/items/3')?.method).toBeNull()
    expect(matcher?.match('DELETE', '/any')?.method).toBeNull()
    expect(matcher?.match('PATCH', '/all-as-post')?.method).toBe('POST')
  })

  it('keeps the upstream base path and the read timeout in seconds', () => {
    const d = deployed('a', {})
    d.snapshot.settings.connection.readTimeout = 2
    const proxy = new RoutingTable('e', 1, [d]).proxies[0]
    expect([...(proxy?.upstreams.values() ?? [])]).toEqual([
      {
        address: 'http://a.internal:8080/base',
        origin: 'http://a.internal:8080',
        basePath: '/base',
      },
    ])
    expect(proxy?.readTimeoutMs).toBe(2000)
  })
})

describe('error templates', () => {
  it('fills the JSON template, escaping the message for JSON', () => {
    const template = compileTemplate(defaultSettings(), false)
    const body = JSON.parse(renderFault(template, 'NOT_FOUND', 'no "route" here', 404))
    expect(body.fault).toMatchObject({
      faultCode: 'NOT_FOUND',
      faultString: 'no "route" here',
      faultStatusCode: '404',
    })
    expect(body.fault.correlationId).toMatch(/^[0-9a-f-]{36}$/)
    expect(template.contentType).toBe('application/json;charset=UTF-8')
  })

  it('uses the XML template for a SOAP proxy, or when only it is active, escaping for XML', () => {
    const settings = defaultSettings()
    const soap = compileTemplate(settings, true)
    expect(soap.contentType).toBe('text/xml;charset=UTF-8')
    expect(renderFault(soap, 'BAD_GATEWAY', 'a <b> & c', 502)).toContain(
      '<faultString>a &#60;b&#62; &#38; c</faultString>',
    )
    settings.xmlErrorTemplate.xmlErrorResponseTemplateActive = true
    expect(compileTemplate(settings, false).contentType).toBe('text/xml;charset=UTF-8')
    settings.jsonErrorTemplate.jsonErrorResponseTemplateActive = true
    expect(compileTemplate(settings, true).contentType).toBe('application/json;charset=UTF-8')
  })

  it('takes a custom template as it is', () => {
    const settings = defaultSettings()
    settings.jsonErrorTemplate.jsonValue = '{"code":"#FAULTCODE#","status":#FAULTSTATUSCODE#}'
    settings.jsonErrorTemplate.jsonErrorResponseTemplateActive = true
    const body = renderFault(compileTemplate(settings, false), 'GATEWAY_TIMEOUT', 'slow', 504)
    expect(JSON.parse(body)).toEqual({ code: 'GATEWAY_TIMEOUT', status: 504 })
  })
})
