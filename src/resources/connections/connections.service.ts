import { randomUUID } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { AuditRecorder } from '../../audit/audit.recorder.ts'
import type { Clock } from '../../clock.ts'
import type { ConnectionRow, Database, ProjectRow } from '../../db/schema.ts'
import { isUniqueViolation } from '../../db/types.ts'
import { errors, type ValidationIssue } from '../../errors.ts'
import { type ListOrder, type ListQueryInput, pageInSql } from '../../http/lists.ts'
import { authorizeInProject, type Principal } from '../../identity/policy/permissions.ts'
import { MASK, seal, unseal } from '../../sealed.ts'
import * as repo from './connections.repository.ts'
import type { AnySettings, ConnectionInput, ConnectionType } from './connections.schemas.ts'
import {
  clearValues,
  hasValues,
  maskWebhook,
  mergeWebhookValues,
  SECRET_POLICIES,
  targetChangedIssue,
  targetChanges,
  unmaskWebhook,
  valueFields,
  type WebhookValues,
} from './connections.secrets.ts'

export interface ConnectionsDeps {
  db: Kysely<Database>
  clock: Clock
  /** AES-256-GCM key for the `secret` column (see sealed.ts). */
  atRestKey: Buffer
  /** atRestKey, then the keys of former master secrets: for opening, never sealing. */
  atRestKeys: readonly Buffer[]
  /** Reveals are reads, which the audit hook does not record: the service does. */
  audit: AuditRecorder
}

export interface ConnectionView {
  name: string
  type: ConnectionType
  description: string
  enabled: boolean
  settings: Record<string, unknown>
  createdAt: string
  updatedAt: string
}

/** The field that names who the password belongs to, for each type that has a password. */
const USER_FIELD: Partial<Record<ConnectionType, string>> = {
  database: 'username',
  ldap: 'bindDn',
  email: 'username',
  kafka: 'saslUsername',
  elasticsearch: 'username',
}

/** URL-valued settings, checked for credentials that would otherwise sit there in clear. */
const URL_FIELDS = ['url', 'jdbcUrl'] as const

/** Binds a sealed secret to its row and column, so a copied ciphertext fails to open. */
export const secretContext = (connectionId: string) => `connections:${connectionId}:secret`

/**
 * What the `secret` column holds, sealed, as JSON: `{password}` for the types with a
 * password; a webhook's header and query values (its settings keep only the masks).
 */
type SecretSettings = { password: string } | WebhookValues

function sealSecret(deps: Pick<ConnectionsDeps, 'atRestKey'>, id: string, secret: SecretSettings) {
  return seal(deps.atRestKey, JSON.stringify(secret), secretContext(id))
}

/**
 * A webhook's stored values in clear. A row stored before values were sealed still
 * holds them in its settings (and no secret): read both shapes, so nothing depends on
 * the startup pass (sealStoredWebhookValues) having run.
 */
function storedValues(deps: Pick<ConnectionsDeps, 'atRestKeys'>, row: ConnectionRow) {
  if (row.secret === null) return clearValues(JSON.parse(row.settings))
  const opened = JSON.parse(unseal(deps.atRestKeys, row.secret, secretContext(row.id)))
  return { headers: opened.headers ?? {}, query: opened.query ?? [] } as WebhookValues
}

