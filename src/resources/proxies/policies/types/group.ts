import type { PolicyTypeDefinition } from './definition.ts'

/**
 * A policy group is documented as a container still under development: its page lists
 * only the fields every policy has (and shows them in a flat body with `name`,
 * `operationMetadata` and a `condition` of its own, unlike every other page and the
 * Add Policy page). It is taken here in the common envelope with no fields of its own,
 * so nothing beyond what every policy carries can be stored in one.
 */
export const group: PolicyTypeDefinition = {
  type: 'policy-group',
  label: 'Policy group',
  fields: {},
}
