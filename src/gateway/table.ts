import { type Clock, systemClock } from '../clock.ts'
import { methodsOf } from '../resources/proxies/deployed-routes.ts'
import type { DeploymentSnapshot } from '../resources/proxies/proxies.snapshot.ts'
import type {
  StoredClientRoute,
  StoredRouting,
  StoredSettings,
} from '../resources/proxies/settings/settings.model.ts'
import { type CorsPlan, compileCors } from './cors.ts'
import { EndpointMatcher, type TargetFor } from './endpoints.ts'
import { compileTemplate, type ErrorTemplate } from './faults.ts'
import type { MirrorPlan } from './mirror.ts'
import {
  createUpstreamChooser,
  type Upstream,
  type UpstreamChooserFactory,
  type UpstreamTarget,
} from './upstreams/index.ts'

/*
 * The routing table of one gateway node: every deployed snapshot of its environment,
 * compiled once per configuration version and swapped whole. A request finds its proxy
 * by host (virtual hosts first, then proxies without any), then the longest
 * relativePath that prefixes its path on a segment boundary, then methods and headers.
 */

/** A deployed proxy, ready for traffic: its chooser and upstreams are the routing addresses'. */
export interface LiveProxy extends UpstreamTarget {
  /** The proxy's, its project's and the environment's ids, for traffic records. */
  id: string
  projectId: string
  environmentId: string
  name: string
  projectName: string
  /** The proxy's traffic-log setting as deployed: what its traffic records keep. */
  trafficLog: StoredSettings['trafficLog']
  revision: number
  template: ErrorTemplate
  routingEnabled: boolean
  maintenance: { status: number; contentType: string; body: string } | null
  /** The endpoints' absolute backend URLs, each its own target (their pools stay open too). */
  endpointTargets: ReadonlyMap<string, UpstreamTarget>
  /** Where copies of each request go (mirror.ts); null unless mirroring is on with addresses. */
  mirror: MirrorPlan | null
  /** Milliseconds; the chooser's policy where the proxy sets them, else the gateway's defaults. */
  connectTimeoutMs: number
  readTimeoutMs: number
  /** Lower-cased header naming the client address, and which entry of it; null: the socket's. */
  clientIpHeader: { name: string; order: string } | null
  /** Null for a reverse proxy: every path under the route is forwarded. */
  endpoints: EndpointMatcher | null
  /** The CORS settings compiled; null when CORS is off. */
  cors: CorsPlan | null
  /** The client route's bufferRequest / bufferResponse: read the whole body first, up to bufferLimit bytes. */
  bufferRequest: boolean
  bufferResponse: boolean
  bufferLimit: number
}

export interface RouteEntry {
  prefix: string
  /** How many characters of the path the prefix takes (0 for '/'). */
  cut: number
  methods: ReadonlySet<string> | null
  headers: readonly { name: string; value: string }[] | null
  proxy: LiveProxy
}

