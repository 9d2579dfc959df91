import { Type } from 'typebox'
import { Nullable, requiredWhen } from '../policy-fields.ts'
import { Variable } from '../policy-variable.ts'
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
  check: (p) =>
    requiredWhen(p, [
      [p.addUserToHeader === true, 'userHeaderName', 'when addUserToHeader is true'],
      [p.checkPassword !== false, 'passwordVar', 'when checkPassword is true (its default)'],
    ]),
}
