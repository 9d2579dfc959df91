import type { SnapshotEndpoint } from '../resources/proxies/proxies.snapshot.ts'

/*
 * A spec-based proxy answers only its declared endpoints: method (or ALL) and path
 * template, `{name}` standing for one path segment. Literal paths are one map look-up;
 * templated ones are tried in declaration order. An endpoint whose backend resource URL
 * differs from its path is sent upstream to that path instead, its path parameters
 * carried over by name (or, for a name the path does not have, by position); one whose
 * backend method differs from its own is sent with that method.
 */

export interface EndpointHit {
  path: string
  active: boolean
  /** The upstream path (and query) for the request's path suffix; null: the suffix itself. */
  rewrite: ((suffix: string) => string) | null
  /** The method sent upstream (the endpoint's backendHttpMethod); null: the client's. */
  method: string | null
}

interface Templated {
  method: string
  pattern: RegExp
  hit: EndpointHit
}

const escapeRegex = (s: string) => s.replace(/[.*+?^$()|[\]\\]/g, '\\$&')
const normalize = (p: string) => (p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p || '/')
const PARAM = /(\{[^}/]*\})/
const isParam = (part: string) => part.startsWith('{') && part.endsWith('}')
const ABSOLUTE = /^[a-z][a-z0-9+.-]*:\/\//i

/**
 * The rewrite of one endpoint, or null when its backend resource is its own path. An
 * absolute backend URL is not applied (the request goes to the routing address).
 */
function compileRewrite(
  path: string,
  pattern: RegExp | null,
  backendResourceUrl: string,
): EndpointHit['rewrite'] {
  const backend = backendResourceUrl.startsWith('/') ? backendResourceUrl : `/${backendResourceUrl}`
  if (ABSOLUTE.test(backendResourceUrl) || normalize(backend) === path) return null
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

/** The endpoint's backend method when it changes the client's; ALL or the same: none. */
function upstreamMethod(method: string, backendMethod: string): string | null {
  const backend = backendMethod.toUpperCase()
  return backend === '' || backend === 'ALL' || backend === method ? null : backend
}

export class EndpointMatcher {
  private readonly literal = new Map<string, EndpointHit>()
  private readonly templated: Templated[] = []

  constructor(endpoints: readonly SnapshotEndpoint[]) {
    for (const e of endpoints) {
      const path = normalize(e.path.startsWith('/') ? e.path : `/${e.path}`)
      const method = e.method.toUpperCase()
      const upstream = upstreamMethod(method, e.backendMethod)
      if (!path.includes('{')) {
        const key = `${method} ${path}`
        const rewrite = compileRewrite(path, null, e.backendResourceUrl)
        if (!this.literal.has(key))
          this.literal.set(key, { path: e.path, active: e.active, rewrite, method: upstream })
        continue
      }
      const source = path
        .split(PARAM)
        .map((part) => (isParam(part) ? '([^/]+)' : escapeRegex(part)))
        .join('')
      const pattern = new RegExp(`^${source}$`)
      const rewrite = compileRewrite(path, pattern, e.backendResourceUrl)
      const hit = { path: e.path, active: e.active, rewrite, method: upstream }
      this.templated.push({ method, pattern, hit })
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
