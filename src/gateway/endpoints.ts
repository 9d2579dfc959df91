import type { SnapshotEndpoint } from '../resources/proxies/proxies.snapshot.ts'

/*
 * A spec-based proxy answers only its declared endpoints: method (or ALL) and path
 * template, `{name}` standing for one path segment. Literal paths are one map look-up;
 * templated ones are tried in declaration order.
 */

export interface EndpointHit {
  path: string
  active: boolean
}

interface Templated {
  method: string
  pattern: RegExp
  hit: EndpointHit
}

const escapeRegex = (s: string) => s.replace(/[.*+?^$()|[\]\\]/g, '\\$&')
const normalize = (p: string) => (p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p || '/')

export class EndpointMatcher {
  private readonly literal = new Map<string, EndpointHit>()
  private readonly templated: Templated[] = []

  constructor(endpoints: readonly SnapshotEndpoint[]) {
    for (const e of endpoints) {
      const path = normalize(e.path.startsWith('/') ? e.path : `/${e.path}`)
      const hit = { path: e.path, active: e.active }
      const method = e.method.toUpperCase()
      if (!path.includes('{')) {
        const key = `${method} ${path}`
        if (!this.literal.has(key)) this.literal.set(key, hit)
        continue
      }
      const source = path
        .split(/(\{[^}/]*\})/)
        .map((part) => (part.startsWith('{') && part.endsWith('}') ? '[^/]+' : escapeRegex(part)))
        .join('')
      this.templated.push({ method, pattern: new RegExp(`^${source}$`), hit })
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
