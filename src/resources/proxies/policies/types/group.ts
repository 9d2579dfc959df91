import { Type } from 'typebox'
import { enumOf, strict } from '../../settings/settings.fields.ts'
import { ConditionRule, conditionIssues } from '../policies.condition.ts'
import type { PolicyTypeDefinition } from './definition.ts'

/**
 * A policy group is documented as a container still under development, with no fields
 * of its own beyond a `condition` that says when the group applies. Its page writes
 * the body flat (type, name, operationMetadata and condition side by side), unlike the
 * Add Policy envelope every other page uses; in the envelope the group's own field is
 * `condition`, required as its table says. Its page sends its rules to the Add Policy
 * page's ConditionRuleDTO, so they are that very schema (and its rules), not a copy.
 */
const GroupCondition = Type.Object(
  {
    criteria: enumOf(['ALWAYS', 'IF_ALL_MATCH', 'IF_ANY_MATCH', 'IF_NONE_MATCH']),
    rules: Type.Array(ConditionRule, { maxItems: 100 }),
  },
  strict,
)

type Condition = { criteria?: unknown; rules?: unknown[] }

export const group: PolicyTypeDefinition = {
  type: 'policy-group',
  label: 'Policy group',
  fields: { condition: GroupCondition },
  check: (policy) => {
    const condition = (policy.condition ?? {}) as Condition
    const rules = Array.isArray(condition.rules) ? condition.rules : []
    // ALWAYS needs no rule; the three IF_ criteria match rules, so they need one at least.
    const empty =
      condition.criteria !== 'ALWAYS' && rules.length === 0
        ? [
            {
              field: 'policy.condition.rules',
              message: `must hold at least one rule when criteria is ${condition.criteria}`,
            },
          ]
        : []
    return [...empty, ...conditionIssues({ conditionRuleList: rules }, 'policy.condition.rules')]
  },
}
