import { Type } from 'typebox'
import { enumOf, strict } from '../../settings/settings.fields.ts'
import type { PolicyTypeDefinition } from './definition.ts'

/**
 * A policy group is documented as a container still under development, with no fields
 * of its own beyond a `condition` that says when the group applies. Its page writes
 * the body flat (type, name, operationMetadata and condition side by side), unlike the
 * Add Policy envelope every other page uses; in the envelope the group's own field is
 * `condition`, required as its table says. Its rules are the condition rules the Add
 * Policy page documents (ConditionRuleDTO), so they are taken as objects here and left
 * to that one schema rather than described a second time.
 */
const GroupCondition = Type.Object(
  {
    criteria: enumOf(['ALWAYS', 'IF_ALL_MATCH', 'IF_ANY_MATCH', 'IF_NONE_MATCH']),
    rules: Type.Array(Type.Object({}), { maxItems: 100 }),
  },
  strict,
)

export const group: PolicyTypeDefinition = {
  type: 'policy-group',
  label: 'Policy group',
  fields: { condition: GroupCondition },
}
