import { Type } from 'typebox'
import { Nullable, Variable } from '../policy-fields.ts'
import type { PolicyTypeDefinition } from './definition.ts'

export const blackIp: PolicyTypeDefinition = {
  type: 'policy-black-ip',
  label: 'Blocked IP List',
  fields: {
    targetVariableForIP: Type.Optional(Nullable(Variable)),
    ipList: Type.Array(Type.String()),
  },
}
