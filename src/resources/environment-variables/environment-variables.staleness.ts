import type { EnvironmentVariableRow } from '../../db/schema.ts'
import type { Queryable } from '../../db/types.ts'
import * as repo from './environment-variables.repository.ts'
import { MalformedReference, referencedNames } from './environment-variables.resolve.ts'
import { clearValue, globalContext, valueContext } from './environment-variables.values.ts'

/*
 * A variable write makes a deployed proxy stale where it changes what the proxy's
 * `${NAME}` references resolve to: the deployment row is marked (variables_changed_at)
 * in each environment whose value differs, and reports redeployRequired until the next
 * deploy there clears it. Values are compared in clear, so rewriting a secret with the
 * same value, or turning a value secret, changes nothing.
 */

/** A variable as it is (or was) stored: its name, and its value per environment. */
export interface VariableState {
  name: string
  valueIn(environmentId: string): string | undefined
}

export function variableState(
  keys: readonly Buffer[],
  row: Pick<EnvironmentVariableRow, 'id' | 'name' | 'global' | 'global_value' | 'global_secret'>,
  values: readonly { environment_id: string; value: string | null; secret: string | null }[],
): VariableState {
  if (row.global === 1) {
    const stored = { value: row.global_value, secret: row.global_secret }
    const value = clearValue(keys, stored, globalContext(row.id))
    return { name: row.name, valueIn: () => value }
  }
  const byEnvironment = new Map(
    values.map((v) => [
      v.environment_id,
      clearValue(keys, v, valueContext(row.id, v.environment_id)),
    ]),
  )
  return { name: row.name, valueIn: (id) => byEnvironment.get(id) }
}

/** The variable names a stored JSON document refers to, wherever a string holds one. */
function referencesIn(json: string | null, into: Set<string>): void {
  if (!json) return
  const visit = (value: unknown): void => {
    if (typeof value === 'string') {
      if (!value.includes('${')) return
      try {
        for (const name of referencedNames(value)) into.add(name)
      } catch (error) {
        // A malformed reference resolves to nothing, before or after: not a change.
        if (!(error instanceof MalformedReference)) throw error
      }
    } else if (Array.isArray(value)) value.forEach(visit)
    else if (value && typeof value === 'object') Object.values(value).forEach(visit)
  }
  visit(JSON.parse(json))
}

/**
 * Marks the project's deployments that `before` -> `after` changes (either may be
 * absent: a create, a delete; a rename is the old name gone and the new one come).
 */
export async function markStaleDeployments(
  trx: Queryable,
  projectId: string,
  before: VariableState | undefined,
  after: VariableState | undefined,
  at: string,
): Promise<void> {
  const names = new Set([before?.name, after?.name].filter((n) => n !== undefined))
  const valueIn = (state: VariableState | undefined, name: string, environmentId: string) =>
    state?.name === name ? state.valueIn(environmentId) : undefined
  for (const d of await repo.deploymentsWithDefinitions(trx, projectId)) {
    const referenced = new Set<string>()
    referencesIn(d.routing, referenced)
    referencesIn(d.settings, referenced)
    const changed = [...names].some(
      (name) =>
        referenced.has(name) &&
        valueIn(before, name, d.environment_id) !== valueIn(after, name, d.environment_id),
    )
    if (changed) await repo.markVariablesChanged(trx, d.proxy_id, d.environment_id, at)
  }
}
