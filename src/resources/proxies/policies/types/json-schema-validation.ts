import type { PolicyIssue, PolicyTypeDefinition } from './definition.ts'
import { isObject, JsonPath, list, SchemaDefinition } from './shared-b.ts'

/** Each schemaBody is JSON text holding a schema object: a typo fails here, not at the gateway. */
function schemaBodyIssues(policy: Readonly<Record<string, unknown>>): PolicyIssue[] {
  const definitions = Array.isArray(policy.schemaDefinitionList) ? policy.schemaDefinitionList : []
  return definitions.flatMap((definition, index) => {
    if (!isObject(definition) || typeof definition.schemaBody !== 'string') return []
    const field = `policy.schemaDefinitionList.${index}.schemaBody`
    try {
      const parsed: unknown = JSON.parse(definition.schemaBody)
      if (isObject(parsed) || typeof parsed === 'boolean') return []
      return [{ field, message: 'must be a JSON Schema: an object (or true/false)' }]
    } catch (error) {
      return [{ field, message: `is not JSON: ${(error as Error).message}` }]
    }
  })
}

export const jsonSchemaValidation: PolicyTypeDefinition = {
  type: 'policy-json-schema-validation',
  label: 'JSON schema validation',
  fields: {
    pathForBody: JsonPath,
    schemaDefinitionList: list(SchemaDefinition, 50, 1),
  },
  check: schemaBodyIssues,
}