function view(row: ConnectionRow): ConnectionView {
  const type = row.type as ConnectionType
  let settings = JSON.parse(row.settings) as Record<string, unknown>
  if (USER_FIELD[type]) settings.password = row.secret === null ? null : MASK
  // Masked whatever the row's shape, so a row not yet sealed reads the same.
  if (type === 'webhook') settings = maskWebhook(settings)
  return {
    name: row.name,
    type,
    description: row.description,
    enabled: row.enabled === 1,
    settings,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}

/**
 * Rules the schema cannot say: a password needs a user to go with it, and secrets
 * belong in `password` (encrypted) rather than in URLs (stored in clear). A webhook's
 * query values are sealed, so only the user-info part of its URL is refused.
 */
function checkSettings(
  type: ConnectionType,
  settings: Record<string, unknown>,
  hasPassword: boolean,
): void {
  const issues: ValidationIssue[] = []
  const userField = USER_FIELD[type]
  if (userField && hasPassword && settings[userField] === undefined) {
    issues.push({
      field: `settings.${userField}`,
      message: 'is required when a password is set (the password has no user to go with)',
    })
  }
  for (const field of URL_FIELDS) {
    const url = settings[field]
    if (typeof url !== 'string') continue
    if (
      /^[a-z][a-z0-9+.:-]*\/\/[^/@\s]*:[^/@\s]*@/i.test(url) ||
      /thin:[^@/\s]+\/[^@\s]+@/i.test(url) ||
      (type !== 'webhook' && /[?&;]password=/i.test(url))
    ) {
      issues.push({
        field: `settings.${field}`,
        message:
          'must not carry a password: put it in settings.password, which is encrypted at rest',
      })
    }
  }
  if (issues.length > 0) throw errors.validationFailed(issues)
}

function refuseMask(password: string | null | undefined): void {
  if (password === MASK) {
    throw errors.validationFailed([
      {
        field: 'settings.password',
        message: `is "${MASK}", the mask shown in place of a stored password; send the password itself`,
      },
    ])
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
  query: ListQueryInput & { type?: ConnectionType | undefined },
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

export async function createConnection(
  deps: ConnectionsDeps,
  principal: Principal,
  projectName: string,
  input: ConnectionInput & { name: string },
): Promise<ConnectionView> {
  const project = await authorizeInProject(deps, principal, 'security.write', projectName)
  const id = randomUUID()
  const columns = storedColumns(deps, id, input, null)
  const now = deps.clock.now().toISOString()
  const row: ConnectionRow = {
    id,
    project_id: project.id,
    name: input.name,
    type: input.type,
    description: input.description ?? '',
    enabled: input.enabled === false ? 0 : 1,
    ...columns,
    created_at: now,
    updated_at: now,
  }
  try {
    await repo.insertConnection(deps.db, row)
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw errors.duplicateName(`Connection '${input.name}' in project '${project.name}'`)
    }
    throw error
  }
  return view(row)
}

/**
 * The `settings` and `secret` columns for a body. On update (`stored`), a password
 * omitted or sent as the mask keeps the stored one and null removes it; a webhook value
 * sent as the mask keeps the stored value. Keeping is refused once the target changed
 * (see connections.secrets.ts): the stored secret would go to a host it was never
 * meant for, chosen by whoever sent the update.
 */
function storedColumns(
  deps: Pick<ConnectionsDeps, 'atRestKey' | 'atRestKeys'>,
  id: string,
  input: ConnectionInput,
  stored: ConnectionRow | null,
): { settings: string; secret: string | null } {
  const { password, ...settings } = input.settings as AnySettings
  const changed = stored
    ? targetChanges({ type: stored.type, settings: JSON.parse(stored.settings) }, input)
    : []
  if (SECRET_POLICIES[input.type].secrets === 'values') {
    checkSettings(input.type, settings, false)
    const values = mergeWebhookValues(settings, stored && storedValues(deps, stored), changed)
    return {
      settings: JSON.stringify(maskWebhook(settings)),
      secret: hasValues(values) ? sealSecret(deps, id, values) : null,
    }
  }
  let secret: string | null
  if (password === null) secret = null
  else if (password !== undefined && password !== MASK) secret = sealSecret(deps, id, { password })
  else if (stored === null) {
    refuseMask(password)
    secret = null
  } else {
    secret = stored.secret
    if (secret !== null && changed.length > 0) {
      throw errors.validationFailed([
        targetChangedIssue('settings.password', 'the password', changed),
      ])
    }
  }
  checkSettings(input.type, settings, secret !== null)
  return { settings: JSON.stringify(settings), secret }
}

/** Replaces a connection with the body; see storedColumns for what happens to its secrets. */
export async function replaceConnection(
  deps: ConnectionsDeps,
  principal: Principal,
  projectName: string,
  name: string,
  input: ConnectionInput,
): Promise<ConnectionView> {
  const project = await authorizeInProject(deps, principal, 'security.write', projectName)
  const row = await requireConnection(deps, project, name)
  if (input.name !== undefined && input.name !== name) {
    throw errors.validationFailed([
      {
        field: 'name',
        message: `must be '${name}', the name in the path: connections cannot be renamed`,
      },
    ])
  }
  if (input.type !== row.type) {
    throw errors.conflict(
      `Connection '${name}' is a ${row.type} connection and its type cannot change to ${input.type}. Delete it and create a new ${input.type} connection instead.`,
    )
  }
  const changes = {
    description: input.description ?? '',
    enabled: input.enabled === false ? 0 : 1,
    ...storedColumns(deps, row.id, input, row),
    updated_at: deps.clock.now().toISOString(),
  }
  await repo.updateConnection(deps.db, row.id, changes)
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
}

export interface RevealedValues {
  name: string
  type: 'webhook'
  settings: { url: string; headers: Record<string, string> }
}

/** Who is asking, for the audit event: a reveal is a read the audit hook does not record. */
export interface RequestOrigin {
  clientIp: string
  userAgent: string
}

/**
 * A webhook's header and query values in clear, for a holder of ROLE_API_SECURITY who
 * asks for them (the route checks the role). Every reveal is an audit event naming the
 * connection and the fields, never their values. Passwords are never revealed.
 */
export async function revealConnectionValues(
  deps: Pick<ConnectionsDeps, 'db' | 'atRestKeys' | 'audit'>,
  principal: Principal,
  projectName: string,
  name: string,
  origin: RequestOrigin,
): Promise<RevealedValues> {
  const project = await authorizeInProject(deps, principal, 'security.reveal', projectName)
  const row = await requireConnection(deps, project, name)
  if (row.type !== 'webhook') {
    throw errors.nothingToReveal(`Connection '${name}' in project '${project.name}'`, row.type)
  }
  const values = storedValues(deps, row)
  const settings = unmaskWebhook(maskWebhook(JSON.parse(row.settings)), values)
  const fields = valueFields(values)
  deps.audit.record({
    actorUserId: principal.userId,
    actorUsername: principal.username,
    tokenId: principal.tokenId ?? null,
    clientIp: origin.clientIp,
    userAgent: origin.userAgent,
    action: 'revealConnectionSecrets',
    target: `projectName=${project.name} name=${name} fields=${fields.join(',') || '(none)'}`,
    outcome: 'success',
    status: 200,
  })
  return { name: row.name, type: 'webhook', settings }
}

/**
 * Seals the values of webhooks stored before they were sealed (held in clear in their
 * settings). Runs at every start; a migration cannot do it, as it has no key. Returns
 * how many rows it sealed.
 */
export async function sealStoredWebhookValues(
  deps: Pick<ConnectionsDeps, 'db' | 'atRestKey'>,
): Promise<number> {
  let sealed = 0
  for (const row of await repo.listUnsealedWebhooks(deps.db)) {
    const settings = JSON.parse(row.settings) as Record<string, unknown>
    const values = clearValues(settings)
    if (!hasValues(values)) continue
    const changes = {
      settings: JSON.stringify(maskWebhook(settings)),
      secret: sealSecret(deps, row.id, values),
    }
    if (await repo.sealUnsealed(deps.db, row, changes)) sealed += 1
  }
  return sealed
}
