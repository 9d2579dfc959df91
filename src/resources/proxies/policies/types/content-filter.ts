import { Type } from 'typebox'
import { closed, Enum, Nullable } from '../policy-fields.ts'
import type { PolicyTypeDefinition } from './definition.ts'

export const contentFilter: PolicyTypeDefinition = {
  type: 'policy-content-filter',
  label: 'Content Filter',
  fields: {
    policyContentFilterDefList: Type.Array(
      Type.Object(
        {
          id: Type.Optional(Type.Integer()),
          name: Type.String(),
          ruleValue: Type.String(),
          headerActive: Type.Optional(Type.Boolean()),
          bodyActive: Type.Optional(Type.Boolean()),
          paramActive: Type.Optional(Type.Boolean()),
          action: Type.Optional(Enum('BLOCK', 'DELETE')),
          contentType: Type.Optional(Enum('XML', 'JSON', 'ALL_BODY')),
          content: Type.Optional(Nullable(Type.String())),
        },
        closed,
      ),
      { minItems: 1 },
    ),
  },
}
