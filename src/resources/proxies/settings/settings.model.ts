import { type Static, Type } from 'typebox'
import { MASK } from '../../../sealed.ts'
import type {
  ApiKeysInput,
  CacheInput,
  CircuitBreakerInput,
  ConnectionInput,
  CorsInput,
  ForwardedIpHeaderInput,
  JsonErrorTemplateInput,
  MtlsInput,
  NtlmInput,
  ProxyServerInput,
  TrafficLogInput,
  XmlErrorTemplateInput,
} from './settings.schemas.ts'

/*
 * What a proxy's settings are at rest (the proxy_settings row, one JSON document) and on
 * read. Each setting is stored whole, defaults filled in, so the gateway reads one typed
 * object per setting without knowing the defaults. Secrets (API secret key, NTLM and
 * proxy-server passwords, spec authorization header values) are stored sealed and read
 * back as MASK.
 */

type Filled<T> = { -readonly [K in keyof T]-?: Exclude<T[K], undefined> | null }

export interface StoredSettings {
  categoryList: string[]
  sharingType: 'BOTH' | 'NONE' | 'EXTERNAL' | 'INTERNAL'
  /** secretKey holds the sealed value. */
  apiKeys: Filled<ApiKeysInput>
  cache: Filled<CacheInput>
  circuitBreaker: Filled<CircuitBreakerInput>
  connection: Filled<ConnectionInput>
  cors: Filled<CorsInput>
  forwardedIpHeader: Filled<ForwardedIpHeaderInput>
  hideSpecFile: boolean
  jsonErrorTemplate: Filled<JsonErrorTemplateInput>
  xmlErrorTemplate: Filled<XmlErrorTemplateInput>
  mtls: Filled<MtlsInput>
  /** password holds the sealed value. */
  ntlm: Filled<NtlmInput>
  /** proxyPassword holds the sealed value. */
  proxyServer: Filled<ProxyServerInput>
  trafficLog: Filled<TrafficLogInput>
  soapToRest: boolean
  enableWSA: boolean
  enableWSRM: boolean
  backendApiVersion: string | null
  maintenanceModeSetting: {
    enabled: boolean
    httpStatusCode: number
    contentType: string
    message: string
  }
  /** headerValue holds the sealed value. */
  specAuthorizationValueList: { headerName: string; headerValue: string }[]
}

const DEFAULT_JSON_TEMPLATE = JSON.stringify(
  {
    fault: {
      correlationId: '#CORRELATIONID#',
      faultCode: '#FAULTCODE#',
      faultString: '#FAULTMESSAGE#',
      faultStatusCode: '#FAULTSTATUSCODE#',
      responseFromApi: '#RESPONSEFROMAPI#',
    },
  },
  null,
  2,
)
const DEFAULT_XML_TEMPLATE = [
  '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">',
  '  <soap:Body>',
  '    <soap:Fault>',
  '      <correlationId>#CORRELATIONID#</correlationId>',
  '      <faultCode>#FAULTCODE#</faultCode>',
  '      <faultString>#FAULTMESSAGE#</faultString>',
  '      <faultStatusCode>#FAULTSTATUSCODE#</faultStatusCode>',
  '      <responseFromApi>#RESPONSEFROMAPI#</responseFromApi>',
  '    </soap:Fault>',
  '  </soap:Body>',
  '</soap:Envelope>',
].join('\n')

/** Documented defaults; where the docs give none, null (not configured). */
const DEFAULTS: StoredSettings = {
  categoryList: [],
  sharingType: 'NONE',
  apiKeys: { publicKey: null, secretKey: null },
  cache: {
    name: 'Cache Settings',
    description: null,
    cacheActive: false,
    cacheOnlyHttpGetRequests: true,
    cacheKeyType: 'QUERY_PARAMS',
    cacheStorageType: 'DISTRIBUTED',
    capacity: null,
    ttl: null,
    handlingAction: 'STOP',
    invalidationRequiresAuthn: false,
    cacheNullValue: false,
    variableList: [],
  },
  circuitBreaker: {
    circuitBreakerEnabled: false,
    errorWindow: null,
    errorThresholdValue: null,
    enumErrorThresholdType: null,
    sleepWindow: null,
    halfOpenEnabled: null,
  },
  connection: {
    connectionSettingsEnabled: false,
    connectTimeout: null,
    readTimeout: null,
    connectionRequestTimeout: null,
    redirectsEnabled: null,
    maxRedirects: null,
    relativeRedirectsAllowed: null,
    disableContentCompression: null,
    enableStreaming: null,
    retryCount: null,
    failoverRetryCount: null,
    ignoreRoutingError: null,
    connectionPoolManagementType: null,
    customConnectionPoolSize: null,
  },
  cors: {
    name: 'CORS Settings',
    description: null,
    corsActive: false,
    allowOriginList: [],
    allowMethodList: [],
    allowHeaderList: [],
    exposeHeaderList: [],
    allowCredentials: 'false',
    maxAge: 3600,
  },
  forwardedIpHeader: {
    forwardedIpHeaderParamActive: false,
    value: 'X-Forwarded-For',
    xffOrder: 'FIRST',
  },
  hideSpecFile: false,
  jsonErrorTemplate: {
    jsonErrorResponseTemplateActive: false,
    jsonValue: DEFAULT_JSON_TEMPLATE,
    contentType: 'application/json;charset=UTF-8',
    permitSpecialChars: false,
  },
  xmlErrorTemplate: {
    xmlErrorResponseTemplateActive: false,
    xmlValue: DEFAULT_XML_TEMPLATE,
    contentType: 'text/xml;charset=UTF-8',
    permitSpecialChars: false,
  },
  mtls: {
    enabled: false,
    keyStoreId: null,
    trustStoreId: null,
    supportedProtocolList: [],
    hostnameVerifierType: 'NOOP',
  },
  ntlm: { enabled: false, domain: null, username: null, password: null, workstation: null },
  proxyServer: {
    proxyEnabled: false,
    proxyFromHeaderEnabled: false,
    proxyHost: null,
    proxyPort: null,
    proxyAuthorizationNeeded: false,
    proxyUsername: null,
    proxyPassword: null,
  },
  trafficLog: {
    enabledTraceLog: false,
    enabledApplicationLog: false,
    apiProxyTrafficLogSettingsList: [],
  },
  soapToRest: false,
  enableWSA: false,
  enableWSRM: false,
  backendApiVersion: null,
  maintenanceModeSetting: {
    enabled: false,
    httpStatusCode: 503,
    contentType: 'application/json',
    message: '',
  },
  specAuthorizationValueList: [],
}

