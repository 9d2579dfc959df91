import type { PolicyTypeDefinition } from './definition.ts'
import { Flag } from './shared-b.ts'
import { encryptionFields, encryptionIssues } from './ws-security-parts.ts'

export const wsSecurityEncrypt: PolicyTypeDefinition = {
  type: 'policy-ws-security-encrypt',
  label: 'WS-Security encrypt',
  fields: { mustUnderstand: Flag, ...encryptionFields(true) },
  check: encryptionIssues,
}
