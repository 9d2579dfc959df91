import { Type } from 'typebox'
import { closed, Enum, Nullable } from '../policy-fields.ts'
import type { PolicyTypeDefinition } from './definition.ts'

export const blackIp: PolicyTypeDefinition = {
  type: 'policy-black-ip',
  label: 'Blocked IP List',
  fields: {
    targetVariableForIP: Type.Optional(
      Nullable(
        Type.Object(
          {
            type: Enum('HEADER', 'PARAMETER', 'BODY', 'CONTEXT', 'SCRIPT'),
            headerName: Type.Optional(Type.String()),
          },
          closed,
        ),
      ),
    ),
    ipList: Type.Array(Type.String()),
  },
}
