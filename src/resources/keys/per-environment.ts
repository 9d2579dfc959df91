import { randomUUID } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { AuditSink } from '../../audit/audit.recorder.ts'
import type { Clock } from '../../clock.ts'
import type { Database, EnvironmentRow, ProjectRow } from '../../db/schema.ts'
import { isUniqueViolation } from '../../db/types.ts'
import { errors } from '../../errors.ts'
import { type ListOrder, type ListQueryInput, pageInSql } from '../../http/lists.ts'
import { authorizeInProject, type Principal } from '../../identity/policy/permissions.ts'
import { type DeploymentResult, inEffectEverywhere } from '../environments/in-effect.ts'
import { type AfterUpdate, environmentNames } from './environment-entries.ts'
import * as repo from './keys.repository.ts'

/*
 * Keys and keystores are the same kind of object: named in a project, one entry per
 * environment (secrets sealed inside), read with ROLE_API_SECURITY and written with
 * ROLE_DEPLOY_UNDEPLOY_PROXIES too, each write answering the entries' environments.
 * Their CRUD is written once here; each says how its entries are read and shown.
 */

export interface PerEnvironmentDeps {
  db: Kysely<Database>
  clock: Clock
  audit: AuditSink
}

export interface Named {
  name: string
  description?: string | undefined
}

export type Change = 'created' | 'updated' | 'deleted'

type Entries<Entry> = { entries: Entry[]; environments: EnvironmentRow[] }

export interface PerEnvironmentKind<
  T extends repo.KeyTable,
  Row extends repo.RowOf<T>,
  Input extends Named,
  Entry extends { environmentId: string },
  View,
  Deps extends PerEnvironmentDeps,
> {
  table: T
  /** How messages name one: 'Key', 'Keystore'. */
  label: string
  /** Records the kind's audit event for a change. */
  record: (audit: AuditSink, change: Change, project: string, name: string) => void
  view: (row: Row, project: ProjectRow, byId: Map<string, EnvironmentRow>) => View
  /** Reads and checks the input's entries for the object `id`; `previous`: those stored. */
  entries: (
    deps: Deps,
    project: ProjectRow,
    id: string,
    input: Input,
    previous: Entry[],
  ) => Promise<Entries<Entry>>
  /** Columns besides name, description and environments (a key's key_type). */
  columns?: (input: Input) => Partial<Row>
}

// biome-ignore lint/suspicious/noExplicitAny: any kind, whatever its input, entry and view
export type AnyKind = PerEnvironmentKind<any, any, any, any, any, any>
export type InputOf<K extends AnyKind> = Parameters<K['entries']>[3]
export type DepsOf<K extends AnyKind> = Parameters<K['entries']>[0]
type ViewOf<K extends AnyKind> = ReturnType<K['view']>
type RowOfKind<K extends AnyKind> = Parameters<K['view']>[0]

/** The stored entries of a row (JSON, their secrets sealed inside). */
export const entriesOfRow = <Entry>(row: { environments: string }) =>
  JSON.parse(row.environments) as Entry[]

const described = (kind: AnyKind, name: string, project: ProjectRow) =>
  `${kind.label} '${name}' in project '${project.name}'`

export async function requireNamed<K extends AnyKind>(
  kind: K,
  deps: { db: Kysely<Database> },
  project: ProjectRow,
  name: string,
): Promise<RowOfKind<K>> {
  const row = await repo.findByName(deps.db, kind.table, project.id, name)
  if (!row) throw errors.notFound(described(kind, name, project))
  return row as RowOfKind<K>
}

/** Runs an insert or update; a name taken meanwhile is the same 409 as one taken before. */
async function uniquely(
  kind: AnyKind,
  project: ProjectRow,
  name: string,
  write: () => Promise<void>,
) {
  try {
    await write()
  } catch (error) {
    if (isUniqueViolation(error)) throw errors.duplicateName(described(kind, name, project))
    throw error
  }
}

const ORDER: ListOrder = {
  sortable: { name: 'name', createdAt: 'created_at' },
  defaultSort: 'name',
}

