import type { PolicyTypeDefinition } from './definition.ts'
import { Flag } from './shared-b.ts'
import { TimeToLive } from './ws-security-parts.ts'

export const wsSecurityTimestamp: PolicyTypeDefinition = {
  type: 'policy-ws-security-timestamp',
  label: 'WS-Security timestamp',
  fields: { mustUnderstand: Flag, timeToLive: TimeToLive },
}
