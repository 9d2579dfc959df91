import { enumOf } from '../../settings/settings.fields.ts'
import type { PolicyTypeDefinition } from './definition.ts'
import { Code, SCRIPT_LANGUAGES } from './shared-b.ts'

export const script: PolicyTypeDefinition = {
  type: 'policy-script',
  label: 'Script',
  fields: {
    executionType: enumOf(['SYNC', 'ASYNC']),
    scriptLanguage: enumOf(SCRIPT_LANGUAGES),
    scriptBody: Code,
  },
}
