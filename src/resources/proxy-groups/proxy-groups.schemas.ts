import { Type } from 'typebox'
import { FreeText, Label, matching, NameParam } from '../../http/schemas.ts'
import { ConfirmationFields } from '../environments/gateway-nodes.ts'

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

const RelativePath = Type.String({
  minLength: 2,
  maxLength: 500,
  ...matching('^/[^\\s]*$', 'must start with / and contain no spaces (at least 2 characters)'),
})
const Host = Type.String({
  minLength: 1,
  maxLength: 253,
  ...matching(
    '^[A-Za-z0-9.*-]+(:\\d+)?$',
    'must be a host name (* allowed), optionally with :port',
  ),
})
/** RFC 9110 field names (tokens). */
const HeaderName = Type.String({
  minLength: 1,
  maxLength: 256,
  ...matching("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$", 'must be an HTTP header name (RFC 9110 token)'),
})
const nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) =>
  Type.Union([schema, Type.Null()])

/** Where the group answers: every condition given must match (AND). */
export const GroupClientRouteSchema = Type.Object(
  {
    relativePathList: Type.Array(RelativePath, { minItems: 1, maxItems: 50, uniqueItems: true }),
    methodList: Type.Optional(
      nullable(
        Type.Array(Type.Unsafe<string>({ type: 'string', enum: [...HTTP_METHODS] }), {
          maxItems: HTTP_METHODS.length,
          uniqueItems: true,
        }),
      ),
    ),
    hostList: Type.Optional(nullable(Type.Array(Host, { maxItems: 50, uniqueItems: true }))),
    headerList: Type.Optional(
      nullable(
        Type.Array(
          Type.Object({ name: HeaderName, value: Label(1000, 0) }, { additionalProperties: false }),
          { maxItems: 50 },
        ),
      ),
    ),
    bufferRequest: Type.Optional(Type.Boolean({ default: true })),
    bufferResponse: Type.Optional(Type.Boolean({ default: true })),
  },
  { additionalProperties: false },
)

/** Create and update take the same body; on update `name` picks the group (it cannot change). */
export const GroupBody = Type.Object(
  {
    name: NameParam,
    description: Type.Optional(nullable(FreeText(1000))),
    clientRoute: GroupClientRouteSchema,
  },
  { additionalProperties: false },
)

const StoredClientRoute = Type.Object({
  relativePathList: Type.Array(Type.String()),
  methodList: nullable(Type.Array(Type.String())),
  hostList: nullable(Type.Array(Type.String())),
  headerList: nullable(Type.Array(Type.Object({ name: Type.String(), value: Type.String() }))),
  bufferRequest: Type.Boolean(),
  bufferResponse: Type.Boolean(),
})

export const GroupSummarySchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  description: Type.String(),
})

export const GroupEnvironmentSchema = Type.Object({
  environmentName: Type.String(),
  deployed: Type.Boolean(),
  redeployRequired: Type.Boolean({
    description:
      'Deployed, but the group or a member changed since, or a member is not deployed there',
  }),
  deployedAt: nullable(Type.String({ format: 'date-time' })),
  deployedBy: nullable(Type.String()),
})

export const GroupSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  description: Type.String(),
  clientRoute: StoredClientRoute,
  apiProxies: Type.Array(
    Type.Object({
      name: Type.String(),
      relativePath: Type.String({ description: "The proxy's first client route path" }),
    }),
    { description: 'The member proxies, by name' },
  ),
  environments: Type.Array(GroupEnvironmentSchema),
  revision: Type.Integer({ description: 'Increases with every change of the group itself' }),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
})

export const GroupWriteResultSchema = Type.Object({
  status: Type.Literal('SUCCESS'),
  success: Type.Literal(true),
  apiProxyGroup: GroupSchema,
})

export const MembershipResultSchema = Type.Object({
  status: Type.Literal('SUCCESS'),
  success: Type.Literal(true),
  changed: Type.Boolean({ description: 'false when the proxy already was (or was not) a member' }),
  message: Type.String(),
})

const Outcome = { success: Type.Boolean(), message: Type.String() }

export const GroupDeploymentResultSchema = Type.Object({
  ...Outcome,
  environmentResults: Type.Array(
    Type.Object({
      environmentName: Type.String(),
      ...Outcome,
      ...ConfirmationFields,
      apiProxyResults: Type.Array(Type.Object({ apiProxyName: Type.String(), ...Outcome }), {
        description: 'One entry per member proxy',
      }),
    }),
  ),
})

export const GroupDeployAnswer = Type.Object({
  status: Type.Literal('SUCCESS'),
  success: Type.Literal(true),
  deploymentResult: GroupDeploymentResultSchema,
})

export const ProjectParams = Type.Object({ projectName: NameParam })
export const GroupParams = Type.Object({ projectName: NameParam, apiProxyGroupName: NameParam })
export const MemberParams = Type.Object({
  projectName: NameParam,
  apiProxyGroupName: NameParam,
  apiProxyName: NameParam,
})
export const GroupDeployParams = Type.Object({
  projectName: NameParam,
  apiProxyGroupName: NameParam,
  environmentName: NameParam,
})
