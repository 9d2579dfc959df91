import type { PolicyTypeDefinition } from './definition.ts'
import { Expression, Flag, flag, list, need, optional, SchemaDefinition } from './shared-b.ts'

export const xmlSchemaValidation: PolicyTypeDefinition = {
  type: 'policy-xml-schema-validation',
  label: 'XML schema validation',
  fields: {
    pathForBody: optional(Expression),
    validateAgainstSpec: Flag,
    schemaDefinitionList: optional(list(SchemaDefinition, 50)),
  },
  check: (policy) =>
    need(
      policy,
      'policy',
      'schemaDefinitionList',
      !flag(policy, 'validateAgainstSpec', false),
      'validateAgainstSpec is false (the schemas to validate against)',
    ),
}
