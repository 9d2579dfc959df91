import { Type } from 'typebox'
import { FreeText, NameParam } from '../../http/schemas.ts'
import { PolicyConditionSchema } from '../proxies/policies/policies.condition.ts'
import { closed, Enum, Nullable } from '../proxies/policies/policy-fields.ts'
import { Variable } from '../proxies/policies/policy-variable.ts'

export const ProjectParams = Type.Object({ projectName: NameParam })
export const RlclParams = Type.Object({ projectName: NameParam, rlclName: NameParam })

/** More than any list a person keeps by hand; the documented lists have a handful. */
export const MAX_MEMBERS = 1000

const CacheErrorHandling = Enum('FAIL', 'CONTINUE')
const WindowType = Enum('FIXED', 'SLIDING')
const Seconds = Type.Integer({ minimum: 1, maximum: 300 })

/** The documented RLCL body; defaults (enabled, FIRST, 3 s, FAIL, FIXED) filled on store. */
export const RlclBody = Type.Object(
  {
    name: NameParam,
    description: Type.Optional(Nullable(FreeText(1000))),
    enabled: Type.Optional(Type.Boolean()),
    executionOrder: Type.Optional(Enum('FIRST', 'LAST')),
    cacheConnectionTimeoutInSeconds: Type.Optional(Seconds),
    cacheErrorHandlingType: Type.Optional(CacheErrorHandling),
    timeIntervalWindowType: Type.Optional(WindowType),
    showRateLimitStatisticsInResponseHeader: Type.Optional(Type.Boolean()),
    targetVariable: Type.Optional(Nullable(Variable)),
  },
  closed,
)

/** The update's body: as create's, the name optional (the path names the RLCL). */
export const RlclUpdateBody = Type.Object(
  { ...RlclBody.properties, name: Type.Optional(NameParam) },
  closed,
)

export const CredentialNamesBody = Type.Object(
  { credentialNameList: Type.Array(NameParam, { minItems: 1, maxItems: MAX_MEMBERS }) },
  closed,
)

const HTTP_METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'TRACE', 'ALL']

/** One documented endpoint rate limit: where (proxy, endpoint or ALL) and how much. */
export const EndpointRateLimit = Type.Object(
  {
    apiProxyName: NameParam,
    endpointName: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
    endpointHTTPMethod: Type.Optional(Enum(...HTTP_METHODS)),
    permittedMessageCount: Type.Integer({ minimum: 1, maximum: 1_000_000_000 }),
    timeIntervalPeriodLength: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
    timeInterval: Enum('ONE_SECOND', 'ONE_MINUTE', 'ONE_HOUR', 'ONE_DAY', 'ONE_MONTH'),
    targetVariable: Type.Optional(Nullable(Variable)),
    cacheConnectionTimeoutInSeconds: Seconds,
    cacheErrorHandlingType: CacheErrorHandling,
    timeIntervalWindowType: WindowType,
    targetIdentityValue: Type.Optional(Nullable(Type.String({ maxLength: 1000 }))),
    showRateLimitStatisticsInResponseHeader: Type.Optional(Type.Boolean()),
    enabled: Type.Optional(Type.Boolean()),
  },
  closed,
)

export const EndpointsBody = Type.Object(
  { endpointRateLimitList: Type.Array(EndpointRateLimit, { minItems: 1, maxItems: MAX_MEMBERS }) },
  closed,
)

/**
 * A delete names each limit by its place (the delete page sends only apiProxyName,
 * endpointName and endpointHTTPMethod); rate fields, when sent as well, are still checked.
 */
export const RemoveEndpointsBody = Type.Object(
  {
    endpointRateLimitList: Type.Array(
      Type.Object(
        { ...Type.Partial(EndpointRateLimit).properties, apiProxyName: NameParam },
        closed,
      ),
      { minItems: 1, maxItems: MAX_MEMBERS },
    ),
  },
  closed,
)

/** Replace takes an empty list too: it empties the RLCL. */
export const ReplaceCredentialsBody = Type.Object(
  { credentialNameList: Type.Array(NameParam, { maxItems: MAX_MEMBERS }) },
  closed,
)
export const ReplaceEndpointsBody = Type.Object(
  { endpointRateLimitList: Type.Array(EndpointRateLimit, { maxItems: MAX_MEMBERS }) },
  closed,
)

export const ConditionBody = PolicyConditionSchema

const Settings = {
  enabled: Type.Boolean(),
  executionOrder: Type.String(),
  cacheConnectionTimeoutInSeconds: Type.Integer(),
  cacheErrorHandlingType: Type.String(),
  timeIntervalWindowType: Type.String(),
  showRateLimitStatisticsInResponseHeader: Type.Boolean(),
  targetVariable: Nullable(Type.Object({}, { additionalProperties: true })),
}

export const RlclSummarySchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  description: Type.String(),
  ...Settings,
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
})

export const RlclSchema = Type.Object({
  ...RlclSummarySchema.properties,
  condition: Nullable(Type.Object({}, { additionalProperties: true })),
  credentialNameList: Type.Array(Type.String()),
  endpointRateLimitList: Type.Array(Type.Object({}, { additionalProperties: true })),
})

export const RlclAnswer = Type.Object({
  status: Type.Literal('SUCCESS'),
  success: Type.Literal(true),
  rlcl: RlclSchema,
})

export const MembersChangeSchema = Type.Object({
  status: Type.Literal('SUCCESS'),
  success: Type.Literal(true),
  added: Type.Integer(),
  removed: Type.Integer(),
  count: Type.Integer({ description: 'Members (credentials or rate limits) the RLCL now holds' }),
})
