import type { PolicyTypeDefinition } from './definition.ts'
import { Flag, RefName } from './shared-b.ts'

export const wsSecuritySignValidation: PolicyTypeDefinition = {
  type: 'policy-ws-security-sign-validation',
  label: 'WS-Security signature validation',
  fields: {
    enableEnhancedSignatureValidation: Flag,
    enableSignatureRemovalForDereferencing: Flag,
    allowCaseInsensitiveId: Flag,
    verKeyStoreName: RefName,
    removeSignature: Flag,
  },
}