export async function listNamed<K extends AnyKind>(
  kind: K,
  deps: { db: Kysely<Database> },
  principal: Principal,
  projectName: string,
  query: ListQueryInput,
) {
  const project = await authorizeInProject(deps, principal, 'keyMaterial.read', projectName)
  const byId = await environmentNames(deps.db, project)
  const base = repo.ofProject(deps.db, kind.table, project.id)
  return pageInSql(
    deps.db,
    base,
    query,
    ORDER,
    (row) => kind.view(row as RowOfKind<K>, project, byId) as ViewOf<K>,
  )
}

export async function getNamed<K extends AnyKind>(
  kind: K,
  deps: { db: Kysely<Database> },
  principal: Principal,
  projectName: string,
  name: string,
): Promise<ViewOf<K>> {
  const project = await authorizeInProject(deps, principal, 'keyMaterial.read', projectName)
  const row = await requireNamed(kind, deps, project, name)
  return kind.view(row, project, await environmentNames(deps.db, project))
}

export async function createNamed<K extends AnyKind>(
  kind: K,
  deps: DepsOf<K>,
  principal: Principal,
  projectName: string,
  input: InputOf<K>,
): Promise<DeploymentResult> {
  const project = await authorizeInProject(deps, principal, 'keyMaterial.write', projectName)
  if (await repo.findByName(deps.db, kind.table, project.id, input.name)) {
    throw errors.duplicateName(described(kind, input.name, project))
  }
  const id = randomUUID()
  const { entries, environments } = await kind.entries(deps, project, id, input, [])
  const now = deps.clock.now().toISOString()
  const row = {
    id,
    project_id: project.id,
    name: input.name,
    description: input.description ?? '',
    ...kind.columns?.(input),
    environments: JSON.stringify(entries),
    created_at: now,
    updated_at: now,
  } as RowOfKind<K>
  await uniquely(kind, project, input.name, () => repo.insert(deps.db, kind.table, row))
  kind.record(deps.audit, 'created', project.name, input.name)
  return inEffectEverywhere(environments)
}

/**
 * Replaces the object; the body's name may rename it. `after` runs in the same
 * transaction once the row is written (the JWKs made from it, refreshed).
 */
export async function updateNamed<K extends AnyKind, R = never>(
  kind: K,
  deps: DepsOf<K>,
  principal: Principal,
  projectName: string,
  name: string,
  input: InputOf<K>,
  after?: AfterUpdate<RowOfKind<K>, R>,
): Promise<{ deploymentResult: DeploymentResult; after?: R }> {
  const project = await authorizeInProject(deps, principal, 'keyMaterial.write', projectName)
  const row = await requireNamed(kind, deps, project, name)
  const previous = entriesOfRow<{ environmentId: string }>(row)
  const { entries, environments } = await kind.entries(deps, project, row.id, input, previous)
  const changes = {
    name: input.name,
    description: input.description ?? '',
    ...kind.columns?.(input),
    environments: JSON.stringify(entries),
    updated_at: deps.clock.now().toISOString(),
  }
  const db: Kysely<Database> = deps.db
  const followed = await db.transaction().execute(async (trx) => {
    await uniquely(kind, project, input.name, () => repo.update(trx, kind.table, row.id, changes))
    return after?.inTransaction(trx, { ...row, ...changes })
  })
  kind.record(deps.audit, 'updated', project.name, input.name)
  const deploymentResult = inEffectEverywhere(environments)
  if (!after) return { deploymentResult }
  after.committed(followed as R, deps.audit)
  return { deploymentResult, after: followed as R }
}

export async function deleteNamed(
  kind: AnyKind,
  deps: PerEnvironmentDeps,
  principal: Principal,
  projectName: string,
  name: string,
): Promise<DeploymentResult> {
  const project = await authorizeInProject(deps, principal, 'keyMaterial.write', projectName)
  const row = await requireNamed(kind, deps, project, name)
  const byId = await environmentNames(deps.db, project)
  await repo.remove(deps.db, kind.table, row.id)
  kind.record(deps.audit, 'deleted', project.name, name)
  const stored = entriesOfRow<{ environmentId: string }>(row)
  return inEffectEverywhere(
    stored.flatMap((e) => byId.get(e.environmentId) ?? []),
    true,
  )
}
