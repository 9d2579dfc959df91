import { randomUUID } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { AuditSink } from '../../audit/audit.recorder.ts'
import type { Clock } from '../../clock.ts'
import type { CredentialRow, Database, ProjectRow } from '../../db/schema.ts'
import { isUniqueViolation } from '../../db/types.ts'
import { errors, type ValidationIssue } from '../../errors.ts'
import { type ListOrder, type ListQueryInput, nullable, pageInSql } from '../../http/lists.ts'
import { authorizeInProject, type Principal } from '../../identity/policy/permissions.ts'
import { canonicalList } from '../../ip-entries.ts'
import { MASK, seal } from '../../sealed.ts'
import { listEnvironmentsOfProject } from '../environments/environments.repository.ts'
import { type DeploymentResult, inEffectEverywhere } from '../environments/in-effect.ts'
import * as repo from './credentials.repository.ts'
import { PASSWORD_MIN } from './credentials.schemas.ts'

export interface CredentialsDeps {
  db: Kysely<Database>
  clock: Clock
  /** AES-256-GCM key for the `password` column (see sealed.ts). */
  atRestKey: Buffer
  audit: AuditSink
}

export interface CredentialView {
  username: string
  email: string
  fullName: string
  description: string
  enabled: boolean
  ipList: string[]
  roleNameList: string[]
  expireDate: string | null
  expired: boolean
  password: typeof MASK
  createdAt: string
  updatedAt: string
}

/** Everything but the password, as both create and update take it. */
export interface CredentialFields {
  email: string
  fullName: string
  description?: string | undefined
  enabled?: boolean | undefined
  ipList?: string[] | undefined
  roleNameList?: string[] | undefined
  expireDate?: string | null | undefined
}

/** What every write answers: the credential, and the documented deploymentResult. */
export interface CredentialWrite {
  credential: CredentialView
  deploymentResult: DeploymentResult
}

/** Binds a sealed password to its row and column, so a copied ciphertext fails to open. */
export const passwordContext = (credentialId: string) => `credentials:${credentialId}:password`

function view(row: CredentialRow, now: Date): CredentialView {
  return {
    username: row.username,
    email: row.email,
    fullName: row.full_name,
    description: row.description,
    enabled: row.enabled === 1,
    ipList: JSON.parse(row.ip_list) as string[],
    roleNameList: JSON.parse(row.role_names) as string[],
    expireDate: row.expire_date,
    expired: row.expire_date !== null && row.expire_date <= now.toISOString(),
    // The password is never answered, not even as a hint of its length.
    password: MASK,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}

function sealPassword(deps: Pick<CredentialsDeps, 'atRestKey'>, id: string, password: string) {
  if (password === MASK) {
    throw errors.validationFailed([
      {
        field: 'password',
        message: `is "${MASK}", the mask shown in place of a stored password; send the password itself`,
      },
    ])
  }
  return seal(deps.atRestKey, password, passwordContext(id))
}

/**
 * The rules beyond the schema: every ipList entry is an address or a CIDR range (stored
 * in canonical form, see src/ip-entries.ts), and an expiry date is one Date can read.
 * A past date is stored as given (the docs' own example is one) and reads as expired.
 */
function checkFields(input: CredentialFields): { ipList: string[]; expireDate: string | null } {
  const issues: ValidationIssue[] = []
  const checked = canonicalList(input.ipList ?? [])
  if ('problems' in checked) issues.push(...checked.problems)
  let expireDate: string | null = null
  if (input.expireDate !== undefined && input.expireDate !== null) {
    const date = new Date(input.expireDate)
    // Fixed-width UTC, so stored dates compare correctly as text on both engines.
    expireDate = Number.isNaN(date.getTime()) ? null : date.toISOString()
    if (expireDate === null) {
      // The schema's date-time format lets through what Date cannot read (a leap second).
      issues.push({ field: 'expireDate', message: 'is not a date-time this server can read' })
    }
  }
  if (issues.length > 0) throw errors.validationFailed(issues)
  return { ipList: 'entries' in checked ? checked.entries : [], expireDate }
}

async function everywhere(
  deps: Pick<CredentialsDeps, 'db'>,
  project: ProjectRow,
  removed = false,
): Promise<DeploymentResult> {
  return inEffectEverywhere(await listEnvironmentsOfProject(deps.db, project.id), removed)
}

export async function requireCredential(
  deps: Pick<CredentialsDeps, 'db'>,
  project: ProjectRow,
  username: string,
): Promise<CredentialRow> {
  const row = await repo.findCredential(deps.db, project.id, username)
  if (!row) throw errors.notFound(`Credential '${username}' in project '${project.name}'`)
  return row
}

// Usernames are unique in a project, so username alone makes the order total.
const CREDENTIAL_ORDER: ListOrder = {
  sortable: {
    username: 'username',
    email: 'email',
    fullName: 'full_name',
    expireDate: nullable('expire_date'),
    createdAt: 'created_at',
  },
  defaultSort: 'username',
}

export async function listCredentials(
  deps: Pick<CredentialsDeps, 'db' | 'clock'>,
  principal: Principal,
  projectName: string,
  query: ListQueryInput,
) {
  const project = await authorizeInProject(deps, principal, 'project.read', projectName)
  const now = deps.clock.now()
  const base = repo.credentialsOfProject(deps.db, project.id)
  return pageInSql(deps.db, base, query, CREDENTIAL_ORDER, (row) => view(row, now))
}

export async function getCredential(
  deps: Pick<CredentialsDeps, 'db' | 'clock'>,
  principal: Principal,
  projectName: string,
  username: string,
): Promise<CredentialView> {
  const project = await authorizeInProject(deps, principal, 'project.read', projectName)
  return view(await requireCredential(deps, project, username), deps.clock.now())
}

export async function createCredential(
  deps: CredentialsDeps,
  principal: Principal,
  projectName: string,
  input: CredentialFields & { username: string; password: string },
): Promise<CredentialWrite> {
  const project = await authorizeInProject(deps, principal, 'security.write', projectName)
  const now = deps.clock.now()
  const { ipList, expireDate } = checkFields(input)
  const id = randomUUID()
  const row: CredentialRow = {
    id,
    project_id: project.id,
    username: input.username,
    email: input.email,
    full_name: input.fullName,
    description: input.description ?? '',
    enabled: input.enabled === false ? 0 : 1,
    ip_list: JSON.stringify(ipList),
    role_names: JSON.stringify(input.roleNameList ?? []),
    expire_date: expireDate,
    password: sealPassword(deps, id, input.password),
    created_at: now.toISOString(),
    updated_at: now.toISOString(),
  }
  try {
    await repo.insertCredential(deps.db, row)
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw errors.duplicateName(`Credential '${input.username}' in project '${project.name}'`)
    }
    throw error
  }
  deps.audit.record('credential.created', { project: project.name, credential: row.username })
  return { credential: view(row, now), deploymentResult: await everywhere(deps, project) }
}

