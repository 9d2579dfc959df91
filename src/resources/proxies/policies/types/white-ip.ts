import { Type } from 'typebox'
import { canonicalList } from '../../../../ip-entries.ts'
import { IP_GROUP_NAMES } from '../policy-fields.ts'
import { Variable, variableIssues } from '../policy-variable.ts'
import type { PolicyTypeDefinition } from './definition.ts'
import { maybe } from './shared-b.ts'

const Entry = Type.String({ minLength: 1, maxLength: 64 })

export const whiteIp: PolicyTypeDefinition = {
  type: 'policy-white-ip',
  label: 'Allowed IP list',
  fields: {
    targetVariableForIP: maybe(Variable),
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
