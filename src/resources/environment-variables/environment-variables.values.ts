import type {
  EnvironmentRow,
  EnvironmentVariableRow,
  EnvironmentVariableValueRow,
  ProjectRow,
} from '../../db/schema.ts'
import { errors, type ValidationIssue } from '../../errors.ts'
import { seal, unseal } from '../../sealed.ts'
import type { NamedValueRow } from './environment-variables.repository.ts'
import type { VariableInput } from './environment-variables.schemas.ts'

/*
 * How a body becomes stored columns, and back. A visible value is stored in clear; a
 * secret one only sealed (AES-256-GCM), bound to its variable and environment so a
 * ciphertext copied elsewhere does not open. Reads answer a secret as null, so a client
 * that reads, edits and writes back sends null for it: null on update keeps the stored
 * value of that slot (the global value, or one environment's). Keeping a secret while
 * turning it visible is refused, so a write cannot be used to read a secret.
 */

export const globalContext = (variableId: string) => `environment_variables:${variableId}:global`
export const valueContext = (variableId: string, environmentId: string) =>
  `environment_variables:${variableId}:env:${environmentId}`

/** The columns a body decides, besides name and description. */
export interface StoredValues {
  global: number
  global_visible: number
  global_value: string | null
  global_secret: string | null
  values: EnvironmentVariableValueRow[]
}

/** A slot's stored value: in clear, or sealed. */
interface Slot {
  visible: boolean
  value: string | null
  secret: string | null
}

/**
 * The stored form of one slot. `sent` null keeps `stored`; a kept secret stays sealed
 * as it was (same row, same context), a kept clear value is sealed if it turns secret.
 */
function slot(
  key: Buffer,
  context: string,
  sent: string | null | undefined,
  visible: boolean,
  stored: Slot | undefined,
  field: string,
  issues: ValidationIssue[],
): Slot {
  if (sent !== null && sent !== undefined) {
    return visible
      ? { visible, value: sent, secret: null }
      : { visible, value: null, secret: seal(key, sent, context) }
  }
  if (!stored) {
    issues.push({
      field,
      message: 'is required (null keeps a stored value on update, and there is none to keep)',
    })
    return { visible, value: null, secret: null }
  }
  if (visible && !stored.visible) {
    issues.push({
      field,
      message:
        'is null, which keeps the stored secret, but visible is now true: send the value itself to make it visible',
    })
  }
  if (visible || stored.secret !== null) return { ...stored, visible }
  return { visible, value: null, secret: seal(key, stored.value ?? '', context) }
}

/** What is stored for a variable now, or nothing when it is being created. */
export interface Stored {
  row: EnvironmentVariableRow
  values: NamedValueRow[]
}

/**
 * The stored columns for a body. `usable` are the environments the project may use:
 * each value must name one of them, at most once.
 */
export function storedValues(
  key: Buffer,
  project: ProjectRow,
  variableId: string,
  input: VariableInput,
  stored: Stored | undefined,
  usable: readonly EnvironmentRow[],
): StoredValues {
  const issues: ValidationIssue[] = []
  const list = input.environmentValueList ?? []
  const globalVisible = input.globalVisible ?? true
  if (input.global === true) {
    if (list.length > 0) {
      issues.push({
        field: 'environmentValueList',
        message:
          'must be null or absent when global is true: a global variable has one value, globalValue, in every environment',
      })
    }
    const kept =
      stored?.row.global === 1
        ? {
            visible: stored.row.global_visible === 1,
            value: stored.row.global_value,
            secret: stored.row.global_secret,
          }
        : undefined
    const global = slot(
      key,
      globalContext(variableId),
      input.globalValue,
      globalVisible,
      kept,
      'globalValue',
      issues,
    )
    if (issues.length > 0) throw errors.validationFailed(issues)
    return {
      global: 1,
      global_visible: globalVisible ? 1 : 0,
      global_value: global.value,
      global_secret: global.secret,
      values: [],
    }
  }
  if (input.globalValue !== null && input.globalValue !== undefined) {
    issues.push({
      field: 'globalValue',
      message:
        'must be null or absent when global is false: give each environment its value in environmentValueList',
    })
  }
  if (list.length === 0) {
    issues.push({
      field: 'environmentValueList',
      message: "must hold at least one environment's value when global is false",
    })
  }
  const values = environmentValues(key, project, variableId, list, stored, usable, issues)
  if (issues.length > 0) throw errors.validationFailed(issues)
  return {
    global: 0,
    global_visible: globalVisible ? 1 : 0,
    global_value: null,
    global_secret: null,
    values,
  }
}

function environmentValues(
  key: Buffer,
  project: ProjectRow,
  variableId: string,
  list: NonNullable<VariableInput['environmentValueList']>,
  stored: Stored | undefined,
  usable: readonly EnvironmentRow[],
  issues: ValidationIssue[],
): EnvironmentVariableValueRow[] {
  const byName = new Map(usable.map((e) => [e.name, e]))
  const storedByEnvironment = new Map(
    stored?.row.global === 0 ? stored.values.map((v) => [v.environment_id, v]) : [],
  )
  const seen = new Set<string>()
  const rows: EnvironmentVariableValueRow[] = []
  list.forEach((item, i) => {
    const at = `environmentValueList.${i}`
    const environment = byName.get(item.environmentName)
    if (!environment) {
      issues.push({
        field: `${at}.environmentName`,
        message: `'${item.environmentName}' is not an environment project '${project.name}' may use`,
      })
      return
    }
    if (seen.has(environment.id)) {
      issues.push({
        field: `${at}.environmentName`,
        message: `names environment '${item.environmentName}' again: give each environment one value`,
      })
      return
    }
    seen.add(environment.id)
    const before = storedByEnvironment.get(environment.id)
    const kept = before && {
      visible: before.visible === 1,
      value: before.value,
      secret: before.secret,
    }
    const context = valueContext(variableId, environment.id)
    const visible = item.visible ?? false
    const value = slot(key, context, item.value, visible, kept, `${at}.value`, issues)
    rows.push({
      variable_id: variableId,
      environment_id: environment.id,
      visible: value.visible ? 1 : 0,
      value: value.value,
      secret: value.secret,
    })
  })
  return rows
}

/** A stored slot's value in clear: the gateway's view, never an API answer's. */
export function clearValue(
  keys: readonly Buffer[],
  stored: { value: string | null; secret: string | null },
  context: string,
): string {
  return stored.secret !== null ? unseal(keys, stored.secret, context) : (stored.value ?? '')
}
