import { Type } from 'typebox'
import { enumOf, strict } from '../../settings/settings.fields.ts'
import { Variable, variableIssues } from '../policy-variable.ts'
import type { PolicyIssue, PolicyTypeDefinition } from './definition.ts'
import { Action, actionIssues } from './redaction-action.ts'
import { isObject, list, maybe, need, Text } from './shared-b.ts'

const Detail = Type.Object(
  { orderNum: Type.Integer({ minimum: 1, maximum: 10_000 }), action: Action },
  strict,
)
const Definition = Type.Object(
  {
    redactionType: enumOf(['KEY_EXISTENCE', 'KEY_VALUE', 'USER', 'ROLE']),
    keyValueVar: maybe(Variable),
    keyValueListStr: maybe(Text(10_000)),
    redactionDefDetailList: list(Detail, 100, 1),
  },
  strict,
)

/** Key rules read a key (and KEY_VALUE the values to match); each action as it says. */
function definitionIssues(definition: unknown, path: string): PolicyIssue[] {
  if (!isObject(definition)) return []
  const type = String(definition.redactionType)
  const keyed = type === 'KEY_EXISTENCE' || type === 'KEY_VALUE'
  const details = Array.isArray(definition.redactionDefDetailList)
    ? definition.redactionDefDetailList
    : []
  return [
    ...need(definition, path, 'keyValueVar', keyed, `redactionType is ${type}`),
    ...need(
      definition,
      path,
      'keyValueListStr',
      type === 'KEY_VALUE',
      'redactionType is KEY_VALUE',
    ),
    ...variableIssues(definition.keyValueVar, `${path}.keyValueVar`),
    ...details.flatMap((detail, index) =>
      isObject(detail)
        ? actionIssues(detail.action, `${path}.redactionDefDetailList.${index}.action`)
        : [],
    ),
  ]
}

export const redaction: PolicyTypeDefinition = {
  type: 'policy-redaction',
  label: 'Redaction',
  fields: { redactionDefList: list(Definition, 100, 1) },
  check: (policy) =>
    (Array.isArray(policy.redactionDefList) ? policy.redactionDefList : []).flatMap(
      (definition, index) => definitionIssues(definition, `policy.redactionDefList.${index}`),
    ),
}
