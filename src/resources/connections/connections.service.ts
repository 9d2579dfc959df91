import { randomUUID } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { AuditSink } from '../../audit/audit.recorder.ts'
import type { Clock } from '../../clock.ts'
import type { ConnectionRow, Database, ProjectRow } from '../../db/schema.ts'
import { isUniqueViolation } from '../../db/types.ts'
import { errors } from '../../errors.ts'
import { type ListOrder, type ListQueryInput, pageInSql } from '../../http/lists.ts'
import { authorizeInProject, type Principal } from '../../identity/policy/permissions.ts'
import { seal, unseal } from '../../sealed.ts'
import * as repo from './connections.repository.ts'
import type { ConnectionInput } from './connections.schemas.ts'
import {
  hasValues,
  masked,
  openedValues,
  revealed,
  type SecretValues,
  secretFields,
  splitSecrets,
} from './connections.secrets.ts'
import type { Body } from './types/definition.ts'
import { typeDef } from './types/index.ts'

export interface ConnectionsDeps {
  db: Kysely<Database>
  clock: Clock
  /** AES-256-GCM key for the `secret` column (see sealed.ts). */
  atRestKey: Buffer
  /** atRestKey, then the keys of former master secrets: for opening, never sealing. */
  atRestKeys: readonly Buffer[]
  audit: AuditSink
}

export type ConnectionView = Body & {
  type: string
  name: string
  description: string
  deployToWorker: boolean
  enabled: boolean
  createdAt: string
  updatedAt: string
}

/** Binds a sealed secret to its row and column, so a copied ciphertext fails to open. */
export const secretContext = (connectionId: string) => `connections:${connectionId}:secret`

function sealValues(deps: Pick<ConnectionsDeps, 'atRestKey'>, id: string, values: SecretValues) {
  return hasValues(values)
    ? seal(deps.atRestKey, JSON.stringify({ values }), secretContext(id))
    : null
}

/** A row's secrets in clear: sealed, or (a row from before sealing) still in its settings. */
function storedValues(deps: Pick<ConnectionsDeps, 'atRestKeys'>, row: ConnectionRow) {
  if (row.secret === null)
    return splitSecrets(typeDef(row.type), JSON.parse(row.settings), null).values
  const opened = JSON.parse(unseal(deps.atRestKeys, row.secret, secretContext(row.id)))
  return openedValues(typeDef(row.type), opened)
}

/** The row as the API answers it: documented fields at the top level, secrets masked. */
function view(row: ConnectionRow): ConnectionView {
  const def = typeDef(row.type)
  const { deployToWorker, ...settings } = masked(def, JSON.parse(row.settings) as Body)
  // A secret field never set reads null, so every secret field is always there.
  for (const field of secretFields(def)) settings[field] ??= null
  return {
    type: row.type,
    name: row.name,
    description: row.description,
    deployToWorker: deployToWorker !== false,
    enabled: row.enabled === 1,
    ...settings,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}

/**
 * The `settings` and `secret` columns for a body: what is not common is the type's
 * settings, its secrets sealed apart (see connections.secrets.ts for what an update keeps).
 */
function storedColumns(
  deps: Pick<ConnectionsDeps, 'atRestKey' | 'atRestKeys'>,
  id: string,
  input: ConnectionInput,
  stored: ConnectionRow | null,
): { settings: string; secret: string | null } {
  const { type, name: _name, description: _d, enabled: _e, deployToWorker, ...fields } = input
  const def = typeDef(type)
  const before = stored && {
    settings: JSON.parse(stored.settings),
    values: storedValues(deps, stored),
  }
  const { settings, values, issues } = splitSecrets(def, fields, before)
  issues.push(...(def.check?.(settings) ?? []))
  if (issues.length > 0) throw errors.validationFailed(issues)
  return {
    settings: JSON.stringify({ deployToWorker: deployToWorker !== false, ...settings }),
    secret: sealValues(deps, id, values),
  }
}

async function requireConnection(
  deps: Pick<ConnectionsDeps, 'db'>,
  project: ProjectRow,
  name: string,
): Promise<ConnectionRow> {
  const row = await repo.findConnection(deps.db, project.id, name)
  if (!row) throw errors.notFound(`Connection '${name}' in project '${project.name}'`)
  return row
}

// Names are unique in a project, so name alone makes the order total.
const CONNECTION_ORDER: ListOrder = {
  sortable: { name: 'name', type: 'type', createdAt: 'created_at', updatedAt: 'updated_at' },
  defaultSort: 'name',
}

export async function listConnections(
  deps: Pick<ConnectionsDeps, 'db'>,
  principal: Principal,
  projectName: string,
  query: ListQueryInput & { type?: string | undefined },
) {
  const project = await authorizeInProject(deps, principal, 'project.read', projectName)
  const base = repo.connectionsOfProject(deps.db, project.id, query.type)
  return pageInSql(deps.db, base, query, CONNECTION_ORDER, view)
}

export async function getConnection(
  deps: Pick<ConnectionsDeps, 'db'>,
  principal: Principal,
  projectName: string,
  name: string,
): Promise<ConnectionView> {
  const project = await authorizeInProject(deps, principal, 'project.read', projectName)
  return view(await requireConnection(deps, project, name))
}

/** The name a create uses: the body's, which must be the path's (ignoring case) when both are sent. */
function nameOf(input: ConnectionInput, pathName: string | undefined): string {
  const name = input.name ?? pathName
  if (name === undefined) throw errors.validationFailed([{ field: 'name', message: 'is required' }])
  if (pathName !== undefined && name.toLowerCase() !== pathName.toLowerCase()) {
    throw errors.validationFailed([
      { field: 'name', message: `must be '${pathName}', the name in the path` },
    ])
  }
  return name
}

export async function createConnection(
  deps: ConnectionsDeps,
  principal: Principal,
  projectName: string,
  input: ConnectionInput,
  pathName?: string,
): Promise<ConnectionView> {
  const project = await authorizeInProject(deps, principal, 'security.write', projectName)
  const name = nameOf(input, pathName)
  const id = randomUUID()
  const now = deps.clock.now().toISOString()
  const row: ConnectionRow = {
    id,
    project_id: project.id,
    name,
    type: input.type,
    description: input.description ?? '',
    enabled: input.enabled === false ? 0 : 1,
    ...storedColumns(deps, id, input, null),
    created_at: now,
    updated_at: now,
  }
  try {
    await repo.insertConnection(deps.db, row)
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw errors.duplicateName(`Connection '${name}' in project '${project.name}'`)
    }
    throw error
  }
  deps.audit.record('connection.created', { project: project.name, connection: row.name })
  return view(row)
}

