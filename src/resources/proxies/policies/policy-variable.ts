import { Type } from 'typebox'
import { COMPONENT } from '../../../http/openapi-components.ts'
import { FreeText, Label, matching } from '../../../http/schemas.ts'
import { enumOf, HeaderName, NonBlank, strict } from '../settings/settings.fields.ts'
import type { PolicyIssue } from './types/definition.ts'

/*
 * The one variable (the documented VariableDTO) every policy type, condition rule and
 * RLCL uses: where a value is read from. Its lists are the union of what the docs
 * spell: the add-policy page's VariableDTO and the variable-definition appendix first,
 * then the spellings single type pages document or send in their own examples (so each
 * example is accepted as written, and a typo still answers 400 naming the field).
 */

/**
 * EnumVariableType, then CONTEXT and SCRIPT (the IP, quota, API call and digest pages'
 * tables) and the three the client-ban page's examples send.
 */
export const VARIABLE_TYPES = [
  'HEADER',
  'PARAMETER',
  'BODY',
  'CONTEXT_VALUES',
  'CUSTOM',
  'CONTEXT',
  'SCRIPT',
  'HTTP_STATUS_CODE',
  'REQUEST_PATH',
  'CLIENT_IP',
] as const

const PARAM_TYPES = ['QUERY', 'PATH', 'FORM'] as const
/** The VariableDTO's three, and ALL_BODY (the appendix and the API authentication page). */
const MESSAGE_CONTENT_TYPES = ['JSON', 'XML', 'FORM', 'ALL_BODY'] as const
export const SCRIPT_LANGUAGES = ['GROOVY', 'JAVASCRIPT'] as const

/** EnumVariableContextValue, as the variable-definition appendix lists it. */
const APPENDIX_CONTEXT_VALUES = `REQUEST_REMOTE_ADDRESS REQUEST_HTTP_METHOD REQUEST_CONTENT_TYPE
  REQUEST_PATH_INFO REQUEST_CONTEXT_PATH REQUEST_QUERY_STRING REQUEST_REMOTE_USER
  REQUEST_USERNAME_KEY REQUEST_REQUESTED_SESSION_ID REQUEST_REQUEST_URI
  REQUEST_CHARACTER_ENCODING REQUEST_CHARSET REQUEST_CONTENT_LENGTH REQUEST_PROTOCOL
  REQUEST_SCHEME REQUEST_SERVER_NAME REQUEST_SERVER_PORT REQUEST_REMOTE_HOST
  REQUEST_REMOTE_PORT REQUEST_LOCAL_NAME REQUEST_LOCAL_ADDR REQUEST_LOCAL_PORT
  REQUEST_XFORWARDED_FOR REQUEST_IS_SOAP_TO_REST REQUEST_IS_APIPROXY REQUEST_IS_APIPROXYGROUP
  REQUEST_IS_XWWW_FORM_URL_ENCODED REQUEST_IS_FORM_DATA REQUEST_IS_BYTE_ARRAY
  REQUEST_HAS_ATTACHMENT REQUEST_GZIP REQUEST_DEFLATE REQUEST_BR REQUEST_ZSTD REQUEST_IDENTITY
  REQUEST_COMPRESS REQUEST_HTTP_SERVLET RESPONSE_IS_BYTE_ARRAY RESPONSE_GZIP RESPONSE_DEFLATE
  RESPONSE_BR RESPONSE_ZSTD RESPONSE_IDENTITY RESPONSE_COMPRESS RESPONSE_STATUS_CODE
  RESPONSE_HTTP_SERVLET MESSAGE_CORRELATION_ID ENVIRONMENT_ID ENVIRONMENT_NAME
  ENVIRONMENT_CERTIFICATE ENVIRONMENT_PRIVATEKEY ENVIRONMENT_PUBLICKEY ENVIRONMENT_SECRETKEY
  ENVIRONMENT_KEYSTORE ENVIRONMENT_JWK APIPROXYGROUP_ID APIPROXYGROUP_NAME APIPROXY_ID
  APIPROXY_NAME APIMETHOD_ID APIMETHOD_NAME APIMETHOD_SOAP_ACTION APIMETHOD_HTTPMETHOD
  APIMETHOD_ENDPOINT APIMETHOD_BACKEND_HTTPMETHOD APIMETHOD_BACKEND_ENDPOINT DATETIME_YEAR
  DATETIME_MONTH DATETIME_DAY_OF_WEEK DATETIME_DAY_OF_MONTH DATETIME_HOUR DATETIME_MINUTE
  DATETIME_SECOND DATETIME_EPOCH_MILLIS DATETIME_FORMATTED_TEXT DATE_FORMATTED_TEXT
  TIME_FORMATTED_TEXT CREDENTIAL_USERNAME CREDENTIAL_EMAIL CREDENTIAL_FULLNAME
  CREDENTIAL_SECRETKEY CREDENTIAL_CERTIFICATE CREDENTIAL_PUBLICKEY CREDENTIAL_PRIVATEKEY
  CREDENTIAL_KEYSTORE CREDENTIAL_TRUSTSTORE CREDENTIAL_JWK_SIGNANDVALIDATION
  CREDENTIAL_JWK_ENCRYPTIONANDDECRYPTION`

