import { Type } from 'typebox'
import { closed, Enum, Variable } from '../policy-fields.ts'
import type { PolicyTypeDefinition } from './definition.ts'

export const businessRule: PolicyTypeDefinition = {
  type: 'policy-business-rule',
  label: 'Business Rule',
  fields: {
    actionList: Type.Array(
      Type.Object(
        {
          actionType: Enum('ADD', 'MODIFY', 'DELETE', 'STOP'),
          sourceVar: Type.Optional(Variable),
          targetVar: Type.Optional(Variable),
          targetValSource: Type.Optional(Type.String()),
          targetValue: Type.Optional(Type.String()),
          sourceDataType: Type.Optional(Type.String()),
          operator: Type.Optional(Type.String()),
          maskFrom: Type.Optional(Type.Integer()),
          maskTo: Type.Optional(Type.Integer()),
          targetVal: Type.Optional(Type.String()),
        },
        closed,
      ),
    ),
  },
}
