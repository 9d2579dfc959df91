import { X509Certificate } from 'node:crypto'
import type { CertificateRow, EnvironmentRow, ProjectRow } from '../../db/schema.ts'
import type { Queryable } from '../../db/types.ts'
import { errors } from '../../errors.ts'
import { listEnvironmentsOfProject } from '../environments/environments.repository.ts'
import { resolveEnvironments } from '../keys/environment-entries.ts'

/*
 * The documented per-environment side of certificates: environmentList on upload (comma
 * separated names), certificateEnvironmentList on read. apiops stores one certificate
 * for all the environments it names; a certificate stored without a list (before there
 * was one) is in every environment of the project.
 */

export interface CertificateEnvironment {
  environmentName: string
  startDate: string
  endDate: string
  base64EncodedContent: string
  sha1Thumbprint: string
  subjectDn: string
  alias: string
}

/** The environments a certificate is in, in name order (those still usable by the project). */
export function environmentsOf(
  row: Pick<CertificateRow, 'environment_ids'>,
  usable: readonly EnvironmentRow[],
): EnvironmentRow[] {
  if (row.environment_ids === null) return [...usable]
  const ids = new Set(JSON.parse(row.environment_ids) as string[])
  return usable.filter((e) => ids.has(e.id))
}

export function certificateEnvironmentList(
  row: CertificateRow,
  usable: readonly EnvironmentRow[],
): CertificateEnvironment[] {
  const environments = environmentsOf(row, usable)
  if (environments.length === 0) return []
  const certificate = new X509Certificate(row.pem)
  const common = {
    startDate: row.not_before,
    endDate: row.not_after,
    base64EncodedContent: certificate.raw.toString('base64'),
    sha1Thumbprint: certificate.fingerprint.replaceAll(':', ''),
    subjectDn: row.subject,
    alias: row.alias,
  }
  return environments.map((e) => ({ environmentName: e.name, ...common }))
}

/**
 * The form's environmentList ("production,staging") as environment ids; absent means
 * every environment of the project (null), as before the field existed.
 */
export async function environmentIdsOf(
  db: Queryable,
  project: ProjectRow,
  list: string | undefined,
): Promise<{ ids: string | null; environments: EnvironmentRow[] }> {
  if (list === undefined) {
    return { ids: null, environments: await listEnvironmentsOfProject(db, project.id) }
  }
  const names = list.split(',').map((n) => n.trim())
  if (names.some((n) => n === '')) {
    throw errors.validationFailed([
      { field: 'environmentList', message: 'must be environment names separated by commas' },
    ])
  }
  const environments = await resolveEnvironments(db, project, names, () => 'environmentList')
  return { ids: JSON.stringify(environments.map((e) => e.id)), environments }
}