/** The JOSE pages' own list, the IP and quota pages' USER_AGENT, the business rule's NOW. */
const PAGE_CONTEXT_VALUES = `CURRENT_TIME CURRENT_DATE CLIENT_IP CLIENT_PORT SERVER_IP
  SERVER_PORT REQUEST_METHOD REQUEST_URI REQUEST_PATH REQUEST_HOST RESPONSE_STATUS_TEXT
  API_PROXY_NAME API_PROXY_ID ENDPOINT_NAME ENDPOINT_ID PROJECT_NAME PROJECT_ID USER_NAME
  USER_ID ORGANIZATION_NAME ORGANIZATION_ID ZONE_ID TIMEZONE_ID USER_AGENT NOW`

export const CONTEXT_VALUES: readonly string[] = [
  ...new Set(`${APPENDIX_CONTEXT_VALUES} ${PAGE_CONTEXT_VALUES}`.split(/\s+/)),
]

const Text = (maxLength: number) => Label(maxLength)
const Expression = NonBlank(1000)
const JsonPath = Type.String({
  minLength: 1,
  maxLength: 1000,
  ...matching('^\\$[^\\p{Cc}]*$', 'must be a JSONPath expression starting with $'),
})
const optional = Type.Optional

/**
 * `name` is not required although the table asks for it when `id` is absent: no example
 * the docs give sends either, and the examples are what clients copy. The body paths
 * come in two spellings (the VariableDTO's xpathValue / jsonPathValue, and the type
 * pages' bodyXPath / bodyJsonPath), and the crypto pages send a `dataType`.
 */
export const Variable = Type.Object(
  {
    id: optional(Text(100)),
    projectId: optional(Text(100)),
    name: optional(Text(200)),
    description: optional(FreeText(1000)),
    type: enumOf(VARIABLE_TYPES),
    headerName: optional(HeaderName),
    paramType: optional(enumOf(PARAM_TYPES)),
    paramName: optional(Text(200)),
    paramPath: optional(Text(1000)),
    formName: optional(Text(200)),
    xpathValue: optional(Expression),
    jsonPathValue: optional(JsonPath),
    bodyXPath: optional(Expression),
    bodyJsonPath: optional(JsonPath),
    dataType: optional(enumOf(['STRING', 'NUMBER', 'NUMERIC', 'DATE', 'BOOLEAN'])),
    messageContentType: optional(enumOf(MESSAGE_CONTENT_TYPES)),
    contextValue: optional(enumOf(CONTEXT_VALUES)),
    zoneId: optional(Text(100)),
    initWithScript: optional(Type.Boolean()),
    scriptLanguage: optional(enumOf(SCRIPT_LANGUAGES)),
    scriptBody: optional(FreeText(500_000, 1)),
  },
  { ...strict, [COMPONENT]: 'PolicyVariable' },
)

const present = (value: unknown) => value !== undefined && value !== null && value !== ''

/** The documented "required if type=..." rules of one variable at `path`. */
export function variableIssues(variable: unknown, path: string): PolicyIssue[] {
  if (typeof variable !== 'object' || variable === null || Array.isArray(variable)) return []
  const v = variable as Readonly<Record<string, unknown>>
  const type = String(v.type)
  const rules: [field: string, when: boolean, why: string][] = [
    ['headerName', type === 'HEADER', 'type is HEADER'],
    ['paramType', type === 'PARAMETER', 'type is PARAMETER'],
    ['paramName', type === 'PARAMETER', 'type is PARAMETER'],
    ['contextValue', /^CONTEXT/.test(type), `type is ${type}`],
    ['scriptLanguage', v.initWithScript === true, 'initWithScript'],
    ['scriptBody', v.initWithScript === true, 'initWithScript'],
  ]
  const issues = rules
    .filter(([field, when]) => when && !present(v[field]))
    .map(([field, , why]) => ({ field: `${path}.${field}`, message: `is required when ${why}` }))
  const paths = ['xpathValue', 'jsonPathValue', 'bodyXPath', 'bodyJsonPath']
  if (type === 'BODY' && !paths.some((key) => present(v[key]))) {
    issues.push({ field: path, message: `needs one of ${paths.join(', ')} when type is BODY` })
  }
  return issues
}
