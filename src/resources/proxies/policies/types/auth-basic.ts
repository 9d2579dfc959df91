import { Type } from 'typebox'
import { requiredWhen } from '../policy-fields.ts'
import { Variable } from '../policy-variable.ts'
import type { PolicyTypeDefinition } from './definition.ts'

export const authBasic: PolicyTypeDefinition = {
  type: 'policy-auth-basic',
  label: 'Basic Authentication',
  fields: {
    usernameVar: Variable,
    clearAuth: Type.Optional(Type.Boolean()),
    addUserToHeader: Type.Optional(Type.Boolean()),
    userHeaderName: Type.Optional(Type.String()),
  },
  check: (p) =>
    requiredWhen(p, [
      [p.addUserToHeader === true, 'userHeaderName', 'when addUserToHeader is true'],
    ]),
}
