import { type TSchema, Type } from 'typebox'
import { FreeText, INVISIBLE, Label, matching } from '../../../http/schemas.ts'

/*
 * Building blocks of the proxy settings and of the documented create/update body:
 * enums exactly as the Apinizer docs list them, and the strings they are made of.
 * No schema here carries a `default` (the validator would fill it into a PATCH).
 */

export const enumOf = <T extends string>(values: readonly T[]) =>
  Type.Unsafe<T>({ type: 'string', enum: [...values] })
export const nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()])
export const strict = { additionalProperties: false } as const
export const Seconds = Type.Integer({ minimum: 0, maximum: 86_400 })
export const Count = (maximum: number) => Type.Integer({ minimum: 0, maximum })

export const HTTP_METHODS = [
  'GET',
  'POST',
  'PUT',
  'HEAD',
  'OPTIONS',
  'DELETE',
  'PATCH',
  'TRACE',
  'ALL',
] as const
export const SHARING_TYPES = ['BOTH', 'NONE', 'EXTERNAL', 'INTERNAL'] as const
export const SOAP_TYPES = ['SOAP11', 'SOAP12'] as const
export const CACHE_KEY_TYPES = ['QUERY_PARAMS', 'CUSTOM'] as const
export const CACHE_STORAGE_TYPES = ['LOCAL', 'DISTRIBUTED'] as const
export const CACHE_HANDLING_ACTIONS = ['CONTINUE', 'STOP'] as const
export const VARIABLE_TYPES = ['HEADER', 'PARAMETER', 'BODY', 'CONTEXT_VALUES', 'CUSTOM'] as const
export const VARIABLE_DATA_TYPES = ['NUMERIC', 'STRING', 'DATE'] as const
export const THRESHOLD_TYPES = ['COUNT', 'PERCENT'] as const
export const POOL_TYPES = ['GENERAL', 'CUSTOM', 'NONE'] as const
export const XFF_ORDERS = ['FIRST', 'SECOND', 'THIRD', 'FOURTH', 'FIFTH', 'LAST'] as const
export const TLS_PROTOCOLS = ['TLS_1_3', 'TLS_1_2', 'TLS_1_1', 'TLS_1_0', 'SSL_3_0'] as const
export const HOSTNAME_VERIFIERS = ['NOOP', 'DEFAULT', 'STRICT', 'BROWSER_COMPAT'] as const
/** The docs' pages name different algorithms (create-from-url, create-from-file, import): all are accepted. */
export const LOAD_BALANCE_ALGORITHMS = [
  'ROUND_ROBIN',
  'WEIGHTED_ROUND_ROBIN',
  'WEIGHTED',
  'LEAST_CONNECTIONS',
  'LRU',
  'RANDOM',
  'PICK_FIRST',
  'IP_HASH',
  'URL_HASH',
] as const

/** RFC 9110 token: what a header name may be. */
export const HeaderName = Type.String({
  minLength: 1,
  maxLength: 256,
  ...matching("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$", 'must be an HTTP header name (RFC 9110 token)'),
})
export const HeaderValue = Type.String({
  maxLength: 4096,
  ...matching('^[^\\r\\n\\u0000]*$', 'must not contain line breaks'),
})
export const Host = Type.String({
  minLength: 1,
  maxLength: 253,
  ...matching(
    '^[A-Za-z0-9.*-]+(:\\d+)?$',
    'must be a host name (* allowed), optionally with :port',
  ),
})
export const RelativePath = Type.String({
  minLength: 2,
  maxLength: 500,
  ...matching('^/[^\\s]*$', 'must start with / and contain no spaces'),
})
/** A key or secret: not blank, no control characters. */
export const NonBlank = (maxLength: number) =>
  Type.String({
    minLength: 1,
    maxLength,
    ...matching('^(?=.*\\S)[^\\p{Cc}]+$', 'must not be blank or contain control characters'),
  })
export const Secret = NonBlank(1024)
export const Method = enumOf(HTTP_METHODS)
export const list = <T extends TSchema>(item: T, maxItems = 50) => Type.Array(item, { maxItems })

export const ContentType = Type.String({
  minLength: 1,
  maxLength: 200,
  ...matching(
    '^[A-Za-z0-9!#$&^_.+-]+/[A-Za-z0-9!#$&^_.+-]+( *;[^\\r\\n]*)?$',
    'must be a media type such as application/json;charset=UTF-8',
  ),
})
export const HeaderMatch = Type.Object({ name: HeaderName, value: HeaderValue }, strict)

/** Fields of the documented create/update body beyond what apiops first modelled. */
export const ClientRouteExtraFields = {
  hostList: Type.Optional(nullable(list(Host))),
  methodList: Type.Optional(nullable(list(Method, 9))),
  headerList: Type.Optional(nullable(list(HeaderMatch))),
  bufferRequest: Type.Optional(Type.Boolean()),
  bufferResponse: Type.Optional(Type.Boolean()),
}
/**
 * Where mirrored copies go (apiops's own field: the docs name no mirror backend). An
 * http(s) URL as written: variables are resolved (and sealed) in routing addresses only.
 */
export const MirrorAddressItem = Type.Object(
  {
    address: Type.String({
      maxLength: 2048,
      ...matching(
        '^https?://(?!.*\\$\\{)[^\\s\\p{Cc}\\p{Cf}]+$',
        `must be an http:// or https:// URL without environment variables, spaces, ${INVISIBLE}`,
      ),
    }),
  },
  strict,
)
export const RoutingInfoExtraFields = {
  mirrorEnabled: Type.Optional(Type.Boolean()),
  mirrorAddressList: Type.Optional(nullable(list(MirrorAddressItem, 10))),
  loadBalanceAlgorithm: Type.Optional(enumOf(LOAD_BALANCE_ALGORITHMS)),
  connectTimeout: Type.Optional(Seconds),
  readTimeout: Type.Optional(Seconds),
  retryCount: Type.Optional(Count(100)),
  failoverRetryCount: Type.Optional(Count(100)),
  ignoreRoutingError: Type.Optional(Type.Boolean()),
}
export const MaintenanceModeSchema = Type.Object(
  {
    enabled: Type.Optional(Type.Boolean()),
    httpStatusCode: Type.Optional(Type.Integer({ minimum: 100, maximum: 599 })),
    contentType: Type.Optional(ContentType),
    message: Type.Optional(FreeText(4096)),
  },
  strict,
)
export const SpecAuthorizationValue = Type.Object(
  { headerName: HeaderName, headerValue: Secret },
  strict,
)
export const ProxyExtraFields = {
  reParse: Type.Optional(Type.Boolean()),
  soapToRest: Type.Optional(Type.Boolean()),
  enableWSA: Type.Optional(Type.Boolean()),
  enableWSRM: Type.Optional(Type.Boolean()),
  backendApiVersion: Type.Optional(nullable(Label(100))),
  maintenanceModeSetting: Type.Optional(MaintenanceModeSchema),
  specAuthorizationValueList: Type.Optional(
    nullable(Type.Array(SpecAuthorizationValue, { maxItems: 20 })),
  ),
}

/**
 * A backend address: an http(s) URL, or one that starts with an environment variable
 * (`${API_BASE_URL}/orders`). References resolve per environment when the proxy is
 * deployed, which refuses an address that does not resolve there to an http(s) URL.
 */
export const RoutingAddress = Type.String({
  maxLength: 2048,
  ...matching(
    '^(https?://|\\$\\{)[^\\s\\p{Cc}\\p{Cf}]+$',
    `must be an http:// or https:// URL, or start with a \${NAME} environment variable reference, without spaces, ${INVISIBLE}`,
  ),
})
