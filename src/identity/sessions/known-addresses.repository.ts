import type { Queryable } from '../../db/types.ts'

/**
 * Whether the user named `username` logged in successfully from `address` after
 * `since`. Looked up by username, since a login attempt has no user id yet: one
 * unique-index search and one primary-key search.
 */
export async function isKnownAddress(
  db: Queryable,
  username: string,
  address: string,
  since: string,
): Promise<boolean> {
  const row = await db
    .selectFrom('known_addresses')
    .innerJoin('users', 'users.id', 'known_addresses.user_id')
    .select('known_addresses.address')
    .where('users.username', '=', username)
    .where('known_addresses.address', '=', address)
    .where('known_addresses.last_success_at', '>', since)
    .executeTakeFirst()
  return row !== undefined
}

/** Records a success from `address` now (one atomic upsert on both engines). */
export async function touchAddress(
  db: Queryable,
  userId: string,
  address: string,
  now: string,
): Promise<void> {
  await db
    .insertInto('known_addresses')
    .values({ user_id: userId, address, last_success_at: now })
    .onConflict((oc) =>
      oc.columns(['user_id', 'address']).doUpdateSet((eb) => ({
        last_success_at: eb
          .case()
          .when('known_addresses.last_success_at', '<', now)
          .then(now)
          .else(eb.ref('known_addresses.last_success_at'))
          .end(),
      })),
    )
    .execute()
}

/**
 * Keeps a user's `keep` most recent addresses that are newer than `since`; deletes the
 * rest. Concurrent logins on several nodes may leave one extra row until the next trim.
 */
export async function trimAddresses(
  db: Queryable,
  userId: string,
  keep: number,
  since: string,
): Promise<void> {
  await db
    .deleteFrom('known_addresses')
    .where('user_id', '=', userId)
    .where((eb) =>
      eb.or([
        eb('last_success_at', '<=', since),
        eb(
          'address',
          'not in',
          eb
            .selectFrom('known_addresses as newest')
            .select('newest.address')
            .where('newest.user_id', '=', userId)
            .orderBy('newest.last_success_at', 'desc')
            .orderBy('newest.address')
            .limit(keep),
        ),
      ]),
    )
    .execute()
}
