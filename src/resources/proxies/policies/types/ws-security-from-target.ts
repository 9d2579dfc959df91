import type { PolicyTypeDefinition } from './definition.ts'
import { Flag, flag, maybe, need, RefName } from './shared-b.ts'

export const wsSecurityFromTarget: PolicyTypeDefinition = {
  type: 'policy-ws-security-from-target',
  label: 'WS-Security from target',
  fields: {
    decExists: Flag,
    verExists: Flag,
    decKeyStoreName: maybe(RefName),
    verKeyStoreName: maybe(RefName),
    allowCaseInsensitiveId: Flag,
  },
  check: (policy) => {
    const decrypt = flag(policy, 'decExists', false)
    const verify = flag(policy, 'verExists', false)
    return [
      ...(decrypt || verify
        ? []
        : [{ field: 'policy.decExists', message: 'or verExists must be true' }]),
      ...need(policy, 'policy', 'decKeyStoreName', decrypt, 'decExists is true'),
      ...need(policy, 'policy', 'verKeyStoreName', verify, 'verExists is true'),
    ]
  },
}
