import type { Kysely } from 'kysely'

// Frozen: never edit a migration that has shipped; add a new one instead.

/**
 * Addresses (the throttle's address key: IPv4, or an IPv6 /64) each user logged in from
 * successfully: a login from one of them is judged by its own failure count, not by a
 * username lock strangers caused. A few per user, recent only (see identity/sessions/trusted-clients.ts).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('known_addresses')
    .addColumn('user_id', 'varchar(36)', (c) =>
      c.notNull().references('users.id').onDelete('cascade'),
    )
    .addColumn('address', 'varchar(64)', (c) => c.notNull())
    .addColumn('last_success_at', 'varchar(24)', (c) => c.notNull())
    .addPrimaryKeyConstraint('known_addresses_pk', ['user_id', 'address'])
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('known_addresses').execute()
}