export interface Deployed {
  snapshot: DeploymentSnapshot
  /** The routing addresses resolved, in the snapshot's order. */
  addresses: readonly string[]
  /** The route it is served under, when not its own: a group member's, under the group. */
  clientRoute?: StoredClientRoute
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 30_000
/** The most a buffered body may hold when the node is not told otherwise (APIOPS_GATEWAY_BUFFER_MAX_BYTES). */
export const DEFAULT_BUFFER_LIMIT = 10 * 1024 * 1024
export const DEFAULT_READ_TIMEOUT_MS = 30_000

const isSet = (seconds: number | null | undefined) => typeof seconds === 'number' && seconds > 0

function upstreamOf(address: string): Upstream {
  const url = new URL(address)
  const basePath = url.pathname.endsWith('/') ? url.pathname.slice(0, -1) : url.pathname
  return { address, origin: url.origin, basePath }
}

/** How a table builds its choosers: the factory and the time they judge breakers and cool-downs by. */
export interface ChooserDeps {
  chooserFactory?: UpstreamChooserFactory | undefined
  clock?: Clock | undefined
  /** The node's cap on a buffered request or response body, in bytes. */
  bufferLimit?: number | undefined
}

/**
 * The target of an endpoint's absolute backend URL, made once per origin into `targets`:
 * one more address, chosen, health-checked and broken like the routing addresses, with
 * the proxy's connection and circuit breaker settings.
 */
function endpointTargetFor(
  targets: Map<string, UpstreamTarget>,
  routing: StoredRouting,
  settings: StoredSettings,
  deps: ChooserDeps,
): TargetFor {
  return (origin) => {
    let target = targets.get(origin)
    if (target === undefined) {
      const only = { address: origin, weight: 1, healthCheckEnabled: false }
      target = {
        chooser: (deps.chooserFactory ?? createUpstreamChooser)(
          { ...routing, routingAddressList: [only] },
          settings.connection,
          settings.circuitBreaker,
          deps.clock ?? systemClock,
        ),
        upstreams: new Map([[origin, upstreamOf(origin)]]),
      }
      targets.set(origin, target)
    }
    return target
  }
}

/** Where copies go, with the proxy's timeouts; null unless mirroring is on with addresses. */
function mirrorPlan(
  routing: StoredRouting,
  connectTimeoutMs: number,
  readTimeoutMs: number,
): MirrorPlan | null {
  const list = routing.mirrorEnabled === true ? (routing.mirrorAddressList ?? []) : []
  if (list.length === 0) return null
  return { upstreams: list.map((m) => upstreamOf(m.address)), connectTimeoutMs, readTimeoutMs }
}

export function compileProxy(deployed: Deployed, deps: ChooserDeps = {}): LiveProxy {
  const { snapshot, addresses } = deployed
  const settings = snapshot.settings
  // The chooser names addresses as resolved for this environment, not as stored (${VAR}).
  const routing = {
    ...snapshot.routing,
    routingAddressList: snapshot.routing.routingAddressList.map((a, i) => ({
      ...a,
      address: addresses[i] ?? a.address,
    })),
  }
  const list = routing.routingAddressList
  const chooser = (deps.chooserFactory ?? createUpstreamChooser)(
    routing,
    settings.connection,
    settings.circuitBreaker,
    deps.clock ?? systemClock,
  )
  const endpointTargets = new Map<string, UpstreamTarget>()
  const maintenance = settings.maintenanceModeSetting
  const connection = settings.connection
  const forwarded = settings.forwardedIpHeader
  const connectTimeoutMs = isSet(connection.connectTimeout)
    ? chooser.policy.connectTimeoutMs
    : DEFAULT_CONNECT_TIMEOUT_MS
  const readTimeoutMs = isSet(connection.readTimeout)
    ? chooser.policy.readTimeoutMs
    : DEFAULT_READ_TIMEOUT_MS
  return {
    id: snapshot.proxyId,
    projectId: snapshot.projectId,
    environmentId: snapshot.environmentId,
    name: snapshot.proxyName,
    projectName: snapshot.projectName,
    trafficLog: settings.trafficLog,
    revision: snapshot.revision,
    template: compileTemplate(settings, snapshot.creationType === 'WSDL'),
    routingEnabled: snapshot.routing.routingEnabled !== false,
    maintenance: maintenance?.enabled
      ? {
          status: maintenance.httpStatusCode || 503,
          contentType: maintenance.contentType || 'application/json',
          body: maintenance.message ?? '',
        }
      : null,
    chooser,
    upstreams: new Map(list.map((a) => [a.address, upstreamOf(a.address)])),
    connectTimeoutMs,
    readTimeoutMs,
    clientIpHeader: forwarded.forwardedIpHeaderParamActive
      ? {
          name: (forwarded.value ?? 'X-Forwarded-For').toLowerCase(),
          order: forwarded.xffOrder ?? 'FIRST',
        }
      : null,
    endpoints:
      snapshot.creationType === 'REVERSE_PROXY'
        ? null
        : new EndpointMatcher(
            snapshot.endpoints,
            endpointTargetFor(endpointTargets, routing, settings, deps),
          ),
    endpointTargets,
    mirror: mirrorPlan(routing, connectTimeoutMs, readTimeoutMs),
    cors: compileCors(settings.cors),
    // Only an explicit true buffers: streaming is what a proxy saved without the field gets.
    bufferRequest: snapshot.clientRoute.bufferRequest === true,
    bufferResponse: snapshot.clientRoute.bufferResponse === true,
    bufferLimit: deps.bufferLimit ?? DEFAULT_BUFFER_LIMIT,
  }
}

const normalizePrefix = (p: string) => {
  const withSlash = p.startsWith('/') ? p : `/${p}`
  return withSlash.length > 1 && withSlash.endsWith('/') ? withSlash.slice(0, -1) : withSlash
}

type PrefixMap = Map<string, RouteEntry[]>

function headerValue(raw: readonly string[], name: string): string | undefined {
  for (let i = 0; i < raw.length; i += 2) {
    if ((raw[i] as string).toLowerCase() === name) return raw[i + 1]
  }
  return undefined
}

function accepts(entry: RouteEntry, method: string, raw: readonly string[]): boolean {
  if (entry.methods !== null && !entry.methods.has(method)) return false
  if (entry.headers === null) return true
  for (const h of entry.headers) if (headerValue(raw, h.name) !== h.value) return false
  return true
}

function longest(map: PrefixMap, path: string, method: string, raw: readonly string[]) {
  let candidate = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path
  for (;;) {
    const entries = map.get(candidate)
    if (entries !== undefined) {
      for (const entry of entries) if (accepts(entry, method, raw)) return entry
    }
    if (candidate === '/') return undefined
    const slash = candidate.lastIndexOf('/')
    candidate = slash <= 0 ? '/' : candidate.slice(0, slash)
  }
}

export class RoutingTable {
  private readonly byHost = new Map<string, PrefixMap>()
  private readonly anyHost: PrefixMap = new Map()
  readonly proxies: readonly LiveProxy[]

