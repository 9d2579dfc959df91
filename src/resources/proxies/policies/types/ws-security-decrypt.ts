import type { PolicyTypeDefinition } from './definition.ts'
import { Flag, RefName } from './shared-b.ts'

export const wsSecurityDecrypt: PolicyTypeDefinition = {
  type: 'policy-ws-security-decrypt',
  label: 'WS-Security decrypt',
  fields: { allowCaseInsensitiveId: Flag, decKeyStoreName: RefName },
}