export const defaultSettings = (): StoredSettings => structuredClone(DEFAULTS)

type Section = Record<string, unknown>

/** A stored document over the defaults, setting by setting (a stored one may predate a field). */
export function withDefaults(stored: Partial<StoredSettings>): StoredSettings {
  const merged = defaultSettings() as unknown as Record<string, unknown>
  for (const [key, value] of Object.entries(stored)) {
    const base = merged[key]
    merged[key] =
      base && typeof base === 'object' && !Array.isArray(base) && value && typeof value === 'object'
        ? { ...(base as Section), ...(value as Section) }
        : value
  }
  return merged as unknown as StoredSettings
}

const mask = (sealed: string | null | undefined) => (sealed ? MASK : null)

/** The read view: every secret that is set shows as MASK. */
export function presentSettings(stored: StoredSettings) {
  const { categoryList, sharingType, ...settings } = stored
  return {
    categoryList,
    sharingType,
    settings: {
      ...settings,
      apiKeys: { ...settings.apiKeys, secretKey: mask(settings.apiKeys.secretKey) },
      ntlm: { ...settings.ntlm, password: mask(settings.ntlm.password) },
      proxyServer: {
        ...settings.proxyServer,
        proxyPassword: mask(settings.proxyServer.proxyPassword),
      },
      specAuthorizationValueList: settings.specAuthorizationValueList.map((v) => ({
        headerName: v.headerName,
        headerValue: MASK,
      })),
    },
  }
}

/**
 * The response schema of `settings` in a proxy read: one open object per setting (the
 * per-setting request schemas in settings.schemas.ts say what each holds).
 */
const Setting = (description: string) =>
  Type.Object({}, { additionalProperties: true, description })
export const ProxySettingsSchema = Type.Object({
  apiKeys: Setting('publicKey, and secretKey masked when set'),
  cache: Setting('Response cache'),
  circuitBreaker: Setting('Circuit breaker'),
  connection: Setting('Backend connection: timeouts (seconds), retries, redirects, pool'),
  cors: Setting('CORS'),
  forwardedIpHeader: Setting('Which header, and which entry of it, holds the client IP'),
  hideSpecFile: Type.Boolean(),
  jsonErrorTemplate: Setting('JSON error response template'),
  xmlErrorTemplate: Setting('XML error response template'),
  mtls: Setting('Mutual TLS towards the backend'),
  ntlm: Setting('NTLM towards the backend; password masked when set'),
  proxyServer: Setting('Outbound proxy server; proxyPassword masked when set'),
  trafficLog: Setting('Traffic log, per environment'),
  soapToRest: Type.Boolean(),
  enableWSA: Type.Boolean(),
  enableWSRM: Type.Boolean(),
  backendApiVersion: Type.Union([Type.String(), Type.Null()]),
  maintenanceModeSetting: Setting('Maintenance answer'),
  specAuthorizationValueList: Type.Array(
    Type.Object({ headerName: Type.String(), headerValue: Type.String() }),
  ),
})
export type ProxySettingsView = Static<typeof ProxySettingsSchema>

/** The api_proxies.client_route document; the fields after virtualHostList are the docs' additions. */
export interface StoredClientRoute {
  relativePathList: string[]
  /** The docs' hostList. */
  virtualHostList: string[]
  methodList?: string[]
  headerList?: { name: string; value: string }[]
  bufferRequest?: boolean
  bufferResponse?: boolean
}

/** The api_proxies.routing document. */
export interface StoredRouting {
  routingEnabled: boolean
  mirrorEnabled?: boolean
  /** apiops's own field: where mirrored copies go (the docs name no mirror backend). */
  mirrorAddressList?: { address: string }[]
  loadBalanceAlgorithm?: string
  routingAddressList: {
    address: string
    weight: number
    healthCheckEnabled: boolean
    soapType?: string
  }[]
}
