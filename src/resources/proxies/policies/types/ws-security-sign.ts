import type { PolicyTypeDefinition } from './definition.ts'
import { Flag } from './shared-b.ts'
import { signatureFields, signatureIssues } from './ws-security-parts.ts'

export const wsSecuritySign: PolicyTypeDefinition = {
  type: 'policy-ws-security-sign',
  label: 'WS-Security sign',
  fields: { mustUnderstand: Flag, ...signatureFields(true) },
  check: signatureIssues,
}
