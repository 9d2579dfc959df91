import { randomUUID } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { Clock } from '../../clock.ts'
import type { CredentialRow, Database, ProjectRow } from '../../db/schema.ts'
import { isUniqueViolation } from '../../db/types.ts'
import { errors, type ValidationIssue } from '../../errors.ts'
import { type ListOrder, type ListQueryInput, nullable, pageInSql } from '../../http/lists.ts'
import { authorizeInProject, type Principal } from '../../identity/policy/permissions.ts'
import { MASK, seal } from '../../sealed.ts'
import * as repo from './credentials.repository.ts'
import { ipEntryProblem } from './ip-ranges.ts'

export interface CredentialsDeps {
  db: Kysely<Database>
  clock: Clock
  /** AES-256-GCM key for the `password` column (see sealed.ts). */
  atRestKey: Buffer
}

export interface CredentialView {
  username: string
  email: string
  fullName: string
  description: string
  enabled: boolean
  ipList: string[]
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
  expireDate?: string | null | undefined
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
 * The rules beyond the schema: every ipList entry is an address or a CIDR range, and
 * an expiry date is in the future, unless it is the one already stored (a client that
 * sends back what it read must not be refused because time has passed).
 */
function checkFields(
  input: CredentialFields,
  now: Date,
  storedExpireDate: string | null = null,
): { ipList: string[]; expireDate: string | null } {
  const issues: ValidationIssue[] = []
  const ipList = input.ipList ?? []
  ipList.forEach((entry, i) => {
    const problem = ipEntryProblem(entry)
    if (problem) issues.push({ field: `ipList.${i}`, message: problem })
  })
  let expireDate: string | null = null
  if (input.expireDate !== undefined && input.expireDate !== null) {
    const date = new Date(input.expireDate)
    // Fixed-width UTC, so stored dates compare correctly as text on both engines.
    expireDate = Number.isNaN(date.getTime()) ? null : date.toISOString()
    if (expireDate === null) {
      // The schema's date-time format lets through what Date cannot read (a leap second).
      issues.push({ field: 'expireDate', message: 'is not a date-time this server can read' })
    } else if (expireDate !== storedExpireDate && expireDate <= now.toISOString()) {
      issues.push({
        field: 'expireDate',
        message: `is in the past (${expireDate}; it is now ${now.toISOString()}): give a future date, or null for no expiry`,
      })
    }
  }
  if (issues.length > 0) throw errors.validationFailed(issues)
  return { ipList, expireDate }
}

async function requireCredential(
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
): Promise<CredentialView> {
  const project = await authorizeInProject(deps, principal, 'security.write', projectName)
  const now = deps.clock.now()
  const { ipList, expireDate } = checkFields(input, now)
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
  return view(row, now)
}

/** Replaces everything but the password (which has its own endpoint) and the username. */
export async function updateCredential(
  deps: CredentialsDeps,
  principal: Principal,
  projectName: string,
  username: string,
  input: CredentialFields & { username?: string | undefined; password?: string | undefined },
): Promise<CredentialView> {
  const project = await authorizeInProject(deps, principal, 'security.write', projectName)
  const row = await requireCredential(deps, project, username)
  const issues: ValidationIssue[] = []
  if (input.username !== undefined && input.username !== username) {
    issues.push({
      field: 'username',
      message: `must be '${username}', the username in the path: credentials cannot be renamed`,
    })
  }
  if (input.password !== undefined && input.password !== MASK) {
    issues.push({
      field: 'password',
      message: `cannot change here; use PUT /apiops/projects/${project.name}/credentials/${username}/password/ (or send "${MASK}" back unchanged)`,
    })
  }
  if (issues.length > 0) throw errors.validationFailed(issues)
  const now = deps.clock.now()
  const { ipList, expireDate } = checkFields(input, now, row.expire_date)
  const changes = {
    email: input.email,
    full_name: input.fullName,
    description: input.description ?? '',
    enabled: input.enabled === false ? 0 : 1,
    ip_list: JSON.stringify(ipList),
    expire_date: expireDate,
    updated_at: now.toISOString(),
  }
  await repo.updateCredential(deps.db, row.id, changes)
  return view({ ...row, ...changes }, now)
}

export async function changeCredentialPassword(
  deps: CredentialsDeps,
  principal: Principal,
  projectName: string,
  username: string,
  password: string,
): Promise<CredentialView> {
  const project = await authorizeInProject(deps, principal, 'security.write', projectName)
  const row = await requireCredential(deps, project, username)
  const now = deps.clock.now()
  const changes = {
    password: sealPassword(deps, row.id, password),
    updated_at: now.toISOString(),
  }
  await repo.updateCredential(deps.db, row.id, changes)
  return view({ ...row, ...changes }, now)
}

export async function deleteCredential(
  deps: CredentialsDeps,
  principal: Principal,
  projectName: string,
  username: string,
): Promise<void> {
  const project = await authorizeInProject(deps, principal, 'security.write', projectName)
  await repo.deleteCredential(deps.db, (await requireCredential(deps, project, username)).id)
}
