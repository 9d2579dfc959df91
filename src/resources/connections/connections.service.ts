import { randomUUID } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { Clock } from '../../clock.ts'
import type { ConnectionRow, Database, ProjectRow } from '../../db/schema.ts'
import { isUniqueViolation } from '../../db/types.ts'
import { errors, type ValidationIssue } from '../../errors.ts'
import type { Principal } from '../../identity/permissions.ts'
import { MASK, seal } from '../../sealed.ts'
import { requireProjectAccess } from '../projects/projects.service.ts'
import * as repo from './connections.repository.ts'
import type { AnySettings, ConnectionInput, ConnectionType } from './connections.schemas.ts'

export interface ConnectionsDeps {
  db: Kysely<Database>
  clock: Clock
  /** AES-256-GCM key for the `secret` column (see sealed.ts). */
  atRestKey: Buffer
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

/** Header names whose values are credentials; webhook headers are stored in clear. */
const SECRET_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie'])

/** Binds a sealed secret to its row and column, so a copied ciphertext fails to open. */
export const secretContext = (connectionId: string) => `connections:${connectionId}:secret`

/** What the `secret` column holds, sealed: the type's secret settings as JSON. */
interface SecretSettings {
  password: string
}

function view(row: ConnectionRow): ConnectionView {
  const type = row.type as ConnectionType
  const settings = JSON.parse(row.settings) as Record<string, unknown>
  if (USER_FIELD[type]) settings.password = row.secret === null ? null : MASK
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

function sealPassword(deps: Pick<ConnectionsDeps, 'atRestKey'>, id: string, password: string) {
  const secret: SecretSettings = { password }
  return seal(deps.atRestKey, JSON.stringify(secret), secretContext(id))
}

/**
 * Rules the schema cannot say: a password needs a user to go with it, and secrets
 * belong in `password` (encrypted) rather than in URLs or headers (stored in clear).
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
      /[?&;]password=/i.test(url)
    ) {
      issues.push({
        field: `settings.${field}`,
        message:
          'must not carry a password: put it in settings.password, which is encrypted at rest',
      })
    }
  }
  const headers = settings.headers as Record<string, string> | undefined
  for (const header of Object.keys(headers ?? {})) {
    if (SECRET_HEADERS.has(header.toLowerCase())) {
      issues.push({
        field: `settings.headers.${header}`,
        message: 'carries a credential, and webhook headers are stored in clear; leave it out',
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

export async function listConnections(
  deps: Pick<ConnectionsDeps, 'db'>,
  principal: Principal,
  projectName: string,
  type?: ConnectionType,
): Promise<ConnectionView[]> {
  const project = await requireProjectAccess(deps, principal, projectName)
  return (await repo.listConnections(deps.db, project.id, type)).map(view)
}

export async function getConnection(
  deps: Pick<ConnectionsDeps, 'db'>,
  principal: Principal,
  projectName: string,
  name: string,
): Promise<ConnectionView> {
  const project = await requireProjectAccess(deps, principal, projectName)
  return view(await requireConnection(deps, project, name))
}

export async function createConnection(
  deps: ConnectionsDeps,
  principal: Principal,
  projectName: string,
  input: ConnectionInput & { name: string },
): Promise<ConnectionView> {
  const project = await requireProjectAccess(deps, principal, projectName)
  const { password, ...settings } = input.settings as AnySettings
  refuseMask(password)
  checkSettings(input.type, settings, typeof password === 'string')
  const id = randomUUID()
  const now = deps.clock.now().toISOString()
  const row: ConnectionRow = {
    id,
    project_id: project.id,
    name: input.name,
    type: input.type,
    description: input.description ?? '',
    enabled: input.enabled === false ? 0 : 1,
    settings: JSON.stringify(settings),
    secret: typeof password === 'string' ? sealPassword(deps, id, password) : null,
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
 * Replaces a connection with the body, except its secret: a password omitted or sent
 * back as the mask keeps the stored one, null removes it, anything else replaces it.
 */
export async function replaceConnection(
  deps: ConnectionsDeps,
  principal: Principal,
  projectName: string,
  name: string,
  input: ConnectionInput,
): Promise<ConnectionView> {
  const project = await requireProjectAccess(deps, principal, projectName)
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
  const { password, ...settings } = input.settings as AnySettings
  const secret =
    password === undefined || password === MASK
      ? row.secret
      : password === null
        ? null
        : sealPassword(deps, row.id, password)
  checkSettings(input.type, settings, secret !== null)
  const changes = {
    description: input.description ?? '',
    enabled: input.enabled === false ? 0 : 1,
    settings: JSON.stringify(settings),
    secret,
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
  const project = await requireProjectAccess(deps, principal, projectName)
  await repo.deleteConnection(deps.db, (await requireConnection(deps, project, name)).id)
}
