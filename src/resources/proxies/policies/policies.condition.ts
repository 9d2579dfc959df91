import { type TSchema, Type } from 'typebox'
import { COMPONENT } from '../../../http/openapi-components.ts'
import { closed, Enum } from './policy-fields.ts'
import { Variable } from './policy-variable.ts'
import type { PolicyIssue } from './types/definition.ts'

/*
 * When a policy runs (the documented PolicyConditionDTO): rules compare a variable with
 * a value or another variable, and AND / OR / NOT rules nest others.
 */

export const CRITERIA = ['VALUE', 'NOT', 'AND', 'OR'] as const
export const OPERATORS = [
  'LT',
  'LE',
  'GT',
  'GE',
  'EQ',
  'NE',
  'STARTS_WITH',
  'ENDS_WITH',
  'CONTAINS',
  'NOT_CONTAINS',
  'IS_EMPTY',
  'IS_NOT_EMPTY',
  'IS_EXISTS',
  'IS_NOT_EXISTS',
  'IN',
  'NOT_IN',
] as const
/** The docs name both NUMBER and NUMERIC (and BOOLEAN in one list only): all are taken. */
const DATA_TYPES = ['STRING', 'NUMBER', 'NUMERIC', 'DATE', 'BOOLEAN']
const UNARY = new Set(['IS_EMPTY', 'IS_NOT_EMPTY', 'IS_EXISTS', 'IS_NOT_EXISTS'])

/** How deep AND / OR / NOT rules may nest (a schema cannot recurse in every OpenAPI tool). */
export const MAX_DEPTH = 4

function rule(depth: number): TSchema {
  return Type.Object(
    {
      ...(depth > 1 ? { conditionRuleList: Type.Optional(Type.Array(rule(depth - 1))) } : {}),
      conditionCriteria: Enum(...CRITERIA),
      firstVariable: Type.Optional(Variable),
      variableDataType: Type.Optional(Enum(...DATA_TYPES)),
      dateFormat: Type.Optional(Type.String()),
      valueComparisonOperator: Type.Optional(Enum(...OPERATORS)),
      secondValueSource: Type.Optional(Enum('VALUE', 'VARIABLE')),
      secondValue: Type.Optional(Type.String()),
      secondVariable: Type.Optional(Variable),
    },
    { ...closed, [COMPONENT]: `PolicyConditionRule${depth}` },
  )
}

/** One condition rule (ConditionRuleDTO): a policy's condition and a policy group's rules. */
export const ConditionRule = rule(MAX_DEPTH)

export const PolicyConditionSchema = Type.Object(
  { conditionRuleList: Type.Optional(Type.Array(ConditionRule)) },
  {
    ...closed,
    description: 'When the policy runs; no rules: always',
    [COMPONENT]: 'PolicyCondition',
  },
)

type Rule = Record<string, unknown> & { conditionRuleList?: Rule[] }

/** What a rule needs beyond its shape: a VALUE rule compares, a logical rule nests. */
function ruleIssues(r: Rule, at: string): PolicyIssue[] {
  const issues: PolicyIssue[] = []
  const need = (field: string, why: string) => {
    if (r[field] === undefined || r[field] === null || r[field] === '')
      issues.push({ field: `${at}.${field}`, message: `is required ${why}` })
  }
  if (r.conditionCriteria === 'VALUE') {
    need('firstVariable', 'when conditionCriteria is VALUE')
    need('valueComparisonOperator', 'when conditionCriteria is VALUE')
    if (!UNARY.has(String(r.valueComparisonOperator))) {
      need('secondValueSource', `when valueComparisonOperator is ${r.valueComparisonOperator}`)
      if (r.secondValueSource === 'VALUE') need('secondValue', 'when secondValueSource is VALUE')
      if (r.secondValueSource === 'VARIABLE')
        need('secondVariable', 'when secondValueSource is VARIABLE')
    }
    if (r.variableDataType === 'DATE') need('dateFormat', 'when variableDataType is DATE')
  } else if ((r.conditionRuleList ?? []).length === 0) {
    issues.push({
      field: `${at}.conditionRuleList`,
      message: `must hold at least one rule when conditionCriteria is ${r.conditionCriteria}`,
    })
  }
  ;(r.conditionRuleList ?? []).forEach((child, i) => {
    issues.push(...ruleIssues(child, `${at}.conditionRuleList.${i}`))
  })
  return issues
}

/** `at`: where the condition sits in the body (a policy's, or an RLCL's whole body). */
export function conditionIssues(
  condition: unknown,
  at = 'policy.policyCondition.conditionRuleList',
): PolicyIssue[] {
  const rules = (condition as { conditionRuleList?: Rule[] } | undefined)?.conditionRuleList ?? []
  return rules.flatMap((r, i) => ruleIssues(r, `${at}.${i}`))
}
