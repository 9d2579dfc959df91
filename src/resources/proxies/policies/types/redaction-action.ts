import { Type } from 'typebox'
import { enumOf, strict } from '../../settings/settings.fields.ts'
import { VALUE_OPERATORS } from '../policy-fields.ts'
import { Variable, variableIssues } from '../policy-variable.ts'
import type { PolicyIssue } from './definition.ts'
import {
  Flag,
  has,
  isObject,
  jsonToXmlOptions,
  maybe,
  need,
  optional,
  Text,
  xmlToJsonOptions,
} from './shared-b.ts'

/*
 * One action of a redaction rule (policy-redaction's `action`), in its own file for
 * its size.
 */

/** This page's time units (not the JOSE pages' MILLI_SECONDS... spelling). */
const TIME_UNITS = ['MILLISECOND', 'SECOND', 'MINUTE', 'HOUR', 'DAY', 'WEEK', 'MONTH', 'YEAR']
const Index = optional(Type.Integer({ minimum: 0, maximum: 1_000_000 }))

export const Action = Type.Object(
  {
    actionType: enumOf(['MODIFY', 'DELETE']),
    sourceVar: Variable,
    sourceVarBodyInjectionFieldName: optional(Text(200)),
    sourceDataType: maybe(enumOf(['STRING', 'NUMERIC', 'TEMPORAL'])),
    sourceTemporalFormat: optional(Text(200)),
    operator: maybe(enumOf(VALUE_OPERATORS)),
    substringFrom: Index,
    substringTo: Index,
    maskFrom: Index,
    maskTo: Index,
    replaceSource: optional(Text(4000)),
    insertOffset: Index,
    temporalOperatorTimeUnit: optional(enumOf(TIME_UNITS)),
    replaceFirst: optional(Text(4000)),
    targetValSource: maybe(enumOf(['VALUE', 'VARIABLE'])),
    targetVal: maybe(Text(4000)),
    // The page's own update example spells the value this way; both are taken.
    targetValue: maybe(Text(4000)),
    targetVar: maybe(Variable),
    transformationContentType: optional(enumOf(['XSLT', 'JOLT', 'XML2JSON', 'JSON2XML'])),
    formatAllowsInvalid: Flag,
    formatValueContainsLiteralCharacters: Flag,
    formatInvalidCharacters: optional(Text(200)),
    formatPlaceholder: optional(Text(200)),
    ...jsonToXmlOptions,
    ...xmlToJsonOptions,
    claimJsonPath: optional(Text(1000)),
  },
  strict,
)

/** Fields an operator works on, from the table's "for X operator" notes. */
const OPERATOR_FIELDS: Readonly<Record<string, readonly string[]>> = {
  SUBSTRING: ['substringFrom', 'substringTo'],
  MASK: ['maskFrom', 'maskTo'],
  INSERT: ['insertOffset'],
  TRANSFORM: ['transformationContentType'],
}

/**
 * MODIFY needs a data type and a target; the target's value or variable as its source
 * says. `operator` is not required for MODIFY although the table says so: the page's
 * own update example modifies without one.
 */
export function actionIssues(action: unknown, path: string): PolicyIssue[] {
  if (!isObject(action)) return []
  const modify = action.actionType === 'MODIFY'
  const issues = [
    ...need(action, path, 'sourceDataType', modify, 'actionType is MODIFY'),
    ...need(action, path, 'targetValSource', modify, 'actionType is MODIFY'),
    ...need(
      action,
      path,
      'targetVar',
      action.targetValSource === 'VARIABLE',
      'targetValSource is VARIABLE',
    ),
    ...(OPERATOR_FIELDS[String(action.operator)] ?? []).flatMap((field) =>
      need(action, path, field, true, `operator is ${String(action.operator)}`),
    ),
    ...variableIssues(action.sourceVar, `${path}.sourceVar`),
    ...variableIssues(action.targetVar, `${path}.targetVar`),
  ]
  if (action.targetValSource === 'VALUE' && !has(action.targetVal) && !has(action.targetValue)) {
    issues.push({
      field: `${path}.targetVal`,
      message: 'is required when targetValSource is VALUE',
    })
  }
  return issues
}
