import type { Kysely } from 'kysely'
import { isPostgres } from './is-postgres.ts'

// Frozen: never edit a migration that has shipped; add a new one instead.

export async function up(db: Kysely<any>): Promise<void> {
  const pg = await isPostgres(db)
  // One row per request a gateway served. No foreign keys: traffic outlives the proxy or
  // environment it names, and a write must cost one index update per index, nothing more.
  // The id is the engine's own sequence (an exception to the random-string rule): rows are
  // written by the thousand and deleted oldest first, in slices, by id.
  await db.schema
    .createTable('traffic')
    .addColumn('id', pg ? 'bigserial' : 'integer', (c) => c.primaryKey())
    .addColumn('time', 'varchar(24)', (c) => c.notNull())
    .addColumn('environment_id', 'varchar(36)', (c) => c.notNull())
    .addColumn('environment_name', 'varchar(100)', (c) => c.notNull())
    .addColumn('project_id', 'varchar(36)', (c) => c.notNull())
    .addColumn('proxy_id', 'varchar(36)', (c) => c.notNull())
    .addColumn('proxy_name', 'varchar(200)', (c) => c.notNull())
    // "GET /users/{id}": the endpoint's method and path template; null for a reverse proxy.
    .addColumn('endpoint', 'varchar(600)')
    .addColumn('method', 'varchar(16)', (c) => c.notNull())
    .addColumn('status', 'integer', (c) => c.notNull())
    .addColumn('total_ms', pg ? 'double precision' : 'real', (c) => c.notNull())
    .addColumn('upstream_ms', pg ? 'double precision' : 'real')
    .addColumn('bytes_in', 'bigint', (c) => c.notNull())
    .addColumn('bytes_out', 'bigint', (c) => c.notNull())
    .addColumn('client_address', 'varchar(64)', (c) => c.notNull())
    .addColumn('credential', 'varchar(200)')
    .addColumn('upstream_address', 'varchar(300)')
    .addColumn('error', 'varchar(64)')
    .execute()
  // Retention walks the oldest rows; the admin-wide reports filter a time range.
  await db.schema.createIndex('traffic_time_idx').on('traffic').column('time').execute()
  // A proxy's traffic over a time range (the proxy page, the per-proxy report).
  await db.schema
    .createIndex('traffic_proxy_time_idx')
    .on('traffic')
    .columns(['project_id', 'proxy_id', 'time'])
    .execute()
  // An environment's traffic over a time range.
  await db.schema
    .createIndex('traffic_environment_time_idx')
    .on('traffic')
    .columns(['environment_id', 'time'])
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('traffic').execute()
}
