import { Type } from 'typebox'
import { FreeText, HttpUrl, matching, NameParam } from '../../http/schemas.ts'
import { ConfirmationFields } from '../environments/gateway-nodes.ts'
import { EndpointSchema } from './endpoints/endpoints.schemas.ts'
import {
  ClientRouteExtraFields,
  enumOf,
  nullable,
  ProxyExtraFields,
  RoutingAddress,
  RoutingInfoExtraFields,
  SOAP_TYPES,
} from './settings/settings.fields.ts'
import { ProxySettingsSchema } from './settings/settings.model.ts'

export const CREATION_TYPES = ['REVERSE_PROXY', 'OPEN_API', 'SWAGGER', 'WSDL'] as const
export type CreationType = (typeof CREATION_TYPES)[number]

const AnyHttpUrl = HttpUrl()
const RelativePath = Type.String({
  minLength: 2,
  maxLength: 500,
  ...matching('^/[^\\s]*$', 'must start with / and contain no spaces'),
})

export const ClientRouteSchema = Type.Object(
  {
    relativePathList: Type.Array(RelativePath, { minItems: 1, maxItems: 50, uniqueItems: true }),
    virtualHostList: Type.Optional(
      Type.Array(
        Type.String({
          minLength: 1,
          maxLength: 253,
          ...matching(
            '^[A-Za-z0-9.*-]+(:\\d+)?$',
            'must be a host name (* allowed), optionally with :port',
          ),
        }),
        {
          maxItems: 50,
          uniqueItems: true,
        },
      ),
    ),
    ...ClientRouteExtraFields,
  },
  { additionalProperties: false },
)

export const RoutingAddressSchema = Type.Object(
  {
    address: RoutingAddress,
    weight: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000, default: 100 })),
    healthCheckEnabled: Type.Optional(Type.Boolean({ default: false })),
    soapType: Type.Optional(enumOf(SOAP_TYPES)),
  },
  { additionalProperties: false },
)

export const RoutingInfoSchema = Type.Object(
  {
    routingAddressList: Type.Array(RoutingAddressSchema, { minItems: 1, maxItems: 50 }),
    routingEnabled: Type.Optional(Type.Boolean({ default: true })),
    ...RoutingInfoExtraFields,
  },
  { additionalProperties: false },
)

export const ProxyFromUrlBody = Type.Object(
  {
    apiProxyName: NameParam,
    apiProxyDescription: Type.Optional(FreeText(1000)),
    apiProxyCreationType: Type.Unsafe<CreationType>({ type: 'string', enum: [...CREATION_TYPES] }),
    specUrl: Type.Optional(nullable(AnyHttpUrl)),
    clientRoute: Type.Optional(ClientRouteSchema),
    routingInfo: Type.Optional(RoutingInfoSchema),
    deploy: Type.Optional(Type.Boolean({ default: false })),
    deployTargetEnvironmentNameList: Type.Optional(
      Type.Array(NameParam, { maxItems: 100, uniqueItems: true }),
    ),
    ...ProxyExtraFields,
  },
  { additionalProperties: false },
)

const DeploymentSchema = Type.Object({
  environmentName: Type.String(),
  deployed: Type.Boolean(),
  redeployRequired: Type.Boolean(),
  deployedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  deployedBy: Type.Union([Type.String(), Type.Null()]),
})

export const ProxySummarySchema = Type.Object({
  name: Type.String(),
  description: Type.String(),
  type: Type.Union([Type.Literal('REST'), Type.Literal('SOAP')]),
  creationType: Type.String(),
  relativePath: Type.String({ description: 'The first client route path' }),
  soapToRest: Type.Boolean(),
})

export const ProxySchema = Type.Object({
  name: Type.String(),
  description: Type.String(),
  apiType: Type.Union([Type.Literal('REST'), Type.Literal('SOAP')], {
    description: 'SOAP for proxies made from a WSDL, REST for the rest',
  }),
  creationType: Type.String(),
  specUrl: Type.Union([Type.String(), Type.Null()]),
  clientRoute: Type.Object({
    relativePathList: Type.Array(Type.String()),
    virtualHostList: Type.Array(Type.String(), { description: "The docs' hostList" }),
    methodList: Type.Optional(Type.Array(Type.String())),
    headerList: Type.Optional(
      Type.Array(Type.Object({ name: Type.String(), value: Type.String() })),
    ),
    bufferRequest: Type.Optional(Type.Boolean()),
    bufferResponse: Type.Optional(Type.Boolean()),
  }),
  routing: Type.Object({
    routingEnabled: Type.Boolean(),
    mirrorEnabled: Type.Optional(Type.Boolean()),
    mirrorAddressList: Type.Optional(Type.Array(Type.Object({ address: Type.String() }))),
    loadBalanceAlgorithm: Type.Optional(Type.String()),
    routingAddressList: Type.Array(
      Type.Object({
        address: Type.String(),
        weight: Type.Integer(),
        healthCheckEnabled: Type.Boolean(),
        soapType: Type.Optional(Type.String()),
      }),
    ),
  }),
  categoryList: Type.Array(Type.String()),
  sharingType: Type.String({ description: 'BOTH, NONE, EXTERNAL or INTERNAL' }),
  settings: ProxySettingsSchema,
  endpoints: Type.Array(EndpointSchema, {
    description: 'Its endpoints, as the endpoint list answers them',
  }),
  deploymentList: Type.Array(DeploymentSchema, {
    description: 'One entry per environment the project may use',
  }),
  revision: Type.Integer({ description: 'Increases with every change' }),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
})

export const DeploymentResultSchema = Type.Object({
  success: Type.Boolean(),
  deploymentResults: Type.Array(
    Type.Object({
      environmentName: Type.String(),
      success: Type.Boolean(),
      message: Type.String(),
      ...ConfirmationFields,
    }),
  ),
})

export const ProxyWriteResultSchema = Type.Object({
  status: Type.Literal('SUCCESS'),
  success: Type.Literal(true),
  apiProxy: Type.Optional(ProxySchema),
  deploymentResult: Type.Optional(DeploymentResultSchema),
})

export const HistoryEntrySchema = Type.Object({
  environmentName: Type.String(),
  action: Type.String({ description: 'DEPLOY, REDEPLOY or UNDEPLOY' }),
  revision: Type.Integer(),
  actor: Type.String(),
  at: Type.String({ format: 'date-time' }),
  success: Type.Boolean(),
  message: Type.String(),
})

export const ProxyParams = Type.Object({ projectName: NameParam, apiProxyName: NameParam })
export const DeployParams = Type.Object({
  projectName: NameParam,
  apiProxyName: NameParam,
  environmentName: NameParam,
})
