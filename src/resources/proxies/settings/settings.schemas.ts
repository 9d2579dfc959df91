import { type Static, Type } from 'typebox'
import { FreeText, Label, matching, NameParam } from '../../../http/schemas.ts'
import {
  CACHE_HANDLING_ACTIONS,
  CACHE_KEY_TYPES,
  CACHE_STORAGE_TYPES,
  ContentType,
  Count,
  enumOf,
  HeaderMatch,
  HeaderName,
  HOSTNAME_VERIFIERS,
  Host,
  list,
  Method,
  MirrorAddressItem,
  NonBlank,
  nullable,
  POOL_TYPES,
  RelativePath,
  RoutingAddress,
  Seconds,
  Secret,
  SHARING_TYPES,
  SOAP_TYPES,
  strict,
  THRESHOLD_TYPES,
  TLS_PROTOCOLS,
  VARIABLE_DATA_TYPES,
  VARIABLE_TYPES,
  XFF_ORDERS,
} from './settings.fields.ts'

/*
 * The request bodies of the 17 proxy settings, one schema each, as the Apinizer docs
 * describe them. No field carries a `default`: the validator fills defaults in, and a
 * PATCH must change only what it names. Defaults live in settings.model.ts.
 */

export const ClientRouteBody = Type.Object(
  {
    relativePathList: Type.Optional(nullable(list(RelativePath))),
    methodList: Type.Optional(nullable(list(Method, 9))),
    hostList: Type.Optional(nullable(list(Host))),
    headerList: Type.Optional(nullable(list(HeaderMatch))),
    bufferRequest: Type.Optional(Type.Boolean()),
    bufferResponse: Type.Optional(Type.Boolean()),
  },
  strict,
)

export const SettingsAddress = Type.Object(
  {
    address: RoutingAddress,
    weight: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000 })),
    healthCheckEnabled: Type.Optional(Type.Boolean()),
    soapType: Type.Optional(enumOf(SOAP_TYPES)),
  },
  strict,
)
export const AddressesBody = Type.Object(
  { routingAddressList: Type.Array(SettingsAddress, { maxItems: 50 }) },
  strict,
)

export const RoutingStatusBody = Type.Object(
  {
    routingEnabled: Type.Optional(Type.Boolean()),
    mirrorEnabled: Type.Optional(Type.Boolean()),
    mirrorAddressList: Type.Optional(nullable(list(MirrorAddressItem, 10))),
  },
  { ...strict, minProperties: 1 },
)

export const MetadataBody = Type.Object(
  {
    name: Type.Optional(NameParam),
    description: Type.Optional(FreeText(1000)),
    categoryList: Type.Optional(Type.Array(Label(100), { maxItems: 50, uniqueItems: true })),
    sharingType: Type.Optional(enumOf(SHARING_TYPES)),
  },
  { ...strict, minProperties: 1 },
)

export const ApiKeysBody = Type.Object(
  { publicKey: Type.Optional(NonBlank(512)), secretKey: Type.Optional(Secret) },
  { ...strict, minProperties: 1 },
)

const CacheVariable = Type.Object(
  {
    name: NonBlank(200),
    type: enumOf(VARIABLE_TYPES),
    dataType: Type.Optional(enumOf(VARIABLE_DATA_TYPES)),
  },
  strict,
)
export const CacheBody = Type.Object(
  {
    name: Label(200),
    description: Type.Optional(FreeText(1000)),
    cacheActive: Type.Optional(Type.Boolean()),
    cacheOnlyHttpGetRequests: Type.Optional(Type.Boolean()),
    cacheKeyType: Type.Optional(enumOf(CACHE_KEY_TYPES)),
    cacheStorageType: Type.Optional(enumOf(CACHE_STORAGE_TYPES)),
    capacity: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000_000 })),
    ttl: Type.Optional(Type.Integer({ minimum: 1, maximum: 31_536_000 })),
    handlingAction: enumOf(CACHE_HANDLING_ACTIONS),
    invalidationRequiresAuthn: Type.Optional(Type.Boolean()),
    cacheNullValue: Type.Optional(Type.Boolean()),
    variableList: Type.Optional(list(CacheVariable)),
  },
  strict,
)