  constructor(
    readonly environmentName: string,
    readonly version: number,
    deployed: readonly Deployed[],
    chooserDeps: ChooserDeps = {},
  ) {
    const proxies: LiveProxy[] = []
    for (const d of deployed) {
      const proxy = compileProxy(d, chooserDeps)
      proxies.push(proxy)
      const route = d.clientRoute ?? d.snapshot.clientRoute
      // ALL, as the documented methodList has it, is no narrowing at all.
      const named = methodsOf(route.methodList)
      const methods = named ? new Set(named) : null
      const headers = route.headerList?.length
        ? route.headerList.map((h) => ({ name: h.name.toLowerCase(), value: h.value }))
        : null
      const maps = route.virtualHostList?.length
        ? route.virtualHostList.map((h) => this.hostMap(h.toLowerCase()))
        : [this.anyHost]
      for (const p of route.relativePathList) {
        const prefix = normalizePrefix(p)
        const entry = { prefix, cut: prefix === '/' ? 0 : prefix.length, methods, headers, proxy }
        for (const map of maps) {
          const list = map.get(prefix) ?? []
          // Narrower routes (methods or headers named) are tried before catch-alls.
          list.push(entry)
          list.sort((a, b) => weight(b) - weight(a))
          map.set(prefix, list)
        }
      }
    }
    this.proxies = proxies
  }

  private hostMap(host: string): PrefixMap {
    let map = this.byHost.get(host)
    if (!map) {
      map = new Map()
      this.byHost.set(host, map)
    }
    return map
  }

  get hasVirtualHosts(): boolean {
    return this.byHost.size > 0
  }

  /** The route a request takes, or undefined. `host` is lower-cased, without port. */
  match(
    host: string | undefined,
    path: string,
    method: string,
    rawHeaders: readonly string[],
  ): RouteEntry | undefined {
    if (host !== undefined && this.byHost.size > 0) {
      const map = this.byHost.get(host)
      if (map !== undefined) {
        const hit = longest(map, path, method, rawHeaders)
        if (hit !== undefined) return hit
      }
    }
    return longest(this.anyHost, path, method, rawHeaders)
  }
}

const weight = (e: RouteEntry) => (e.methods ? 2 : 0) + (e.headers ? 1 : 0)
