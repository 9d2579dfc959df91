import type { PolicyTypeDefinition } from './definition.ts'
import { ByteCount } from './shared-b.ts'

export const maxMessageSize: PolicyTypeDefinition = {
  type: 'policy-max-message-size',
  label: 'Maximum message size',
  fields: { maxMessageSize: ByteCount },
}