export const CircuitBreakerBody = Type.Object(
  {
    circuitBreakerEnabled: Type.Optional(Type.Boolean()),
    errorWindow: Type.Optional(Type.Integer({ minimum: 1, maximum: 86_400 })),
    errorThresholdValue: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
    enumErrorThresholdType: Type.Optional(enumOf(THRESHOLD_TYPES)),
    sleepWindow: Type.Optional(Type.Integer({ minimum: 1, maximum: 86_400 })),
    halfOpenEnabled: Type.Optional(Type.Boolean()),
  },
  strict,
)

export const ConnectionBody = Type.Object(
  {
    connectionSettingsEnabled: Type.Optional(Type.Boolean()),
    connectTimeout: Type.Optional(Seconds),
    readTimeout: Type.Optional(Seconds),
    connectionRequestTimeout: Type.Optional(Seconds),
    redirectsEnabled: Type.Optional(Type.Boolean()),
    maxRedirects: Type.Optional(Count(100)),
    relativeRedirectsAllowed: Type.Optional(Type.Boolean()),
    disableContentCompression: Type.Optional(Type.Boolean()),
    enableStreaming: Type.Optional(Type.Boolean()),
    retryCount: Type.Optional(Count(100)),
    failoverRetryCount: Type.Optional(Count(100)),
    ignoreRoutingError: Type.Optional(Type.Boolean()),
    connectionPoolManagementType: Type.Optional(enumOf(POOL_TYPES)),
    customConnectionPoolSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
  },
  strict,
)

const Origin = Type.String({
  minLength: 1,
  maxLength: 2048,
  ...matching(
    '^(\\*|https?://[^\\s/\\p{Cc}\\p{Cf}]+|null)$',
    'must be *, null or an http(s) origin without a path',
  ),
})
export const CorsBody = Type.Object(
  {
    name: Label(200),
    description: Type.Optional(FreeText(1000)),
    corsActive: Type.Optional(Type.Boolean()),
    allowOriginList: Type.Optional(list(Origin, 100)),
    allowMethodList: Type.Optional(list(Method, 9)),
    allowHeaderList: Type.Optional(list(Type.Union([Type.Literal('*'), HeaderName]), 100)),
    exposeHeaderList: Type.Optional(list(HeaderName, 100)),
    allowCredentials: Type.Optional(enumOf(['true', 'false'] as const)),
    maxAge: Type.Optional(Type.Integer({ minimum: 0, maximum: 604_800 })),
  },
  strict,
)

export const ForwardedIpHeaderBody = Type.Object(
  {
    forwardedIpHeaderParamActive: Type.Optional(Type.Boolean()),
    value: Type.Optional(HeaderName),
    xffOrder: Type.Optional(enumOf(XFF_ORDERS)),
  },
  strict,
)

export const HideSpecFileParams = Type.Object({
  projectName: NameParam,
  apiProxyName: NameParam,
  hideSpecFile: enumOf(['true', 'false'] as const),
})

const Template = FreeText(65_536)
export const JsonErrorTemplateBody = Type.Object(
  {
    jsonErrorResponseTemplateActive: Type.Optional(Type.Boolean()),
    jsonValue: Type.Optional(Template),
    contentType: Type.Optional(ContentType),
    permitSpecialChars: Type.Optional(Type.Boolean()),
  },
  strict,
)
export const XmlErrorTemplateBody = Type.Object(
  {
    xmlErrorResponseTemplateActive: Type.Optional(Type.Boolean()),
    xmlValue: Type.Optional(Template),
    contentType: Type.Optional(ContentType),
    permitSpecialChars: Type.Optional(Type.Boolean()),
  },
  strict,
)

