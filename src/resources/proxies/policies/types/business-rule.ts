import { Type } from 'typebox'
import { closed, Enum, VALUE_OPERATORS } from '../policy-fields.ts'
import { Variable } from '../policy-variable.ts'
import type { PolicyIssue, PolicyTypeDefinition } from './definition.ts'

const text = Type.Optional(Type.String())
const flag = Type.Optional(Type.Boolean())
const index = Type.Optional(Type.Integer({ minimum: 0 }))

const Action = Type.Object(
  {
    actionType: Enum('ADD', 'MODIFY', 'DELETE', 'STOP'),
    sourceVar: Type.Optional(Variable),
    sourceVarBodyInjectionFieldName: text,
    sourceDataType: Type.Optional(Enum('STRING', 'NUMERIC', 'TEMPORAL')),
    sourceTemporalFormat: text,
    operator: Type.Optional(Enum(...VALUE_OPERATORS)),
    substringFrom: index,
    substringTo: index,
    maskFrom: index,
    maskTo: index,
    replaceSource: text,
    insertOffset: index,
    temporalOperatorTimeUnit: Type.Optional(
      Enum('MILLISECOND', 'SECOND', 'MINUTE', 'HOUR', 'DAY', 'WEEK', 'MONTH', 'YEAR'),
    ),
    replaceFirst: text,
    targetValSource: Type.Optional(Enum('VALUE', 'VARIABLE')),
    targetVal: text,
    // The page's own examples write the value as targetValue; both spellings are kept.
    targetValue: text,
    targetVar: Type.Optional(Variable),
    transformationContentType: Type.Optional(Enum('XSLT', 'JOLT', 'XML2JSON', 'JSON2XML')),
    formatAllowsInvalid: flag,
    formatValueContainsLiteralCharacters: flag,
    formatInvalidCharacters: text,
    formatPlaceholder: text,
    jsonToXmlIgnoreNull: flag,
    jsonToXmlIgnoreEmpty: flag,
    jsonToXmlUseNullForNil: flag,
    jsonToXmlUnwrapElement: flag,
    xmlToJsonUnwrapElement: flag,
    xmlToJsonIgnoreNull: flag,
    xmlToJsonIgnoreEmpty: flag,
    xmlToJsonNumbersAsStrings: flag,
    xmlToJsonUseNullForNil: flag,
    xmlToJsonArrayPathList: Type.Optional(Type.Array(Type.String())),
    claimJsonPath: text,
  },
  closed,
)

/** Each action's documented needs: a source for ADD / MODIFY / DELETE, an operator for MODIFY. */
function check(policy: Readonly<Record<string, unknown>>): PolicyIssue[] {
  const actions = (policy.actionList as Record<string, unknown>[] | undefined) ?? []
  return actions.flatMap((a, i) => {
    const at = `policy.actionList.${i}`
    const issues: PolicyIssue[] = []
    if (a.actionType !== 'STOP' && !a.sourceVar)
      issues.push({ field: `${at}.sourceVar`, message: `is required for ${a.actionType}` })
    if (a.actionType === 'MODIFY' && !a.operator)
      issues.push({ field: `${at}.operator`, message: 'is required for MODIFY' })
    return issues
  })
}

export const businessRule: PolicyTypeDefinition = {
  type: 'policy-business-rule',
  label: 'Business Rule',
  fields: { actionList: Type.Array(Action, { minItems: 1 }) },
  check,
}
