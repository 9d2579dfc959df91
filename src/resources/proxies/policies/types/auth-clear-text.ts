import { Type } from 'typebox'
import { Nullable, Variable } from '../policy-fields.ts'
import type { PolicyTypeDefinition } from './definition.ts'

export const authClearText: PolicyTypeDefinition = {
  type: 'policy-auth-clear-text',
  label: 'Clear Text Authentication',
  fields: {
    usernameVar: Variable,
    passwordVar: Type.Optional(Variable),
    checkPassword: Type.Optional(Type.Boolean()),
    clearAuth: Type.Optional(Type.Boolean()),
    addUserToHeader: Type.Optional(Type.Boolean()),
    userHeaderName: Type.Optional(Nullable(Type.String())),
  },
}
