import { Type } from 'typebox'
import { OPERATORS } from '../policies.condition.ts'
import { closed, Enum } from '../policy-fields.ts'
import { Variable } from '../policy-variable.ts'
import type { PolicyTypeDefinition } from './definition.ts'

/**
 * This page's condition shape (criteria + rules), not the policyCondition of the others;
 * valueSource takes STATIC, which the page's examples use, beside VALUE and VARIABLE.
 */
const Assertion = Type.Object(
  {
    criteria: Enum('ALWAYS', 'IF_ALL_MATCH', 'IF_ANY_MATCH', 'IF_NONE_MATCH'),
    rules: Type.Array(
      Type.Object(
        {
          variable: Variable,
          comparisonOperator: Enum(...OPERATORS),
          value: Type.Optional(Type.String()),
          valueSource: Type.Optional(Enum('VALUE', 'VARIABLE', 'STATIC')),
        },
        closed,
      ),
    ),
  },
  closed,
)

export const clientBan: PolicyTypeDefinition = {
  type: 'policy-client-ban',
  label: 'Client Ban',
  fields: {
    clientIdentityVariableList: Type.Array(Variable),
    thresholdWindowInSeconds: Type.Integer({ minimum: 1, description: 'Documented default 10' }),
    thresholdCountPerWindow: Type.Integer({ minimum: 1, description: 'Documented default 1' }),
    thresholdCalculationType: Enum('COUNT', 'PERCENT'),
    banTimeInSeconds: Type.Integer({ minimum: 1, description: 'Documented default 10' }),
    enableRetryAfterHeader: Type.Optional(Type.Boolean()),
    ignoreWhenKeyIsEmpty: Type.Optional(Type.Boolean()),
    assertionCondition: Assertion,
    condition: Type.Optional(Assertion),
  },
  check: (p) =>
    p.thresholdCalculationType === 'PERCENT' && Number(p.thresholdCountPerWindow) > 100
      ? [{ field: 'policy.thresholdCountPerWindow', message: 'is a percentage: at most 100' }]
      : [],
}
