import { type TSchema, Type } from 'typebox'
import { FreeText, Label, matching, NAME } from '../../../../http/schemas.ts'
import { enumOf, NonBlank, nullable, strict } from '../../settings/settings.fields.ts'
import { variableIssues } from '../policy-variable.ts'
import type { PolicyIssue } from './definition.ts'

/*
 * Building blocks the policy types of list B share: one schema per idea (a variable, a
 * claim map, a schema document, a keystore reference), and the helpers their `check`
 * rules use. No schema carries a `default`: the validator would write it into what
 * the client sent, and a policy is stored as sent.
 */

export const optional = <T extends TSchema>(schema: T) => Type.Optional(schema)
/** Optional, and `null` accepted too: the docs' examples send null for "not set". */
export const maybe = <T extends TSchema>(schema: T) => Type.Optional(nullable(schema))
export const Flag = Type.Optional(Type.Boolean())
export const list = <T extends TSchema>(item: T, maxItems = 100, minItems = 0) =>
  Type.Array(item, { minItems, maxItems })

/** A keystore, JWK or other project object named by reference, as the docs' examples do. */
export const RefName = Type.String({ minLength: 1, maxLength: 100, ...NAME })
/** XPath, JSONPath, claim paths: one line, no control characters. */
export const Expression = NonBlank(1000)
export const JsonPath = Type.String({
  minLength: 1,
  maxLength: 1000,
  ...matching('^\\$[^\\p{Cc}]*$', 'must be a JSONPath expression starting with $'),
})
/** Scripts, stylesheets, schema documents: many lines, no bidi controls (Trojan Source). */
export const Code = FreeText(500_000, 1)
/** Short single-line values (claim values, subjects, user agents). */
export const Text = (maxLength = 1000) => Label(maxLength)

type Fields = Readonly<Record<string, unknown>>

export const has = (value: unknown): boolean =>
  value !== undefined && value !== null && value !== '' && !(Array.isArray(value) && !value.length)
/** A documented boolean: the value sent, or the documented default when it was not. */
export const flag = (policy: Fields, key: string, byDefault: boolean): boolean =>
  typeof policy[key] === 'boolean' ? (policy[key] as boolean) : byDefault
export const isObject = (value: unknown): value is Fields =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** `field` is required when `why` holds: the issue, or nothing. */
export function need(
  policy: Fields,
  path: string,
  field: string,
  when: boolean,
  why: string,
): PolicyIssue[] {
  return when && !has(policy[field])
    ? [{ field: `${path}.${field}`, message: `is required when ${why}` }]
    : []
}

/** A JWT claim value with its type (MapValue). */
const MAP_VALUE_TYPES = [
  'STRING',
  'BOOLEAN',
  'INTEGER',
  'LONG',
  'DOUBLE',
  'FLOAT',
  'STRING_LIST',
  'URI',
] as const
const MapValue = Type.Object(
  { value: Text(4000), valueType: optional(enumOf(MAP_VALUE_TYPES)) },
  strict,
)
const ClaimName = { minLength: 1, maxLength: 200 }
export const ClaimMap = Type.Object(
  {},
  { additionalProperties: MapValue, propertyNames: ClaimName, maxProperties: 100 },
)
/** A map of names to plain text values (extra parameters, claim mappings). */
export const TextMap = Type.Object(
  {},
  { additionalProperties: Text(4000), propertyNames: ClaimName, maxProperties: 100 },
)
export const ClaimNames = list(Text(200))

/**
 * One schema document of a validation policy (JSON Schema or XSD): the same shape in
 * policy-json-schema-validation and policy-xml-schema-validation.
 */
export const SchemaDefinition = Type.Object(
  {
    schemaNo: optional(Type.Integer({ minimum: 0, maximum: 10_000 })),
    schemaBody: Code,
    systemId: maybe(Text(1000)),
    targetNamespace: maybe(Text(1000)),
    rootSchema: Flag,
  },
  strict,
)

/** Where a JOSE token or its decoded claims sit (EnumJoseTarget). */
export const JOSE_TARGETS = ['BODY', 'AUTHORIZATION_HEADER', 'CHOOSE_FROM_VARIABLE'] as const

/** `variableField` required (and checked) when `targetField` is CHOOSE_FROM_VARIABLE. */
export function chosenVariable(
  policy: Fields,
  targetField: string,
  variableField: string,
): PolicyIssue[] {
  const chosen = policy[targetField] === 'CHOOSE_FROM_VARIABLE'
  return [
    ...need(policy, 'policy', variableField, chosen, `${targetField} is CHOOSE_FROM_VARIABLE`),
    ...variableIssues(policy[variableField], `policy.${variableField}`),
  ]
}

/** A message size in bytes: more than zero, as both size pages say. */
export const ByteCount = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })

/** JSON-to-XML conversion switches (json-transformation, a redaction action). */
export const jsonToXmlOptions = {
  jsonToXmlIgnoreNull: Flag,
  jsonToXmlIgnoreEmpty: Flag,
  jsonToXmlUseNullForNil: Flag,
  jsonToXmlUnwrapElement: Flag,
}
/** XML-to-JSON conversion switches (xml-transformation, a redaction action). */
export const xmlToJsonOptions = {
  xmlToJsonUnwrapElement: Flag,
  xmlToJsonIgnoreNull: Flag,
  xmlToJsonIgnoreEmpty: Flag,
  xmlToJsonNumbersAsStrings: Flag,
  xmlToJsonUseNullForNil: Flag,
  xmlToJsonArrayPathList: optional(list(Expression)),
}

/** The two protocol transformations belong to the proxy's SOAP/REST setting, not to a client. */
export const systemManaged = (): PolicyIssue[] => [
  {
    field: 'policy.type',
    message:
      "is created with the API proxy when its SOAP/REST transformation is on; it cannot be added or changed here (turn the proxy's transformation on or off instead)",
  },
]
