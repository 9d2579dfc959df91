import { type Kysely, type Migration, Migrator, sql } from 'kysely'
import * as m0001 from './migrations/0001_identity.ts'
import * as m0002 from './migrations/0002_sessions.ts'
import * as m0003 from './migrations/0003_resources.ts'
import * as m0004 from './migrations/0004_login_attempts.ts'
import * as m0005 from './migrations/0005_audit.ts'
import * as m0006 from './migrations/0006_settings.ts'
import * as m0007 from './migrations/0007_login_devices.ts'
import * as m0008 from './migrations/0008_audit_folding.ts'
import * as m0009 from './migrations/0009_list_indexes.ts'
import * as m0010 from './migrations/0010_audit_events.ts'
import * as m0011 from './migrations/0011_environment_variables.ts'
import * as m0012 from './migrations/0012_proxy_groups.ts'
import * as m0013 from './migrations/0013_proxy_settings.ts'
import * as m0014 from './migrations/0014_proxy_endpoints.ts'
import * as m0015 from './migrations/0015_proxy_spec_files.ts'
import * as m0016 from './migrations/0016_ip_groups.ts'
import * as m0017 from './migrations/0017_connections_documented.ts'
import * as m0018 from './migrations/0018_credential_access.ts'
import * as m0019 from './migrations/0019_proxy_policies.ts'
import * as m0020 from './migrations/0020_deployment_variables.ts'
import * as m0021 from './migrations/0021_group_routes.ts'
import * as m0022 from './migrations/0022_geolocation.ts'
import * as m0023 from './migrations/0023_jwks.ts'
import * as m0024 from './migrations/0024_keys_keystores.ts'
import * as m0025 from './migrations/0025_rlcl.ts'
import * as m0026 from './migrations/0026_gateway.ts'
import * as m0027 from './migrations/0027_traffic.ts'
import * as m0028 from './migrations/0028_jwk_inputs.ts'
import * as m0029 from './migrations/0029_token_limits.ts'
import * as m0031 from './migrations/0031_group_snapshots.ts'
import * as m0033 from './migrations/0033_token_rotation.ts'
import * as m0034 from './migrations/0034_canary_tokens.ts'
import * as m0035 from './migrations/0035_token_list_indexes.ts'
import * as m0036 from './migrations/0036_short_lived_token_lists.ts'
import * as m0037 from './migrations/0037_expiry_reminders.ts'

/** Listed statically (not read from disk) so the set of migrations ships with the code. */
export const migrations: Record<string, Migration> = {
  '0001_identity': m0001,
  '0002_sessions': m0002,
  '0003_resources': m0003,
  '0004_login_attempts': m0004,
  '0005_audit': m0005,
  '0006_settings': m0006,
  '0007_login_devices': m0007,
  '0008_audit_folding': m0008,
  '0009_list_indexes': m0009,
  '0010_audit_events': m0010,
  '0011_environment_variables': m0011,
  '0012_proxy_groups': m0012,
  '0013_proxy_settings': m0013,
  '0014_proxy_endpoints': m0014,
  '0015_proxy_spec_files': m0015,
  '0016_ip_groups': m0016,
  '0017_connections_documented': m0017,
  '0018_credential_access': m0018,
  '0019_proxy_policies': m0019,
  '0020_deployment_variables': m0020,
  '0021_group_routes': m0021,
  '0022_geolocation': m0022,
  '0023_jwks': m0023,
  '0024_keys_keystores': m0024,
  '0025_rlcl': m0025,
  '0026_gateway': m0026,
  '0027_traffic': m0027,
  '0028_jwk_inputs': m0028,
  '0029_token_limits': m0029,
  '0031_group_snapshots': m0031,
  '0033_token_rotation': m0033,
  '0034_canary_tokens': m0034,
  '0035_token_list_indexes': m0035,
  '0036_short_lived_token_lists': m0036,
  '0037_expiry_reminders': m0037,
}

export class SchemaTooNewError extends Error {}

/** PostgreSQL's schema in use, or undefined on SQLite (which has none). */
async function currentSchema(db: Kysely<any>): Promise<string | undefined> {
  try {
    const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db)
    return rows[0]?.schema
  } catch {
    return undefined
  }
}

/** Migration names already applied, or null when the bookkeeping table does not exist yet. */
async function appliedNames(db: Kysely<any>): Promise<string[] | null> {
  try {
    const { rows } = await sql<{ name: string }>`select name from kysely_migration`.execute(db)
    return rows.map((r) => r.name)
  } catch {
    return null
  }
}

export async function migrateToLatest(db: Kysely<any>): Promise<string[]> {
  // The usual case, every start and every CLI command: nothing to do. Checked with one
  // query, because Kysely's migrator introspects every schema on the server first.
  const applied = await appliedNames(db)
  if (applied) {
    const known = Object.keys(migrations)
    const unknown = applied.filter((name) => !known.includes(name))
    if (unknown.length > 0) {
      throw new SchemaTooNewError(
        `The database schema is newer than this apiops build (it has migration ${unknown.join(', ')}, which this build does not know). Upgrade apiops before starting it against this database.`,
      )
    }
    if (known.every((name) => applied.includes(name))) return []
  }
  // Kysely looks for its bookkeeping table by name in every schema unless told which:
  // name ours, or another schema's table on the same server would be mistaken for it.
  const schema = await currentSchema(db)
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    ...(schema ? { migrationTableSchema: schema } : {}),
  })
  const known = await migrator.getMigrations()
  const { error, results } = await migrator.migrateToLatest()
  if (error) {
    const message = error instanceof Error ? error.message : String(error)
    // Kysely refuses when the database has migrations this code does not know: that
    // means a newer apiops migrated it, and running older code against it is unsafe.
    if (/corrupted migrations/i.test(message) || /missing/i.test(message)) {
      throw new SchemaTooNewError(
        `The database schema is newer than this apiops build (it knows ${known.length} migrations). Upgrade apiops before starting it against this database. (${message})`,
      )
    }
    throw error
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName)
}