/**
 * Replaces a connection with the body; see storedColumns for its secrets. A different
 * name in the body renames it (the sealed secret is bound to the row, not the name).
 */
export async function replaceConnection(
  deps: ConnectionsDeps,
  principal: Principal,
  projectName: string,
  name: string,
  input: ConnectionInput,
): Promise<ConnectionView> {
  const project = await authorizeInProject(deps, principal, 'security.write', projectName)
  const row = await requireConnection(deps, project, name)
  if (input.type !== row.type) {
    throw errors.conflict(
      `Connection '${name}' is a ${row.type} connection and its type cannot change to ${input.type}. Delete it and create a new ${input.type} connection instead.`,
    )
  }
  const changes = {
    name: input.name ?? row.name,
    description: input.description ?? '',
    enabled: input.enabled === false ? 0 : 1,
    ...storedColumns(deps, row.id, input, row),
    updated_at: deps.clock.now().toISOString(),
  }
  try {
    await repo.updateConnection(deps.db, row.id, changes)
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw errors.duplicateName(`Connection '${changes.name}' in project '${project.name}'`)
    }
    throw error
  }
  deps.audit.record('connection.replaced', { project: project.name, connection: changes.name })
  return view({ ...row, ...changes })
}

export async function deleteConnection(
  deps: ConnectionsDeps,
  principal: Principal,
  projectName: string,
  name: string,
): Promise<void> {
  const project = await authorizeInProject(deps, principal, 'security.write', projectName)
  await repo.deleteConnection(deps.db, (await requireConnection(deps, project, name)).id)
  deps.audit.record('connection.deleted', { project: project.name, connection: name })
}

/**
 * A revealable type's secrets (a webhook's header and query values) in clear, for a
 * holder of ROLE_API_SECURITY who asks (the route checks the role). Every reveal is an
 * audit event naming the fields, never their values. Passwords are never revealed.
 */
export async function revealConnectionValues(
  deps: Pick<ConnectionsDeps, 'db' | 'atRestKeys' | 'audit'>,
  principal: Principal,
  projectName: string,
  name: string,
): Promise<ConnectionView> {
  const project = await authorizeInProject(deps, principal, 'security.reveal', projectName)
  const row = await requireConnection(deps, project, name)
  const def = typeDef(row.type)
  if (!def.revealable) {
    throw errors.nothingToReveal(`Connection '${name}' in project '${project.name}'`, row.type)
  }
  const shown = view(row)
  const { settings, fields } = revealed(def, shown, storedValues(deps, row))
  // A read, which the hook would not record: the event says which fields, never values.
  deps.audit.record('connection.secretsRevealed', {
    project: project.name,
    connection: name,
    fields: fields.length > 0 ? fields : ['(none)'],
  })
  return settings as ConnectionView
}

/**
 * Seals the secrets of rows stored with them in clear (webhooks from before their values
 * were sealed). Runs at every start; a migration cannot, as it has no key. Returns how
 * many rows it sealed.
 */
export async function sealStoredWebhookValues(
  deps: Pick<ConnectionsDeps, 'db' | 'atRestKey'>,
): Promise<number> {
  let sealed = 0
  for (const row of await repo.listUnsealedWebhooks(deps.db)) {
    const split = splitSecrets(typeDef(row.type), JSON.parse(row.settings), null)
    if (!hasValues(split.values)) continue
    const changes = {
      settings: JSON.stringify(split.settings),
      secret: sealValues(deps, row.id, split.values),
    }
    if (await repo.sealUnsealed(deps.db, row, changes)) sealed += 1
  }
  return sealed
}
