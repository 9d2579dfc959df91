import { randomBytes, randomUUID } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { AuditSink } from '../../audit/audit.recorder.ts'
import type { Clock } from '../../clock.ts'
import type { EventBus } from '../../cluster/events.ts'
import type { Database, UserRow } from '../../db/schema.ts'
import { isUniqueViolation } from '../../db/types.ts'
import { errors } from '../../errors.ts'
import { type ListOrder, type ListQueryInput, pageInSql } from '../../http/lists.ts'
import { isEmailAddress } from '../../notifications/notification-settings.ts'
import type { AuthCache, CachedUser } from '../bearer/auth-cache.ts'
import { hashPassword, passwordProblem, verifyPassword } from '../credentials/passwords.ts'
import { isRole, ROLES, type Role } from './roles.ts'
import * as repo from './users.repository.ts'

export interface UsersDeps {
  db: Kysely<Database>
  clock: Clock
  events: EventBus
  cache: AuthCache
  audit: AuditSink
}

export const USERNAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/

export interface UserView {
  id: string
  username: string
  roles: Role[]
  enabled: boolean
  createdAt: string
  disabledAt: string | null
  /** Where expiry reminders and canary alerts go; null: none given. */
  email: string | null
}

function view(row: UserRow, roles: Role[]): UserView {
  return {
    id: row.id,
    username: row.username,
    email: row.email,
    roles,
    enabled: row.disabled_at === null,
    createdAt: row.created_at,
    disabledAt: row.disabled_at,
  }
}

/** An address to tell the user at, trimmed; null clears it. */
function checkEmail(email: string | null | undefined): string | null {
  if (email === null || email === undefined) return null
  const trimmed = email.trim()
  if (!isEmailAddress(trimmed)) {
    throw errors.validationFailed([
      { field: 'email', message: 'must be an email address such as ada@example.com' },
    ])
  }
  return trimmed
}

/** Sets or clears where the user is told of expiring tokens and canary alerts. */
export async function setEmail(
  deps: UsersDeps,
  username: string,
  email: string | null,
): Promise<UserView> {
  const user = await requireUser(deps, username)
  const address = checkEmail(email)
  await repo.updateUser(deps.db, user.id, {
    email: address,
    updated_at: deps.clock.now().toISOString(),
  })
  deps.audit.record('user.emailChanged', { username, cleared: address === null })
  return getUser(deps, username)
}

function checkUsername(username: string): void {
  if (!USERNAME_PATTERN.test(username)) {
    throw errors.validationFailed([
      {
        field: 'username',
        message:
          'must be 1 to 64 characters: letters, digits, ".", "_", "@" or "-", starting with a letter or digit (no spaces)',
      },
    ])
  }
}

export function checkPassword(password: string, field = 'password'): void {
  const problem = passwordProblem(password)
  if (problem) throw errors.validationFailed([{ field, message: problem }])
}

export function parseRoles(values: readonly string[]): Role[] {
  const unknown = values.filter((v) => !isRole(v))
  if (unknown.length > 0) {
    throw errors.validationFailed([
      {
        field: 'roles',
        message: `unknown role ${unknown.join(', ')}; known roles are ${ROLES.join(', ')}`,
      },
    ])
  }
  return [...new Set(values)] as Role[]
}

export async function requireUser(deps: Pick<UsersDeps, 'db'>, username: string): Promise<UserRow> {
  const user = await repo.findUserByUsername(deps.db, username)
  if (!user) throw errors.notFound(`User '${username}'`)
  return user
}

export async function getUser(deps: Pick<UsersDeps, 'db'>, username: string): Promise<UserView> {
  const user = await requireUser(deps, username)
  return view(user, await repo.rolesOf(deps.db, user.id))
}

export async function listUsers(deps: Pick<UsersDeps, 'db'>): Promise<UserView[]> {
  const users = await repo.listUsers(deps.db)
  const roles = await repo.rolesOfUsers(
    deps.db,
    users.map((u) => u.id),
  )
  return users.map((u) => view(u, roles.get(u.id) ?? []))
}

// Usernames are unique, so username alone makes the order total.
const USER_ORDER: ListOrder = {
  sortable: { username: 'username', createdAt: 'created_at' },
  defaultSort: 'username',
}

/** One page of users, with the roles of those on it. */
export async function pageUsers(deps: Pick<UsersDeps, 'db'>, query: ListQueryInput) {
  const page = await pageInSql(deps.db, repo.allUsers(deps.db), query, USER_ORDER, (u) => u)
  const roles = await repo.rolesOfUsers(
    deps.db,
    page.resultList.map((u) => u.id),
  )
  return { ...page, resultList: page.resultList.map((u) => view(u, roles.get(u.id) ?? [])) }
}

export async function createUser(
  deps: UsersDeps,
  input: { username: string; password: string; roles?: readonly string[]; email?: string | null },
): Promise<UserView> {
  checkUsername(input.username)
  checkPassword(input.password)
  const email = checkEmail(input.email)
  const roles = parseRoles(input.roles ?? [])
  const now = deps.clock.now().toISOString()
  const id = randomUUID()
  const passwordHash = await hashPassword(input.password)
  try {
    await deps.db.transaction().execute(async (trx) => {
      await repo.insertUser(trx, {
        id,
        username: input.username,
        password_hash: passwordHash,
        created_at: now,
        updated_at: now,
        disabled_at: null,
        email,
      })
      for (const role of roles) await repo.addRole(trx, id, role, now)
    })
  } catch (error) {
    if (isUniqueViolation(error)) throw errors.duplicateName(`User '${input.username}'`)
    throw error
  }
  deps.audit.record('user.created', { username: input.username, roles })
  return getUser(deps, input.username)
}