export type CredentialUpdate = CredentialFields & {
  username?: string | undefined
  password?: string | undefined
}

/**
 * Replaces every field but the username (no renames). A password other than the mask
 * is a new password; the mask, or none, keeps the stored one, so what a read answers
 * can be sent back.
 */
export async function updateCredential(
  deps: CredentialsDeps,
  principal: Principal,
  projectName: string,
  username: string,
  input: CredentialUpdate,
): Promise<CredentialWrite> {
  const project = await authorizeInProject(deps, principal, 'security.write', projectName)
  const row = await requireCredential(deps, project, username)
  if (input.username !== undefined && input.username !== username) {
    throw errors.validationFailed([
      {
        field: 'username',
        message: `must be '${username}', the username in the path: credentials cannot be renamed`,
      },
    ])
  }
  const now = deps.clock.now()
  const { ipList, expireDate } = checkFields(input)
  const newPassword = input.password !== undefined && input.password !== MASK
  if (newPassword) checkPassword(input.password as string)
  const changes = {
    email: input.email,
    full_name: input.fullName,
    description: input.description ?? '',
    enabled: input.enabled === false ? 0 : 1,
    ip_list: JSON.stringify(ipList),
    role_names: JSON.stringify(input.roleNameList ?? []),
    expire_date: expireDate,
    updated_at: now.toISOString(),
    ...(newPassword ? { password: sealPassword(deps, row.id, input.password as string) } : {}),
  }
  await repo.updateCredential(deps.db, row.id, changes)
  deps.audit.record('credential.updated', { project: project.name, credential: username })
  if (newPassword) {
    deps.audit.record('credential.passwordChanged', { project: project.name, credential: username })
  }
  return {
    credential: view({ ...row, ...changes }, now),
    deploymentResult: await everywhere(deps, project),
  }
}

function checkPassword(password: string): void {
  if (password.length < PASSWORD_MIN) {
    throw errors.validationFailed([
      { field: 'password', message: `must NOT have fewer than ${PASSWORD_MIN} characters` },
    ])
  }
}

export async function changeCredentialPassword(
  deps: CredentialsDeps,
  principal: Principal,
  projectName: string,
  username: string,
  password: string,
): Promise<CredentialWrite> {
  const project = await authorizeInProject(deps, principal, 'security.write', projectName)
  const row = await requireCredential(deps, project, username)
  const now = deps.clock.now()
  const changes = {
    password: sealPassword(deps, row.id, password),
    updated_at: now.toISOString(),
  }
  await repo.updateCredential(deps.db, row.id, changes)
  deps.audit.record('credential.passwordChanged', { project: project.name, credential: username })
  return {
    credential: view({ ...row, ...changes }, now),
    deploymentResult: await everywhere(deps, project),
  }
}

export async function deleteCredential(
  deps: CredentialsDeps,
  principal: Principal,
  projectName: string,
  username: string,
): Promise<DeploymentResult> {
  const project = await authorizeInProject(deps, principal, 'security.write', projectName)
  await repo.deleteCredential(deps.db, (await requireCredential(deps, project, username)).id)
  deps.audit.record('credential.deleted', { project: project.name, credential: username })
  return everywhere(deps, project, true)
}
