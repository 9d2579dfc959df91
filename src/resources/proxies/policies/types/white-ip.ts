import { Type } from 'typebox'
import { canonicalList } from '../../../../ip-entries.ts'
import { IP_GROUP_NAMES } from '../policy-fields.ts'
import type { PolicyTypeDefinition } from './definition.ts'
import {
  CONTEXT_VALUES,
  maybe,
  VARIABLE_TYPES,
  variableIssues,
  variableSchema,
} from './shared-b.ts'

/**
 * The page documents its own variable: types CONTEXT and SCRIPT beside the VariableDTO
 * names, and USER_AGENT as a context value. Both spellings are taken.
 */
const IpVariable = variableSchema(
  [...VARIABLE_TYPES, 'CONTEXT', 'SCRIPT'],
  [...CONTEXT_VALUES, 'USER_AGENT'],
)
const Entry = Type.String({ minLength: 1, maxLength: 64 })

export const whiteIp: PolicyTypeDefinition = {
  type: 'policy-white-ip',
  label: 'Allowed IP list',
  fields: {
    targetVariableForIP: maybe(IpVariable),
    ipList: Type.Array(Entry, { minItems: 1, maxItems: 10_000 }),
    // As for the blocked list: IP groups of the project, by name (see policies.references.ts).
    ipGroupNameList: IP_GROUP_NAMES,
  },
  check: (policy) => {
    const entries = Array.isArray(policy.ipList) ? policy.ipList.map(String) : []
    const listed = canonicalList(entries, 'policy.ipList')
    return [
      ...('problems' in listed ? listed.problems : []),
      ...variableIssues(policy.targetVariableForIP, 'policy.targetVariableForIP'),
    ]
  },
}
