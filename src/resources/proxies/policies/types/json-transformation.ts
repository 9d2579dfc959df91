import { enumOf } from '../../settings/settings.fields.ts'
import type { PolicyIssue, PolicyTypeDefinition } from './definition.ts'
import { Code, has, jsonToXmlOptions, maybe, need } from './shared-b.ts'

/** JSON2JSON runs a JOLT specification, which is a JSON array of operations. */
function joltIssues(policy: Readonly<Record<string, unknown>>): PolicyIssue[] {
  const json2json = policy.transformationType === 'JSON2JSON'
  const missing = need(policy, 'policy', 'joltValue', json2json, 'transformationType is JSON2JSON')
  if (missing.length > 0 || !has(policy.joltValue)) return missing
  try {
    if (Array.isArray(JSON.parse(String(policy.joltValue)))) return []
    return [{ field: 'policy.joltValue', message: 'must be a JOLT specification: a JSON array' }]
  } catch (error) {
    return [{ field: 'policy.joltValue', message: `is not JSON: ${(error as Error).message}` }]
  }
}

export const jsonTransformation: PolicyTypeDefinition = {
  type: 'policy-json-transformation',
  label: 'JSON transformation',
  fields: {
    transformationType: enumOf(['JSON2JSON', 'JSON2XML']),
    joltValue: maybe(Code),
    ...jsonToXmlOptions,
  },
  check: joltIssues,
}
