import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.ts'

/*
 * A lease lets one node of a cluster run a periodic job (expiry reminders) while the
 * others skip it. One statement takes it: the row is written when no one holds it, when
 * it has run out, or when the holder renews it; the database decides between racing
 * nodes. A node that dies keeps it only until it runs out.
 */

/** Takes or renews the lease; true when `holder` holds it until `now + ttlMs`. */
export async function acquireLease(
  db: Kysely<Database>,
  lease: { name: string; holder: string; ttlMs: number },
  now: Date,
): Promise<boolean> {
  const at = now.toISOString()
  const until = new Date(now.getTime() + lease.ttlMs).toISOString()
  const result = await db
    .insertInto('leases')
    .values({ name: lease.name, holder: lease.holder, expires_at: until })
    .onConflict((oc) =>
      oc
        .column('name')
        .doUpdateSet({ holder: lease.holder, expires_at: until })
        .where((eb) =>
          eb.or([eb('leases.expires_at', '<=', at), eb('leases.holder', '=', lease.holder)]),
        ),
    )
    .executeTakeFirst()
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0
}

/** Gives the lease back early (a node shutting down), if `holder` still holds it. */
export async function releaseLease(
  db: Kysely<Database>,
  lease: { name: string; holder: string },
): Promise<void> {
  await db
    .deleteFrom('leases')
    .where('name', '=', lease.name)
    .where('holder', '=', lease.holder)
    .execute()
}