export const MtlsBody = Type.Object(
  {
    enabled: Type.Optional(Type.Boolean()),
    keyStoreId: Type.Optional(nullable(NonBlank(200))),
    trustStoreId: Type.Optional(nullable(NonBlank(200))),
    supportedProtocolList: Type.Optional(
      Type.Array(enumOf(TLS_PROTOCOLS), { maxItems: 5, uniqueItems: true }),
    ),
    hostnameVerifierType: Type.Optional(enumOf(HOSTNAME_VERIFIERS)),
  },
  strict,
)

export const NtlmBody = Type.Object(
  {
    enabled: Type.Optional(Type.Boolean()),
    domain: Type.Optional(NonBlank(255)),
    username: Type.Optional(NonBlank(255)),
    password: Type.Optional(Secret),
    workstation: Type.Optional(nullable(NonBlank(255))),
  },
  strict,
)

export const ProxyServerBody = Type.Object(
  {
    proxyEnabled: Type.Optional(Type.Boolean()),
    proxyFromHeaderEnabled: Type.Optional(Type.Boolean()),
    proxyHost: Type.Optional(Host),
    proxyPort: Type.Optional(Type.Integer({ minimum: 1, maximum: 65_535 })),
    proxyAuthorizationNeeded: Type.Optional(Type.Boolean()),
    proxyUsername: Type.Optional(NonBlank(255)),
    proxyPassword: Type.Optional(Secret),
  },
  strict,
)

const LOG_FLAGS = [
  'logParamRequestFromClient',
  'logHeaderRequestFromClient',
  'logBodyRequestFromClient',
  'logParamRequestToTarget',
  'logHeaderRequestToTarget',
  'logBodyRequestToTarget',
  'logHeaderResponseFromTarget',
  'logBodyResponseFromTarget',
  'logHeaderResponseToClient',
  'logBodyResponseToClient',
] as const
const CONNECTOR_FLAGS = [
  'enableDatabaseConnector',
  'enableElasticsearchConnector',
  'enableSyslogConnector',
  'enableWebhookConnector',
  'enableRabbitMqConnector',
  'enableActiveMqConnector',
  'enableKafkaConnector',
  'enableGraylogConnector',
  'enableLogbackConnector',
] as const
export const TRAFFIC_LOG_FLAGS = [...LOG_FLAGS, ...CONNECTOR_FLAGS] as const
const optionalFlag = () => Type.Optional(Type.Boolean())
const flags = Object.fromEntries(TRAFFIC_LOG_FLAGS.map((f) => [f, optionalFlag()])) as Record<
  (typeof TRAFFIC_LOG_FLAGS)[number],
  ReturnType<typeof optionalFlag>
>
export const TrafficLogItem = Type.Object({ environmentName: NameParam, ...flags }, strict)
export const TrafficLogBody = Type.Object(
  {
    enabledTraceLog: Type.Optional(Type.Boolean()),
    enabledApplicationLog: Type.Optional(Type.Boolean()),
    apiProxyTrafficLogSettingsList: Type.Optional(Type.Array(TrafficLogItem, { maxItems: 100 })),
  },
  strict,
)

export type ClientRouteInput = Static<typeof ClientRouteBody>
export type AddressesInput = Static<typeof AddressesBody>
export type RoutingStatusInput = Static<typeof RoutingStatusBody>
export type MetadataInput = Static<typeof MetadataBody>
export type ApiKeysInput = Static<typeof ApiKeysBody>
export type CacheInput = Static<typeof CacheBody>
export type CircuitBreakerInput = Static<typeof CircuitBreakerBody>
export type ConnectionInput = Static<typeof ConnectionBody>
export type CorsInput = Static<typeof CorsBody>
export type ForwardedIpHeaderInput = Static<typeof ForwardedIpHeaderBody>
export type JsonErrorTemplateInput = Static<typeof JsonErrorTemplateBody>
export type XmlErrorTemplateInput = Static<typeof XmlErrorTemplateBody>
export type MtlsInput = Static<typeof MtlsBody>
export type NtlmInput = Static<typeof NtlmBody>
export type ProxyServerInput = Static<typeof ProxyServerBody>
export type TrafficLogInput = Static<typeof TrafficLogBody>
