import type { FastifySchemaCompiler } from 'fastify'
import { type Static, type TSchema, Type } from 'typebox'
import { errors } from '../../../errors.ts'
import { COMPONENT } from '../../../http/openapi-components.ts'
import { FreeText, NameParam } from '../../../http/schemas.ts'
import { documentChecker } from '../../../http/validation.ts'
import { DeploymentResultSchema } from '../proxies.schemas.ts'
import { PolicyConditionSchema } from './policies.condition.ts'
import { closed, Enum, Nullable } from './policy-fields.ts'
import type { PolicyTypeDefinition } from './types/definition.ts'
import { POLICY_TYPES } from './types/index.ts'

/*
 * The documented bodies: operationMetadata (where the policy goes, and whether to
 * deploy after) and policy (the common fields plus the fields of its type, closed).
 */

export const PIPELINES = ['REQUEST', 'RESPONSE', 'ERROR'] as const
export type Pipeline = (typeof PIPELINES)[number]
const HTTP_METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'TRACE', 'ALL']

export const PolicyParams = Type.Object({
  projectName: NameParam,
  apiProxyName: NameParam,
  policyName: NameParam,
})

const where = {
  targetScope: Enum('ALL', 'ENDPOINT'),
  targetEndpoint: Type.Optional(
    Type.String({ minLength: 1, maxLength: 2048, description: 'The endpoint path (ENDPOINT)' }),
  ),
  targetEndpointHTTPMethod: Type.Optional(Enum(...HTTP_METHODS)),
  targetPipeline: Enum(...PIPELINES),
  deploy: Type.Optional(
    Type.Boolean({
      default: true,
      description: 'Redeploy to deployTargetEnvironmentNameList afterwards (none named: no deploy)',
    }),
  ),
  deployTargetEnvironmentNameList: Type.Optional(Type.Array(NameParam, { maxItems: 50 })),
}

export const OperationMetadata = Type.Object(
  {
    ...where,
    order: Type.Optional(
      Type.Union([Type.Integer({ minimum: 1 }), Type.Null()], {
        description: '1-based place in its list; null or >= the list size: the end',
      }),
    ),
  },
  { ...closed, [COMPONENT]: 'PolicyOperationMetadata' },
)
export type OperationMetadataInput = Static<typeof OperationMetadata>

/** The fields every policy shares, whatever its type. */
function common(type: string) {
  return {
    type: Type.Unsafe<string>({ type: 'string', enum: [type] }),
    name: Type.Optional(
      Type.String({ description: 'Ignored: the name is the path parameter', maxLength: 200 }),
    ),
    description: Type.Optional(FreeText(1000)),
    active: Type.Optional(Type.Boolean({ default: true })),
    policyCondition: Type.Optional(Nullable(PolicyConditionSchema)),
    errorMessageList: Type.Optional(
      Type.Array(Type.Object({}, { additionalProperties: true }), {
        description: 'Custom error messages; none: the standard ones',
      }),
    ),
  }
}

/** The documented body of one type: operationMetadata and the policy, both closed. */
function branch(def: PolicyTypeDefinition) {
  return Type.Object(
    {
      operationMetadata: OperationMetadata,
      policy: Type.Object(
        { ...common(def.type), ...def.fields },
        { ...closed, title: def.type, description: def.label },
      ),
    },
    { ...closed, [COMPONENT]: `PolicyBody.${def.type}` },
  )
}

export const BODIES: Record<string, TSchema> = Object.fromEntries(
  POLICY_TYPES.map((def) => [def.type, branch(def)]),
)
export const KNOWN_TYPES = POLICY_TYPES.map((def) => def.type)
export const DEFINITIONS = new Map(POLICY_TYPES.map((def) => [def.type, def]))

export interface PolicyBodyInput {
  operationMetadata: OperationMetadataInput
  policy: Record<string, unknown> & { type: string }
}

export const PolicyBody = Type.Unsafe<PolicyBodyInput>(
  Type.Union(Object.values(BODIES), {
    description: 'One shape per policy.type (the discriminator); policy holds its fields',
  }),
)

