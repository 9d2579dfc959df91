import type { FastifySchemaCompiler } from 'fastify'
import { type TSchema, Type } from 'typebox'
import { FreeText, NAME, NameParam } from '../../http/schemas.ts'
import { MASK } from '../../sealed.ts'
import type { Body } from './types/definition.ts'
import { CONNECTION_TYPE_DEFS, CONNECTION_TYPES } from './types/index.ts'

export const ConnectionTypeSchema = Type.Unsafe<string>({
  type: 'string',
  enum: [...CONNECTION_TYPES],
})

/** The fields every type has, beside its own. */
const common = {
  description: Type.Optional(FreeText(1000)),
  deployToWorker: Type.Optional(Type.Boolean({ description: 'Default true' })),
  enabled: Type.Optional(Type.Boolean({ description: 'Default true' })),
}

function body(type: string, fields: Record<string, TSchema>, withName: 'required' | 'optional') {
  return Type.Object(
    {
      type: Type.Unsafe<string>({ type: 'string', enum: [type] }),
      name:
        withName === 'required'
          ? NameParam
          : Type.Optional(
              Type.String({
                minLength: 1,
                maxLength: 100,
                ...NAME,
                description:
                  'The name in the path (ignoring case) on create; on update, a new name renames the connection',
              }),
            ),
      ...common,
      ...fields,
    },
    { additionalProperties: false, title: `${type} connection` },
  )
}

const bodies = (withName: 'required' | 'optional') =>
  Object.fromEntries(CONNECTION_TYPE_DEFS.map((d) => [d.type, body(d.type, d.fields, withName)]))

/** POST .../connections/ (the name only in the body). */
export const NAMED_BODIES = bodies('required')
/** POST and PUT .../connections/{name}/ (the name in the path). */
export const PATH_BODIES = bodies('optional')

/** What a route hands the service: a documented body. */
export interface ConnectionInput extends Body {
  type: string
  name?: string
  description?: string
  deployToWorker?: boolean
  enabled?: boolean
}

const union = (branches: Record<string, TSchema>, description: string) =>
  Type.Unsafe<ConnectionInput>({
    oneOf: Object.values(branches),
    discriminator: { propertyName: 'type' },
    description,
  })

export const NamedConnectionBody = union(
  NAMED_BODIES,
  "One shape per `type`, with that type's documented fields at the top level",
)
export const PathConnectionBody = union(
  PATH_BODIES,
  "One shape per `type`, with that type's documented fields at the top level. The nested `{settings}` shape of earlier apiops versions is still read, for the six types it had.",
)

/** What validation reports when the body is not even an object with a known `type`. */
const Envelope = Type.Object({ type: ConnectionTypeSchema })

/**
 * Validates a body against the one branch its `type` names. A plain oneOf over the
 * branches would answer every branch's complaints at once; this keeps validation_errors
 * to what is wrong with the connection the client meant to send. Each branch is compiled
 * by the app's own validator compiler, so formats and error shapes are as elsewhere.
 */
export function discriminatedBody(
  compile: FastifySchemaCompiler<unknown>,
  branches: Record<string, TSchema>,
): FastifySchemaCompiler<unknown> {
  return (route) => {
    const branch = Object.fromEntries(
      CONNECTION_TYPES.map((t) => [t, compile({ ...route, schema: branches[t] as TSchema })]),
    )
    const envelope = compile({ ...route, schema: Envelope })
    const validate = ((data: unknown) => {
      const type = (data as { type?: unknown } | null)?.type
      const chosen =
        (typeof type === 'string' && Object.hasOwn(branch, type) && branch[type]) || envelope
      const valid = chosen(data)
      validate.errors = valid === true ? null : chosen.errors
      return valid
    }) as ReturnType<FastifySchemaCompiler<unknown>>
    return validate
  }
}

export const ConnectionSchema = Type.Object(
  {
    type: ConnectionTypeSchema,
    name: Type.String(),
    description: Type.String(),
    deployToWorker: Type.Boolean(),
    enabled: Type.Boolean(),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  {
    additionalProperties: true,
    description: `The connection as created, its type's fields at the top level; every secret "${MASK}" when set and null when not`,
  },
)

const DeploymentResult = Type.Object({
  success: Type.Boolean(),
  deploymentResults: Type.Array(Type.Object({}, { additionalProperties: true }), {
    description: 'One per environment deployed to; none, as connections are read from the database',
  }),
})

export const WriteAnswer = Type.Object({
  status: Type.Literal('SUCCESS'),
  success: Type.Literal(true),
  deploymentResult: DeploymentResult,
  connection: Type.Optional(ConnectionSchema),
})

export const OneConnectionAnswer = Type.Object({
  status: Type.Literal('SUCCESS'),
  success: Type.Literal(true),
  resultList: Type.Array(ConnectionSchema, { minItems: 1, maxItems: 1 }),
  resultCount: Type.Literal(1),
})

export const RevealedValuesSchema = Type.Object(
  { type: Type.String(), name: Type.String() },
  {
    additionalProperties: true,
    description: "The connection's stored settings with its header and URL query values in clear",
  },
)

export const ConnectionParams = Type.Object({ projectName: NameParam, name: NameParam })
export const ProjectParams = Type.Object({ projectName: NameParam })
