import { Type } from 'typebox'
import { canonicalList } from '../../../../ip-entries.ts'
import { IP_GROUP_NAMES, Nullable } from '../policy-fields.ts'
import { Variable } from '../policy-variable.ts'
import type { PolicyTypeDefinition } from './definition.ts'

export const blackIp: PolicyTypeDefinition = {
  type: 'policy-black-ip',
  label: 'Blocked IP List',
  fields: {
    targetVariableForIP: Type.Optional(Nullable(Variable)),
    ipList: Type.Array(Type.String({ description: 'An IPv4/IPv6 address or CIDR range' }), {
      minItems: 1,
      maxItems: 10000,
    }),
    ipGroupNameList: IP_GROUP_NAMES,
  },
  // Entries as IP groups take them (same parser), so a typo is refused, not stored.
  check: (p) => {
    const checked = canonicalList((p.ipList as string[] | undefined) ?? [], 'policy.ipList')
    return 'problems' in checked ? checked.problems : []
  },
}