/** Every node drops its cached copy of the user (roles, enabled) and reads it afresh. */
export async function announceUserChanged(
  deps: Pick<UsersDeps, 'events'>,
  userId: string,
): Promise<void> {
  await deps.events.publish({ type: 'user.changed', userId })
}

/** Refuses a change that would leave no enabled administrator to undo it. */
async function assertKeepsAnAdmin(
  deps: Pick<UsersDeps, 'db'>,
  user: UserRow,
  action: string,
): Promise<void> {
  if (user.disabled_at !== null) return
  const roles = await repo.rolesOf(deps.db, user.id)
  if (roles.includes('ROLE_ADMIN') && (await repo.countEnabledAdmins(deps.db)) <= 1) {
    throw errors.conflict(
      `Cannot ${action} '${user.username}': it is the last enabled administrator. Make another user an administrator first.`,
    )
  }
}

export async function setEnabled(
  deps: UsersDeps,
  username: string,
  enabled: boolean,
): Promise<UserView> {
  const user = await requireUser(deps, username)
  const now = deps.clock.now().toISOString()
  if (!enabled) await assertKeepsAnAdmin(deps, user, 'disable')
  if (enabled !== (user.disabled_at === null)) {
    await repo.updateUser(deps.db, user.id, { disabled_at: enabled ? null : now, updated_at: now })
    await announceUserChanged(deps, user.id)
  }
  deps.audit.record(enabled ? 'user.enabled' : 'user.disabled', { username })
  return getUser(deps, username)
}

export async function grantRoles(
  deps: UsersDeps,
  username: string,
  roles: readonly string[],
): Promise<UserView> {
  const parsed = parseRoles(roles)
  const user = await requireUser(deps, username)
  const now = deps.clock.now().toISOString()
  for (const role of parsed) await repo.addRole(deps.db, user.id, role, now)
  await announceUserChanged(deps, user.id)
  deps.audit.record('user.roleGranted', { username, roles: parsed })
  return getUser(deps, username)
}

export async function revokeRoles(
  deps: UsersDeps,
  username: string,
  roles: readonly string[],
): Promise<UserView> {
  const parsed = parseRoles(roles)
  const user = await requireUser(deps, username)
  if (parsed.includes('ROLE_ADMIN')) await assertKeepsAnAdmin(deps, user, 'remove ROLE_ADMIN from')
  for (const role of parsed) await repo.removeRole(deps.db, user.id, role)
  await announceUserChanged(deps, user.id)
  deps.audit.record('user.roleRevoked', { username, roles: parsed })
  return getUser(deps, username)
}

/** Deletes a user with their tokens and memberships (the rows cascade). */
export async function deleteUser(deps: UsersDeps, username: string): Promise<void> {
  const user = await requireUser(deps, username)
  await assertKeepsAnAdmin(deps, user, 'delete')
  await repo.deleteUserRow(deps.db, user.id)
  await deps.events.publish({ type: 'user.tokens-revoked', userId: user.id })
  await announceUserChanged(deps, user.id)
  deps.audit.record('user.deleted', { username })
}

/**
 * Checks a username and password. Unknown, wrong and disabled all come back as null
 * after the same argon2 work, so neither the answer nor its timing tells them apart.
 */
export async function authenticatePassword(
  deps: Pick<UsersDeps, 'db'>,
  username: string,
  password: string,
): Promise<UserRow | null> {
  const user = USERNAME_PATTERN.test(username)
    ? await repo.findUserByUsername(deps.db, username)
    : undefined
  const ok = await verifyPassword(user?.password_hash, password)
  if (!ok || !user || user.disabled_at !== null) return null
  return user
}

/** The owner as the Bearer check needs it: cache first, then the database. */
export async function loadCachedUser(
  deps: Pick<UsersDeps, 'db' | 'cache'>,
  userId: string,
): Promise<CachedUser | undefined> {
  const cached = deps.cache.users.get(userId)
  if (cached) return cached
  const row = await repo.findUserById(deps.db, userId)
  if (!row) return undefined
  const user: CachedUser = {
    id: row.id,
    username: row.username,
    disabled: row.disabled_at !== null,
    roles: new Set(await repo.rolesOf(deps.db, row.id)),
  }
  deps.cache.users.set(userId, user)
  return user
}

/**
 * First start on an empty database: create `admin` with ROLE_ADMIN. Returns the
 * generated password (to be printed once) when none was configured.
 */
export async function ensureInitialAdmin(
  deps: UsersDeps,
  configuredPassword: string | undefined,
): Promise<{ created: boolean; generatedPassword: string | null }> {
  if ((await repo.countUsers(deps.db)) > 0) return { created: false, generatedPassword: null }
  const password = configuredPassword ?? randomBytes(18).toString('base64url')
  try {
    await createUser(deps, { username: 'admin', password, roles: ['ROLE_ADMIN'] })
  } catch (error) {
    // Another node won the race to create it.
    if ((error as { code?: string }).code === 'duplicate_name')
      return { created: false, generatedPassword: null }
    throw error
  }
  return { created: true, generatedPassword: configuredPassword ? null : password }
}
