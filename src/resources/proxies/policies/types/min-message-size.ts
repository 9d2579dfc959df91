import type { PolicyTypeDefinition } from './definition.ts'
import { ByteCount } from './shared-b.ts'

export const minMessageSize: PolicyTypeDefinition = {
  type: 'policy-min-message-size',
  label: 'Minimum message size',
  fields: { minMessageSize: ByteCount },
}
