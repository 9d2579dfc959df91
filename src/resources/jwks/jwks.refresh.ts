import type { AuditSink } from '../../audit/audit.recorder.ts'
import type { CertificateRow, CryptoKeyRow, KeystoreRow } from '../../db/schema.ts'
import type { Queryable } from '../../db/types.ts'
import { ApiError, errors } from '../../errors.ts'
import { seal } from '../../sealed.ts'
import { listEnvironmentsOfProject } from '../environments/environments.repository.ts'
import type { AfterUpdate, UpdateScope } from '../keys/environment-entries.ts'
import {
  type DerivationInputs,
  type Derived,
  fromCertificateRow,
  fromKeyRow,
  fromKeystoreRow,
} from './jwks.derive.ts'
import * as repo from './jwks.repository.ts'
import { type JwksDeps, privateJwkContext } from './jwks.service.ts'

/*
 * updateReferencedJwks=true on a key, keystore or certificate update: every JWK made
 * from it is derived again from the updated source with the inputs it was made with
 * (jwks.derive.ts), in the update's transaction, so the source and its JWKs change
 * together or not at all. A JWK the updated source can no longer serve (its environment
 * dropped, its alias gone, an algorithm that does not fit the new key) refuses the whole
 * update (409 naming the JWK): the caller asked for JWKs that follow their source, and
 * one silently left behind would be a stale key in force. A JWK made before apiops kept
 * its inputs (migration 0028) cannot be derived again: it is reported, not refused.
 */

export type RefreshDeps = Pick<JwksDeps, 'clock' | 'atRestKey' | 'atRestKeys' | 'keystores'>

export type Source =
  | { table: 'crypto_keys'; row: CryptoKeyRow }
  | { table: 'keystores'; row: KeystoreRow }
  | { table: 'certificates'; row: CertificateRow }

export interface RefreshReport {
  updateScope: UpdateScope
  refreshed: { projectName: string; jwkName: string; sourceType: string; kid: string | null }[]
  notRefreshed: { projectName: string; jwkName: string; reason: string }[]
}

const SOURCE_TYPES: Record<Source['table'], readonly string[]> = {
  crypto_keys: ['PUBLIC_KEY', 'PRIVATE_KEY'],
  keystores: ['KEYSTORE'],
  certificates: ['CERTIFICATE'],
}

const LEGACY =
  'was made before apiops kept what a JWK is derived with (environment, use, algorithm), so it cannot be derived again; make it again from its source to have it follow updates'

type JwkOfSource = Awaited<ReturnType<typeof repo.jwksFromSource>>[number]

async function derive(
  deps: RefreshDeps,
  db: Queryable,
  source: Source,
  jwk: JwkOfSource,
  inputs: DerivationInputs,
): Promise<Derived> {
  const usable = await listEnvironmentsOfProject(db, jwk.project_id)
  const environment = usable.find((e) => e.id === inputs.environmentId)
  if (!environment) {
    throw errors.validationFailed([
      {
        field: 'environmentName',
        message: `names an environment project '${jwk.project_name}' may no longer use`,
      },
    ])
  }
  if (source.table === 'certificates') {
    return fromCertificateRow(source.row, environment, usable, inputs)
  }
  if (source.table === 'crypto_keys') {
    return fromKeyRow(deps.atRestKeys, source.row, environment, inputs)
  }
  return fromKeystoreRow(deps, source.row, environment, inputs)
}

/** A derivation the updated source refuses, as the update's 409. */
async function deriveOrConflict(...args: Parameters<typeof derive>): Promise<Derived> {
  try {
    return await derive(...args)
  } catch (error) {
    const issue = error instanceof ApiError ? error.extra.validationErrors?.[0] : undefined
    if (!issue) throw error
    const jwk = args[3]
    throw errors.conflict(
      `JWK '${jwk.name}' in project '${jwk.project_name}' was made from this ${what(args[2])} and cannot be derived from it as updated (its ${issue.field} ${issue.message}). Nothing was changed: update without updateReferencedJwks to leave the JWKs as they are, or delete or make that JWK again.`,
    )
  }
}

const what = (source: Source) =>
  source.table === 'crypto_keys' ? 'key' : source.table === 'keystores' ? 'keystore' : 'certificate'

/** Derives every JWK made from the updated source again; `db` is the update's transaction. */
export async function refreshReferencedJwks(
  deps: RefreshDeps,
  db: Queryable,
  source: Source,
  scope: UpdateScope,
): Promise<RefreshReport> {
  // A JWK is only ever made from a source of its own project (jwks.stored.ts), so both
  // scopes find the same JWKs; ALL_PROJECTS does not narrow, should that ever change.
  const projectId = scope === 'SAME_PROJECT' ? source.row.project_id : null
  const jwks = await repo.jwksFromSource(db, source.row.id, SOURCE_TYPES[source.table], projectId)
  const report: RefreshReport = { updateScope: scope, refreshed: [], notRefreshed: [] }
  const now = deps.clock.now().toISOString()
  for (const jwk of jwks) {
    const named = { projectName: jwk.project_name, jwkName: jwk.name }
    if (jwk.source_inputs === null) {
      report.notRefreshed.push({ ...named, reason: LEGACY })
      continue
    }
    const inputs = JSON.parse(jwk.source_inputs) as DerivationInputs
    const { material, sourceType, algorithm } = await deriveOrConflict(
      deps,
      db,
      source,
      jwk,
      inputs,
    )
    const kid = typeof material.publicJwk.kid === 'string' ? material.publicJwk.kid : null
    await repo.updateJwkMaterial(db, jwk.id, {
      source_type: sourceType,
      type: material.type,
      kid,
      algorithm,
      public_jwk: JSON.stringify(material.publicJwk),
      private_jwk:
        material.privateJwk === null
          ? null
          : seal(deps.atRestKey, JSON.stringify(material.privateJwk), privateJwkContext(jwk.id)),
      updated_at: now,
    })
    report.refreshed.push({ ...named, sourceType, kid })
  }
  return report
}

/** The update's hook: refresh in its transaction, audit each JWK once it has committed. */
export function followingJwks<S extends Source>(
  deps: RefreshDeps,
  table: S['table'],
  scope: UpdateScope,
): AfterUpdate<S['row'], RefreshReport> {
  return {
    inTransaction: (db, row) => refreshReferencedJwks(deps, db, { table, row } as Source, scope),
    committed: (report: RefreshReport, audit: AuditSink) => {
      for (const jwk of report.refreshed) {
        audit.record('jwk.refreshed', {
          project: jwk.projectName,
          jwk: jwk.jwkName,
          sourceType: jwk.sourceType,
        })
      }
    },
  }
}
