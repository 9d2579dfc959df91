import type { EnvironmentVariableRow, EnvironmentVariableValueRow } from '../../db/schema.ts'
import type { Queryable } from '../../db/types.ts'

/** A value row with the name of its environment, as reads present it. */
export type NamedValueRow = EnvironmentVariableValueRow & { environment_name: string }

export function listVariables(db: Queryable, projectId: string): Promise<EnvironmentVariableRow[]> {
  return db
    .selectFrom('environment_variables')
    .selectAll()
    .where('project_id', '=', projectId)
    .orderBy('name')
    .execute()
}

/** The variable list's query, unordered (src/http/lists.ts orders and pages it). */
export function variablesOfProject(db: Queryable, projectId: string) {
  return db.selectFrom('environment_variables').selectAll().where('project_id', '=', projectId)
}

/** The per-environment values of these variables (one page of the list). */
export function valuesOfVariables(
  db: Queryable,
  variableIds: readonly string[],
): Promise<NamedValueRow[]> {
  if (variableIds.length === 0) return Promise.resolve([])
  return db
    .selectFrom('environment_variable_values')
    .innerJoin('environments', 'environments.id', 'environment_variable_values.environment_id')
    .selectAll('environment_variable_values')
    .select('environments.name as environment_name')
    .where('environment_variable_values.variable_id', 'in', [...variableIds])
    .orderBy('environments.name')
    .execute()
}

export function findVariable(
  db: Queryable,
  projectId: string,
  name: string,
): Promise<EnvironmentVariableRow | undefined> {
  return db
    .selectFrom('environment_variables')
    .selectAll()
    .where('project_id', '=', projectId)
    .where('name', '=', name)
    .executeTakeFirst()
}

/** The per-environment values of one variable, by environment name. */
export function valuesOf(db: Queryable, variableId: string): Promise<NamedValueRow[]> {
  return db
    .selectFrom('environment_variable_values')
    .innerJoin('environments', 'environments.id', 'environment_variable_values.environment_id')
    .selectAll('environment_variable_values')
    .select('environments.name as environment_name')
    .where('environment_variable_values.variable_id', '=', variableId)
    .orderBy('environments.name')
    .execute()
}

/** The per-environment values of every variable of a project (a join, not a list of ids). */
export function valuesOfProject(db: Queryable, projectId: string): Promise<NamedValueRow[]> {
  return db
    .selectFrom('environment_variable_values')
    .innerJoin('environments', 'environments.id', 'environment_variable_values.environment_id')
    .innerJoin(
      'environment_variables',
      'environment_variables.id',
      'environment_variable_values.variable_id',
    )
    .selectAll('environment_variable_values')
    .select('environments.name as environment_name')
    .where('environment_variables.project_id', '=', projectId)
    .orderBy('environments.name')
    .execute()
}

/** Every value a project's variables have in one environment (global ones excluded). */
export function valuesInEnvironment(
  db: Queryable,
  projectId: string,
  environmentId: string,
): Promise<(EnvironmentVariableValueRow & { name: string })[]> {
  return db
    .selectFrom('environment_variable_values')
    .innerJoin(
      'environment_variables',
      'environment_variables.id',
      'environment_variable_values.variable_id',
    )
    .selectAll('environment_variable_values')
    .select('environment_variables.name')
    .where('environment_variables.project_id', '=', projectId)
    .where('environment_variable_values.environment_id', '=', environmentId)
    .execute()
}

export async function insertVariable(db: Queryable, row: EnvironmentVariableRow): Promise<void> {
  await db.insertInto('environment_variables').values(row).execute()
}

export async function updateVariable(
  db: Queryable,
  id: string,
  changes: Partial<Omit<EnvironmentVariableRow, 'id' | 'project_id' | 'created_at'>>,
): Promise<void> {
  await db.updateTable('environment_variables').set(changes).where('id', '=', id).execute()
}

/** Replaces every per-environment value of a variable. */
export async function setValues(
  db: Queryable,
  variableId: string,
  values: readonly EnvironmentVariableValueRow[],
): Promise<void> {
  await db.deleteFrom('environment_variable_values').where('variable_id', '=', variableId).execute()
  if (values.length > 0) {
    await db
      .insertInto('environment_variable_values')
      .values([...values])
      .execute()
  }
}

export async function deleteVariable(db: Queryable, id: string): Promise<void> {
  await db.deleteFrom('environment_variables').where('id', '=', id).execute()
}

/**
 * Every deployment in a project, with what its proxy's `${NAME}` references can hide in:
 * the routing addresses and the settings document. Read when a variable changes.
 */
export function deploymentsWithDefinitions(db: Queryable, projectId: string) {
  return db
    .selectFrom('proxy_deployments')
    .innerJoin('api_proxies', 'api_proxies.id', 'proxy_deployments.proxy_id')
    .leftJoin('proxy_settings', 'proxy_settings.proxy_id', 'proxy_deployments.proxy_id')
    .select([
      'proxy_deployments.proxy_id',
      'proxy_deployments.environment_id',
      'api_proxies.routing',
      'proxy_settings.settings',
    ])
    .where('api_proxies.project_id', '=', projectId)
    .execute()
}

/** Marks one deployment as behind a variable change (kept as the first change's time). */
export async function markVariablesChanged(
  db: Queryable,
  proxyId: string,
  environmentId: string,
  at: string,
): Promise<void> {
  await db
    .updateTable('proxy_deployments')
    .set({ variables_changed_at: at })
    .where('proxy_id', '=', proxyId)
    .where('environment_id', '=', environmentId)
    .where('variables_changed_at', 'is', null)
    .execute()
}
