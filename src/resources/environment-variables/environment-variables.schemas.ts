import { type Static, Type } from 'typebox'
import { FreeText, matching, NameParam } from '../../http/schemas.ts'
import { VARIABLE_NAME_MAX, VARIABLE_NAME_PATTERN } from './environment-variables.resolve.ts'

/** Long enough for a URL, a key or a PEM block; bounded so a row stays a row. */
export const VALUE_MAX = 16_384
/** More environments than any installation has; bounds the work of one request. */
const ENVIRONMENTS_MAX = 200

const VariableName = Type.String({
  minLength: 1,
  maxLength: VARIABLE_NAME_MAX,
  ...matching(
    VARIABLE_NAME_PATTERN,
    `must be letters, digits, underscores, dots or dashes, not starting with a digit, dot or dash (it is referenced as \${NAME})`,
  ),
})

/** A string or null; one type list, so a wrong type is one validation error, not two. */
const nullable = <T>(schema: Record<string, unknown>) =>
  Type.Unsafe<T | null>({ ...schema, type: ['string', 'null'] })

const Value = (description: string) => nullable<string>({ maxLength: VALUE_MAX, description })

export const EnvironmentValueInput = Type.Object(
  {
    environmentName: NameParam,
    value: Value(
      'The value in this environment. On update, null keeps the stored one (which reads answer as null when it is secret).',
    ),
    visible: Type.Optional(
      Type.Boolean({
        description: 'false (the default): a secret, sealed at rest and read as null',
      }),
    ),
  },
  { additionalProperties: false },
)

export const VariableBody = Type.Object(
  {
    name: VariableName,
    description: Type.Optional(nullable<string>({ ...FreeText(1000) })),
    global: Type.Optional(
      Type.Boolean({
        description:
          'true: one value (globalValue) for every environment; false (the default): values per environment',
      }),
    ),
    globalValue: Type.Optional(
      Value(
        'Required when global is true (on update, null keeps the stored one); must be null or absent otherwise',
      ),
    ),
    globalVisible: Type.Optional(
      Type.Boolean({
        description:
          'false: the global value is a secret, sealed at rest and read as null (default true)',
      }),
    ),
    environmentValueList: Type.Optional(
      Type.Unsafe<Static<typeof EnvironmentValueInput>[] | null>({
        type: ['array', 'null'],
        items: EnvironmentValueInput,
        maxItems: ENVIRONMENTS_MAX,
        description:
          'Required (at least one) when global is false; null or absent when global is true. Each environment at most once, and one the project may use.',
      }),
    ),
  },
  { additionalProperties: false },
)
export type VariableInput = Static<typeof VariableBody>

export const EnvironmentVariableSchema = Type.Object({
  projectId: Type.String(),
  name: Type.String(),
  description: Type.String(),
  global: Type.Boolean(),
  globalValue: Type.Union([Type.String(), Type.Null()], {
    description: 'Null when the variable is not global, or when the value is secret',
  }),
  globalVisible: Type.Boolean(),
  projectName: Type.String(),
  environmentValueList: Type.Union(
    [
      Type.Array(
        Type.Object({
          environmentName: Type.String(),
          value: Type.Union([Type.String(), Type.Null()], {
            description: 'Null when the value is secret',
          }),
          visible: Type.Boolean(),
        }),
      ),
      Type.Null(),
    ],
    { description: 'Null when the variable is global' },
  ),
})

/** One variable, in the list envelope the documented GET answers. */
export const OneVariableBody = Type.Object({
  status: Type.Literal('SUCCESS'),
  success: Type.Literal(true),
  resultList: Type.Array(EnvironmentVariableSchema, { minItems: 1, maxItems: 1 }),
  resultCount: Type.Literal(1),
})

export const VariableWriteResultSchema = Type.Object({
  status: Type.Literal('SUCCESS'),
  success: Type.Literal(true),
  deploymentResult: Type.Object({
    success: Type.Boolean(),
    message: Type.String(),
    environmentResults: Type.Array(
      Type.Object({
        environmentName: Type.String(),
        success: Type.Boolean(),
        message: Type.String(),
      }),
      { description: 'One per environment the project may use' },
    ),
  }),
})

export const ProjectParams = Type.Object({ projectName: NameParam })
export const VariableParams = Type.Object({ projectName: NameParam, name: NameParam })
