import { createHash } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { AuditSink } from '../../audit/audit.recorder.ts'
import type { Clock } from '../../clock.ts'
import type { EventBus } from '../../cluster/events.ts'
import type { Database } from '../../db/schema.ts'
import { errors } from '../../errors.ts'
import {
  type DeploymentResult,
  inEffectEverywhere,
} from '../../resources/environments/in-effect.ts'
import type { WorkerPool } from '../../worker-pool.ts'
import * as settingsRepo from '../settings.repository.ts'
import { GEOLOCATION_ENABLED, type RuntimeSettings } from '../settings.service.ts'
import type { MmdbFacts, MmdbJob } from './mmdb.worker.ts'

/*
 * Geolocation: one MaxMind database (.mmdb) for the whole installation, and a switch.
 * The database is checked in a worker thread (it is an untrusted binary document) and
 * kept in the database, so every gateway node reads the same one. Enabling without a
 * database is refused: a switch that cannot locate anyone would fail open.
 */

export interface GeolocationDeps {
  db: Kysely<Database>
  clock: Clock
  events: EventBus
  settings: RuntimeSettings
  audit: AuditSink
  mmdb: WorkerPool<MmdbJob, MmdbFacts>
}

/** GeoLite2-City is about 60 MB and commercial City databases about twice that. */
export const MMDB_MAX_BYTES = 256 * 1024 * 1024
const DEFAULT_FILE_NAME = 'geolocation.mmdb'

export async function geolocationView(deps: Pick<GeolocationDeps, 'db' | 'settings'>) {
  const row = await deps.db
    .selectFrom('geolocation_database')
    .select([
      'file_name',
      'size',
      'sha256',
      'database_type',
      'ip_version',
      'build_epoch',
      'uploaded_at',
      'uploaded_by',
    ])
    .where('id', '=', 'current')
    .executeTakeFirst()
  return {
    enabled: deps.settings.geolocationEnabled,
    database: row
      ? {
          fileName: row.file_name,
          size: Number(row.size),
          sha256: row.sha256,
          databaseType: row.database_type,
          ipVersion: Number(row.ip_version),
          buildEpoch: row.build_epoch,
          uploadedAt: row.uploaded_at,
          uploadedBy: row.uploaded_by,
        }
      : null,
  }
}

/** Every environment, since the setting is the installation's. */
async function everywhere(db: Kysely<Database>): Promise<DeploymentResult> {
  return inEffectEverywhere(
    await db.selectFrom('environments').selectAll().orderBy('name').execute(),
  )
}

export async function setGeolocation(
  deps: GeolocationDeps,
  enabled: boolean,
  actor: string,
): Promise<DeploymentResult> {
  if (enabled && (await geolocationView(deps)).database === null) {
    throw errors.conflict(
      'Upload a MaxMind database first (PUT /apiops/settings/geolocation/mmdb): without one, geolocation could locate no client.',
    )
  }
  await settingsRepo.saveSetting(deps.db, {
    key: GEOLOCATION_ENABLED,
    value: JSON.stringify(enabled),
    updated_at: deps.clock.now().toISOString(),
    updated_by: actor,
  })
  await deps.settings.reload()
  await deps.events.publish({ type: 'settings.changed' })
  deps.audit.record(enabled ? 'geolocation.enabled' : 'geolocation.disabled', {})
  return everywhere(deps.db)
}

/** Checks the file off the event loop, then makes it the database every node uses. */
export async function uploadDatabase(
  deps: GeolocationDeps,
  bytes: Uint8Array,
  fileName: string | undefined,
  actor: string,
): Promise<DeploymentResult> {
  if (bytes.byteLength === 0) {
    throw errors.validationFailed([{ field: 'file', message: 'is empty' }])
  }
  const content = Buffer.from(bytes)
  const sha256 = createHash('sha256').update(content).digest('hex')
  const facts = await deps.mmdb.run({ bytes }, 'file')
  const row = {
    id: 'current',
    file_name: fileName || DEFAULT_FILE_NAME,
    content,
    size: content.byteLength,
    sha256,
    database_type: facts.databaseType,
    ip_version: facts.ipVersion,
    build_epoch: facts.buildEpoch,
    uploaded_at: deps.clock.now().toISOString(),
    uploaded_by: actor,
  }
  await deps.db
    .insertInto('geolocation_database')
    .values(row)
    .onConflict((oc) => oc.column('id').doUpdateSet({ ...row, id: undefined }))
    .execute()
  await deps.events.publish({ type: 'settings.changed' })
  deps.audit.record('geolocation.databaseUploaded', {
    fileName: row.file_name,
    databaseType: row.database_type,
    sha256,
  })
  return everywhere(deps.db)
}
