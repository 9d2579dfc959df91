import type { NewUser, UserRow, UserUpdate } from '../../db/schema.ts'
import type { Queryable } from '../../db/types.ts'
import type { Role } from './roles.ts'

export function findUserById(db: Queryable, id: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst()
}

export function findUserByUsername(db: Queryable, username: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst()
}

export function listUsers(db: Queryable): Promise<UserRow[]> {
  return db.selectFrom('users').selectAll().orderBy('username').execute()
}

/** The user list's query, unordered (src/http/lists.ts orders and pages it). */
export function allUsers(db: Queryable) {
  return db.selectFrom('users').selectAll()
}

export function countUsers(db: Queryable): Promise<number> {
  return db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .executeTakeFirstOrThrow()
    .then((r) => Number(r.n))
}

export async function insertUser(db: Queryable, user: NewUser): Promise<void> {
  await db.insertInto('users').values(user).execute()
}

export async function updateUser(db: Queryable, id: string, changes: UserUpdate): Promise<void> {
  await db.updateTable('users').set(changes).where('id', '=', id).execute()
}

export async function rolesOf(db: Queryable, userId: string): Promise<Role[]> {
  const rows = await db
    .selectFrom('user_roles')
    .select('role')
    .where('user_id', '=', userId)
    .orderBy('role')
    .execute()
  return rows.map((r) => r.role as Role)
}

export async function rolesOfUsers(db: Queryable, userIds: string[]): Promise<Map<string, Role[]>> {
  const map = new Map<string, Role[]>(userIds.map((id) => [id, []]))
  if (userIds.length === 0) return map
  const rows = await db
    .selectFrom('user_roles')
    .select(['user_id', 'role'])
    .where('user_id', 'in', userIds)
    .orderBy('role')
    .execute()
  for (const row of rows) map.get(row.user_id)?.push(row.role as Role)
  return map
}

export async function addRole(
  db: Queryable,
  userId: string,
  role: Role,
  at: string,
): Promise<void> {
  await db
    .insertInto('user_roles')
    .values({ user_id: userId, role, granted_at: at })
    .onConflict((oc) => oc.columns(['user_id', 'role']).doNothing())
    .execute()
}

export async function removeRole(db: Queryable, userId: string, role: Role): Promise<void> {
  await db.deleteFrom('user_roles').where('user_id', '=', userId).where('role', '=', role).execute()
}

export async function deleteUserRow(db: Queryable, id: string): Promise<void> {
  await db.deleteFrom('users').where('id', '=', id).execute()
}

/** Enabled users holding ROLE_ADMIN: the last one must never be locked out. */
export async function countEnabledAdmins(db: Queryable): Promise<number> {
  const row = await db
    .selectFrom('users')
    .innerJoin('user_roles', 'user_roles.user_id', 'users.id')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('user_roles.role', '=', 'ROLE_ADMIN')
    .where('users.disabled_at', 'is', null)
    .executeTakeFirstOrThrow()
  return Number(row.n)
}
