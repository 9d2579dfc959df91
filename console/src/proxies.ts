/**
 * API proxies as the console reads them (the answers of GET .../apiProxies/ and
 * GET .../apiProxies/{name}/), and the messages a failed read turns into.
 */
import { type Api, ApiError, messageOf } from './api.ts'

export interface ProxySummary {
  name: string
  description: string
  type: 'REST' | 'SOAP'
  creationType: string
  /** The first client route path. */
  relativePath: string
}

export interface Deployment {
  environmentName: string
  deployed: boolean
  redeployRequired: boolean
  deployedAt: string | null
  deployedBy: string | null
}

export interface RoutingAddress {
  address: string
  weight: number
  healthCheckEnabled: boolean
  soapType?: string
}

/** One setting's answer: an open object (the server masks its secrets). */
export type SettingValue = unknown

export interface ProxyView {
  name: string
  description: string
  apiType: 'REST' | 'SOAP'
  creationType: string
  specUrl: string | null
  clientRoute: {
    relativePathList: string[]
    virtualHostList: string[]
    methodList?: string[]
    headerList?: { name: string; value: string }[]
    bufferRequest?: boolean
    bufferResponse?: boolean
  }
  routing: {
    routingEnabled: boolean
    mirrorEnabled?: boolean
    /** apiops's own: where mirrored copies go. */
    mirrorAddressList?: { address: string }[]
    loadBalanceAlgorithm?: string
    routingAddressList: RoutingAddress[]
  }
  categoryList: string[]
  sharingType: string
  settings: Record<string, SettingValue>
  endpoints: {
    endpoint: string
    httpMethod: string
    description: string
    active: boolean
    backendResourceUrl: string
    backendHttpMethod: string
    operationId: string | null
    summary: string | null
    soapAction: string | null
  }[]
  deploymentList: Deployment[]
  revision: number
  createdAt: string
  updatedAt: string
}

/** An endpoint as the page shows it, whichever route it came from. */
export interface EndpointRow {
  method: string
  path: string
  description: string
  active: boolean
  /** Where the gateway sends it: method and path on the proxy's routing addresses. */
  backendMethod: string
  backendPath: string
}

/**
 * A proxy's endpoints, as the proxy's own answer lists them (all of them, in order; the
 * paged GET .../apiProxies/{name}/endpoints/ answers the same objects).
 */
export async function proxyEndpoints(
  _api: Api,
  _project: string,
  proxy: ProxyView,
): Promise<EndpointRow[]> {
  return proxy.endpoints.map((e) => ({
    method: e.httpMethod,
    path: e.endpoint,
    description: e.description || e.summary || e.operationId || e.soapAction || '',
    active: e.active,
    backendMethod: e.backendHttpMethod,
    backendPath: e.backendResourceUrl,
  }))
}

/** A failed read as a sentence that says what it means here. */
export function readError(error: unknown, what: string): string {
  if (error instanceof ApiError && error.status === 403) {
    return `You do not have the role to read ${what}: ${error.message}`
  }
  if (error instanceof ApiError && error.status === 404) {
    return `${error.message} It does not exist, or you are not a member of its project.`
  }
  return messageOf(error)
}

/** A read whose failure carries `readError`'s sentence (useLoad shows an ApiError's message). */
export async function explained<T>(read: Promise<T>, what: string): Promise<T> {
  try {
    return await read
  } catch (error) {
    if (!(error instanceof ApiError)) throw error
    throw new ApiError(error.status, error.code, readError(error, what))
  }
}

/** GET .../apiProxies/{name}/traffic/: the last five minutes, per environment. */
export interface TrafficOfProxy {
  from: string
  to: string
  environmentList: {
    environmentName: string
    requestCount: number
    errorCount: number
    requestRate: number
    errorRate: number
    p95Ms: number | null
  }[]
}
