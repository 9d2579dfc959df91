import { Type } from 'typebox'
import { NameParam } from '../../http/schemas.ts'

const Num = (description: string) => Type.Number({ description })
const NumOrNull = (description: string) => Type.Union([Type.Number(), Type.Null()], { description })

export const Figures = {
  requestCount: Type.Integer({ description: 'Requests in the range' }),
  errorCount: Type.Integer({
    description: 'Requests answered 5xx or failed by the gateway (an error code was recorded)',
  }),
  clientErrorCount: Type.Integer({ description: 'Requests answered 4xx' }),
  avgMs: NumOrNull('Mean total latency in ms; null without requests'),
  maxMs: NumOrNull('Highest total latency in ms; null without requests'),
  avgUpstreamMs: NumOrNull('Mean time waiting on the upstream in ms; null when none was called'),
  bytesIn: Num('Request bytes received from clients'),
  bytesOut: Num('Response bytes sent to clients'),
}

const DateTime = (description: string) =>
  Type.String({ format: 'date-time', maxLength: 40, description })

export const RangeQuery = {
  from: Type.Optional(DateTime('From this instant on (inclusive), ISO 8601 with a time zone')),
  to: Type.Optional(DateTime('Before this instant (exclusive); default now')),
}

export const ApiProxiesReportQuery = Type.Object(
  {
    includeEndpoints: Type.Optional(
      Type.Boolean({ description: "true: each proxy's endpoints too (default false)" }),
    ),
  },
  { additionalProperties: false },
)

const Endpoint = Type.Object({
  id: Type.String(),
  name: Type.String({ description: '"<METHOD> <path>"' }),
  method: Type.String(),
  path: Type.String(),
})

export const ApiProxiesReportBody = Type.Object({
  status: Type.Literal('SUCCESS'),
  success: Type.Literal(true),
  resultList: Type.Array(
    Type.Object({
      id: Type.String(),
      name: Type.String(),
      description: Type.String(),
      type: Type.String({
        description: 'REST or SOAP for an API proxy; API_PROXY_GROUP for a group',
      }),
      projectName: Type.String(),
      endpoints: Type.Optional(
        Type.Array(Endpoint, { description: 'With includeEndpoints=true; a group has none' }),
      ),
    }),
  ),
  resultCount: Type.Integer(),
})

const Access = Type.Object({
  credentialUsername: Type.String(),
  projectName: Type.String({ description: "The credential's project" }),
  viaGroup: Type.Union([Type.String(), Type.Null()], {
    description: 'The proxy group the access was granted on; null: granted on the proxy itself',
  }),
  grantedAt: Type.String({ format: 'date-time' }),
})

export const AccessReportBody = Type.Object({
  status: Type.Literal('SUCCESS'),
  success: Type.Literal(true),
  result: Type.Object({
    apiProxyList: Type.Array(
      Type.Object({
        apiProxyName: Type.String(),
        projectName: Type.String(),
        sharingType: Type.Union([Type.Literal('EXTERNAL'), Type.Literal('BOTH')]),
        accessList: Type.Array(Access),
      }),
    ),
    dataModelList: Type.Array(Type.Never(), {
      description: 'Always empty: apiops has no data models',
    }),
  }),
})

export const GROUPS = ['proxy', 'environment', 'endpoint', 'status', 'credential'] as const

export const TrafficReportQuery = Type.Object(
  {
    ...RangeQuery,
    groupBy: Type.Optional(
      Type.Union(
        GROUPS.map((g) => Type.Literal(g)),
        {
          description:
            'What one row counts: per proxy (default), environment, endpoint, status code or credential',
        },
      ),
    ),
    projectName: Type.Optional(NameParam),
    environmentName: Type.Optional(NameParam),
  },
  { additionalProperties: false },
)

const Nullable = (description: string) =>
  Type.Optional(Type.Union([Type.String(), Type.Null()], { description }))

export const TrafficReportBody = Type.Object({
  status: Type.Literal('SUCCESS'),
  success: Type.Literal(true),
  from: Type.String({ format: 'date-time' }),
  to: Type.String({ format: 'date-time' }),
  groupBy: Type.String(),
  resultList: Type.Array(
    Type.Object({
      apiProxyId: Type.Optional(Type.String()),
      apiProxyName: Type.Optional(Type.String()),
      endpoint: Nullable('"<METHOD> <path template>"; null for a reverse proxy'),
      environmentName: Type.Optional(Type.String()),
      statusCode: Type.Optional(Type.Integer()),
      credential: Nullable('The username of the credential; null: none authenticated'),
      ...Figures,
    }),
    { description: `The busiest groups first, at most 1000` },
  ),
  resultCount: Type.Integer(),
})

export const ProxyTrafficParams = Type.Object({
  projectName: NameParam,
  apiProxyName: NameParam,
})

export const ProxyTrafficQuery = Type.Object(RangeQuery, { additionalProperties: false })

export const ProxyTrafficBody = Type.Object({
  status: Type.Literal('SUCCESS'),
  success: Type.Literal(true),
  result: Type.Object({
    apiProxyName: Type.String(),
    projectName: Type.String(),
    from: Type.String({ format: 'date-time' }),
    to: Type.String({ format: 'date-time' }),
    environmentList: Type.Array(
      Type.Object({
        environmentName: Type.String(),
        ...Figures,
        p95Ms: NumOrNull('95th percentile of total latency in ms (nearest rank)'),
        requestRate: Num('Requests per second over the range'),
        errorRate: Num('errorCount / requestCount (0 without requests)'),
      }),
      {
        description:
          'Every environment the proxy is deployed to, and any other that served it in the range',
      },
    ),
  }),
})
