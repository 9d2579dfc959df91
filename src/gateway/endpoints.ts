import { isAbsoluteBackendUrl } from '../resources/proxies/endpoints/backend-url.ts'
import type { SnapshotEndpoint } from '../resources/proxies/proxies.snapshot.ts'
import type { UpstreamTarget } from './upstreams/index.ts'

/*
 * A spec-based proxy answers only its declared endpoints: method (or ALL) and path
 * template, `{name}` standing for one path segment. Literal paths are one map look-up;
 * templated ones are tried in declaration order. An endpoint whose backend resource URL
 * differs from its path is sent upstream to that path instead, its path parameters
 * carried over by name (or, for a name the path does not have, by position); one whose
 * backend URL is absolute goes to that URL's origin and path instead of the routing
 * address; one whose backend method differs from its own is sent with that method.
 */

export interface EndpointHit {
  path: string
  active: boolean
  /** The upstream path (and query) for the request's path suffix; null: the suffix itself. */
  rewrite: ((suffix: string) => string) | null
  /** The method sent upstream (the endpoint's backendHttpMethod); null: the client's. */
  method: string | null
  /** Where an absolute backendResourceUrl points; null: the proxy's routing addresses. */
  target: UpstreamTarget | null
}

/** The target of an absolute backend URL's origin (table.ts builds one per origin). */
export type TargetFor = (origin: string) => UpstreamTarget

interface Templated {
  method: string
  pattern: RegExp
  hit: EndpointHit
}

const escapeRegex = (s: string) => s.replace(/[.*+?^$()|[\]\\]/g, '\\$&')
const normalize = (p: string) => (p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p || '/')
const PARAM = /(\{[^}/]*\})/
const isParam = (part: string) => part.startsWith('{') && part.endsWith('}')

/**
 * The rewrite of one endpoint, or null when its backend resource is its own path under
 * the routing address. `backend` is a path (an absolute URL's path and query, when
 * `absolute`: always rewritten, since the routing address's path must not lead it).
 */
function compileRewrite(
  path: string,
  pattern: RegExp | null,
  backendResource: string,
  absolute: boolean,
): EndpointHit['rewrite'] {
  const backend = backendResource.startsWith('/') ? backendResource : `/${backendResource}`
  if (!absolute && normalize(backend) === path) return null
  const q = backend.indexOf('?')
  const query = q === -1 ? '' : backend.slice(q)
  const names = path.split(PARAM).filter(isParam)
  let position = 0
  const pieces = (q === -1 ? backend : backend.slice(0, q)).split(PARAM).map((part) => {
    if (!isParam(part)) return part
    const byName = names.indexOf(part)
    const at = byName !== -1 ? byName : position < names.length ? position : -1
    position++
    // A placeholder the client path cannot fill stays as written.
    return at === -1 ? part : at
  })
  if (pattern === null || names.length === 0) {
    const fixed = pieces.join('') + query
    return () => fixed
  }
  return (suffix) => {
    const found = pattern.exec(normalize(suffix))
    let out = ''
    for (const piece of pieces)
      out += typeof piece === 'string' ? piece : (found?.[piece + 1] ?? '')
    return out + query
  }
}

/** `/pets/{petId}` as a pattern whose groups are its parameters, in order. */
function templateOf(path: string): RegExp {
  const source = path
    .split(PARAM)
    .map((part) => (isParam(part) ? '([^/]+)' : escapeRegex(part)))
    .join('')
  return new RegExp(`^${source}$`)
}

/** The endpoint's backend method when it changes the client's; ALL or the same: none. */
function upstreamMethod(method: string, backendMethod: string): string | null {
  const backend = backendMethod.toUpperCase()
  return backend === '' || backend === 'ALL' || backend === method ? null : backend
}

/** `https://host:port` at the start of an absolute URL. */
const AUTHORITY = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i

/** An absolute backend URL's target and its path and query; a path: no target. */
function backendOf(
  backendResourceUrl: string,
  targetFor: TargetFor,
): { target: UpstreamTarget | null; resource: string } {
  if (!isAbsoluteBackendUrl(backendResourceUrl))
    return { target: null, resource: backendResourceUrl }
  // The loader skipped any deployment whose absolute URL does not parse (backend-url.ts).
  // The path is taken as written: URL would percent-encode its {placeholders}.
  const origin = new URL(backendResourceUrl).origin
  const rest = backendResourceUrl.replace(AUTHORITY, '').split('#')[0] as string
  return {
    target: targetFor(origin),
    resource: rest === '' || rest.startsWith('?') ? `/${rest}` : rest,
  }
}

export class EndpointMatcher {
  private readonly literal = new Map<string, EndpointHit>()
  private readonly templated: Templated[] = []

  constructor(endpoints: readonly SnapshotEndpoint[], targetFor: TargetFor) {
    for (const e of endpoints) {
      const path = normalize(e.path.startsWith('/') ? e.path : `/${e.path}`)
      const method = e.method.toUpperCase()
      const { target, resource } = backendOf(e.backendResourceUrl, targetFor)
      const pattern = path.includes('{') ? templateOf(path) : null
      const hit: EndpointHit = {
        path: e.path,
        active: e.active,
        rewrite: compileRewrite(path, pattern, resource, target !== null),
        method: upstreamMethod(method, e.backendMethod),
        target,
      }
      if (pattern !== null) this.templated.push({ method, pattern, hit })
      else if (!this.literal.has(`${method} ${path}`)) this.literal.set(`${method} ${path}`, hit)
    }
  }

  /** The endpoint a request reaches, or undefined when the proxy declares none for it. */
  match(method: string, suffix: string): EndpointHit | undefined {
    const path = normalize(suffix)
    const exact = this.literal.get(`${method} ${path}`) ?? this.literal.get(`ALL ${path}`)
    if (exact) return exact
    for (const t of this.templated) {
      if ((t.method === method || t.method === 'ALL') && t.pattern.test(path)) return t.hit
    }
    return undefined
  }
}
