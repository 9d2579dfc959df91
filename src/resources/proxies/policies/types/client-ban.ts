import { Type } from 'typebox'
import { closed, Enum, Variable } from '../policy-fields.ts'
import type { PolicyTypeDefinition } from './definition.ts'

export const clientBan: PolicyTypeDefinition = {
  type: 'policy-client-ban',
  label: 'Client Ban',
  fields: {
    clientIdentityVariableList: Type.Array(Variable),
    thresholdWindowInSeconds: Type.Integer(),
    thresholdCountPerWindow: Type.Integer(),
    thresholdCalculationType: Enum('COUNT', 'PERCENT'),
    banTimeInSeconds: Type.Integer(),
    enableRetryAfterHeader: Type.Optional(Type.Boolean()),
    ignoreWhenKeyIsEmpty: Type.Optional(Type.Boolean()),
    assertionCondition: Type.Object(
      {
        criteria: Enum('ALWAYS', 'IF_ALL_MATCH', 'IF_ANY_MATCH', 'IF_NONE_MATCH'),
        rules: Type.Array(
          Type.Object(
            {
              variable: Variable,
              comparisonOperator: Enum(
                'LT',
                'LE',
                'GT',
                'GE',
                'EQ',
                'NE',
                'STARTS_WITH',
                'ENDS_WITH',
                'CONTAINS',
                'NOT_CONTAINS',
                'IS_EMPTY',
                'IS_NOT_EMPTY',
                'IS_EXISTS',
                'IS_NOT_EXISTS',
                'IN',
                'NOT_IN',
              ),
              value: Type.String(),
              valueSource: Type.Optional(Enum('VALUE', 'VARIABLE', 'STATIC')),
            },
            closed,
          ),
        ),
      },
      closed,
    ),
    condition: Type.Object(
      {
        criteria: Enum('ALWAYS', 'IF_ALL_MATCH', 'IF_ANY_MATCH', 'IF_NONE_MATCH'),
        rules: Type.Array(Type.Unknown()),
      },
      closed,
    ),
  },
}
