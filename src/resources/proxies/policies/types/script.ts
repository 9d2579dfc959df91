import { enumOf } from '../../settings/settings.fields.ts'
import { SCRIPT_LANGUAGES } from '../policy-variable.ts'
import type { PolicyTypeDefinition } from './definition.ts'
import { Code } from './shared-b.ts'

export const script: PolicyTypeDefinition = {
  type: 'policy-script',
  label: 'Script',
  fields: {
    executionType: enumOf(['SYNC', 'ASYNC']),
    scriptLanguage: enumOf(SCRIPT_LANGUAGES),
    scriptBody: Code,
  },
}
