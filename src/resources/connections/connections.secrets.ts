import type { ValidationIssue } from '../../errors.ts'
import { MASK } from '../../sealed.ts'
import { type Body, type ConnectionTypeDef, isSecret, type SecretSlot } from './types/definition.ts'

/*
 * Sealing and masking, for every type alike, from what each type declares (types/*.ts):
 * its secret fields, the secrets inside its structures, and its target fields. An update
 * keeps a stored secret that comes back masked (or, for a top-level secret field,
 * omitted) only while the target stays the same: otherwise anyone with write access
 * could point the connection at a host of their own and have the server send it a
 * secret they were never shown.
 */

/** The clear secret values of one connection, by slot key, as the `secret` column seals them. */
export type SecretValues = Record<string, string>

export function secretFields(def: ConnectionTypeDef): string[] {
  return Object.entries(def.fields)
    .filter(([, schema]) => isSecret(schema))
    .map(([field]) => field)
}

/** Every secret a body holds (or, for top-level fields, could hold), in body order. */
export function slotsOf(def: ConnectionTypeDef, body: Body): SecretSlot[] {
  const top = secretFields(def).map(
    (field): SecretSlot => ({
      key: field,
      field,
      value: body[field],
      put: (value) => {
        body[field] = value
      },
    }),
  )
  return [...top, ...(def.nestedSecrets?.(body) ?? [])]
}

/** The target fields that differ between the stored body and the next one. */
export function targetChanges(def: ConnectionTypeDef, stored: Body, next: Body): string[] {
  return Object.entries(def.target)
    .filter(
      ([field, normalize]) => normalize(stored[field], stored) !== normalize(next[field], next),
    )
    .map(([field]) => field)
}

export function targetChangedIssue(field: string, changed: string[]): ValidationIssue {
  return {
    field,
    message: `is kept from before, but the target changed (${changed.join(', ')}): send it again; a stored secret is never sent to a new target`,
  }
}

function noStoredValue(field: string): ValidationIssue {
  return {
    field,
    message: `is "${MASK}", the mask shown in place of a stored secret, but none is stored for it; send the value itself`,
  }
}

/**
 * Splits a body into what is stored in clear (every secret replaced by the mask) and the
 * secret values to seal. `stored`: the connection as it was, on update. A secret sent in
 * clear is taken; sent as the mask (or a top-level one omitted) it is the stored value,
 * unless none is stored or the target changed (an issue naming the field; the mask stays
 * in place, so the type's own checks still see a secret there); null removes it.
 */
export function splitSecrets(
  def: ConnectionTypeDef,
  body: Body,
  stored: { settings: Body; values: SecretValues } | null,
): { settings: Body; values: SecretValues; issues: ValidationIssue[] } {
  const settings = structuredClone(body)
  const changed = stored ? targetChanges(def, stored.settings, settings) : []
  const values: SecretValues = {}
  const issues: ValidationIssue[] = []
  for (const slot of slotsOf(def, settings)) {
    const kept = stored?.values[slot.key]
    const keeping = slot.value === MASK || (slot.value === undefined && kept !== undefined)
    if (keeping) {
      if (kept === undefined) issues.push(noStoredValue(slot.field))
      else if (changed.length > 0) issues.push(targetChangedIssue(slot.field, changed))
      else values[slot.key] = kept
      slot.put(MASK)
    } else if (typeof slot.value === 'string' && slot.value !== '') {
      values[slot.key] = slot.value
      slot.put(MASK)
    } else if (slot.value !== undefined) slot.put(null)
  }
  return { settings, values, issues }
}

/**
 * Settings as answered: every secret the mask. Stored settings already hold masks; a
 * row stored with values in clear (a webhook from before they were sealed, until the
 * next start seals it) is masked here all the same.
 */
export function masked(def: ConnectionTypeDef, settings: Body): Body {
  for (const slot of slotsOf(def, settings)) {
    if (typeof slot.value === 'string' && slot.value !== '' && slot.value !== MASK) slot.put(MASK)
  }
  return settings
}

/** The stored settings with the sealed values back in place of the masks (a reveal). */
export function revealed(def: ConnectionTypeDef, settings: Body, values: SecretValues) {
  const clear = structuredClone(settings)
  const fields: string[] = []
  for (const slot of slotsOf(def, clear)) {
    const value = values[slot.key]
    if (slot.value !== MASK || value === undefined) continue
    slot.put(value)
    fields.push(slot.label ?? slot.field)
  }
  return { settings: clear, fields }
}

/**
 * The sealed JSON, opened, as slot keys. Rows sealed before the documented shape hold
 * `{password}` (the type's one password) or a webhook's `{headers, query}`.
 */
export function openedValues(
  def: ConnectionTypeDef,
  opened: Record<string, unknown>,
): SecretValues {
  if (opened.values && typeof opened.values === 'object') return opened.values as SecretValues
  if (typeof opened.password === 'string') {
    return { [LEGACY_PASSWORD_KEY[def.type] ?? 'password']: opened.password }
  }
  const values: SecretValues = {}
  for (const [name, value] of Object.entries((opened.headers as Record<string, string>) ?? {})) {
    values[`headerList:${name.toLowerCase()}#0`] = value
  }
  const seen = new Map<string, number>()
  for (const [name, value] of (opened.query as [string, string][]) ?? []) {
    const n = seen.get(name) ?? 0
    seen.set(name, n + 1)
    values[`fullUrl?${name}#${n}`] = value
  }
  return values
}

/** Where the old shape's one password lives now (migration 0017 renamed the fields). */
const LEGACY_PASSWORD_KEY: Record<string, string> = {
  elasticsearch: 'elasticPassword',
  kafka: 'propertiesMap.sasl.password',
}

export const hasValues = (values: SecretValues) => Object.keys(values).length > 0