export const DeletePolicyBody = Type.Object(
  { operationMetadata: Type.Object(where, closed) },
  closed,
)

/** What validation checks when policy.type names no known type. */
const Envelope = Type.Object({
  operationMetadata: OperationMetadata,
  policy: Type.Object({ type: Type.String() }),
})

/**
 * Validates a body against the one branch its policy.type names (see connections'
 * discriminatedBody for why not a plain anyOf); an unknown type is one error listing
 * the known ones.
 */
export function policyBodyValidator(
  compile: FastifySchemaCompiler<unknown>,
): FastifySchemaCompiler<unknown> {
  return (route) => {
    const branches = new Map(
      Object.entries(BODIES).map(([t, schema]) => [t, compile({ ...route, schema })]),
    )
    const envelope = compile({ ...route, schema: Envelope })
    const validate = ((data: unknown) => {
      const type = (data as { policy?: { type?: unknown } } | null)?.policy?.type
      const chosen = typeof type === 'string' ? branches.get(type) : undefined
      if (chosen) {
        const valid = chosen(data)
        validate.errors = valid === true ? null : chosen.errors
        return valid
      }
      const valid = envelope(data)
      if (valid !== true) {
        validate.errors = envelope.errors
        return valid
      }
      validate.errors = [
        {
          instancePath: '/policy/type',
          schemaPath: '#/properties/policy/properties/type/enum',
          keyword: 'enum',
          params: {},
          message: `is '${String(type)}', not a known policy type; known: ${KNOWN_TYPES.join(', ')}`,
        },
      ]
      return false
    }) as ReturnType<FastifySchemaCompiler<unknown>>
    return validate
  }
}

const documentCheckers = new Map<string, (value: unknown, where: string) => PolicyBodyInput>()

/**
 * The add route's schema check of a body read from a document (an imported archive's
 * policies.json), each field named under `where`; compiled on first use of a type.
 */
export function checkPolicyDocument(value: unknown, where: string): PolicyBodyInput {
  const type = (value as { policy?: { type?: unknown } } | null)?.policy?.type
  const schema = typeof type === 'string' ? BODIES[type] : undefined
  if (typeof type !== 'string' || !schema) {
    throw errors.validationFailed([
      {
        field: `${where}.policy.type`,
        message: `is ${JSON.stringify(type ?? null)}, not a known policy type; known: ${KNOWN_TYPES.join(', ')}`,
      },
    ])
  }
  let check = documentCheckers.get(type)
  if (!check) {
    check = documentChecker<PolicyBodyInput>(schema)
    documentCheckers.set(type, check)
  }
  return check(value, where)
}

/** A policy as lists answer it: its name, then its fields (secrets masked). */
const PolicyView = Type.Object(
  { name: Type.String(), type: Type.String(), active: Type.Boolean() },
  { additionalProperties: true, description: 'The policy as stored, secrets shown as the mask' },
)

const lists = {
  requestPolicyList: Type.Array(PolicyView),
  responsePolicyList: Type.Array(PolicyView),
  errorPolicyList: Type.Array(PolicyView),
}
export const PipelineListsSchema = lists

export const ProxyPoliciesSchema = Type.Object({
  name: Type.String(),
  type: Type.String({ description: 'REST or SOAP' }),
  relativePath: Type.String(),
  soapToRest: Type.Boolean(),
  ...lists,
  endpointList: Type.Array(
    Type.Object({
      endpoint: Type.String(),
      httpMethod: Type.String(),
      active: Type.Boolean(),
      ...lists,
    }),
  ),
})

export const PolicyListAnswer = Type.Object({
  status: Type.Literal('SUCCESS'),
  success: Type.Literal(true),
  resultList: Type.Array(ProxyPoliciesSchema),
  resultCount: Type.Integer(),
})

export const PolicyWriteAnswer = Type.Object({
  status: Type.Literal('SUCCESS'),
  success: Type.Literal(true),
  deploymentResult: Type.Optional(DeploymentResultSchema),
})
