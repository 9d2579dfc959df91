import { X509Certificate } from 'node:crypto'
import yazl from 'yazl'
import { errors } from '../../errors.ts'
import { authorizeInProject, type Principal } from '../../identity/policy/permissions.ts'
import { listEnvironmentsOfProject } from '../environments/environments.repository.ts'
import { certificateEnvironmentList, environmentsOf } from './certificates.environments.ts'
import * as repo from './certificates.repository.ts'
import { type CertificatesDeps, requireCertificate } from './certificates.service.ts'

/** More certificates than any truststore holds; bounds the unpaged answer. */
const TRUSTSTORE_MAX = 1000

function zipOf(files: { name: string; bytes: Buffer; at: Date }[]): Promise<Buffer> {
  const zip = new yazl.ZipFile()
  for (const f of files) zip.addBuffer(f.bytes, f.name, { mtime: f.at })
  zip.end()
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    zip.outputStream.on('data', (c: Buffer) => chunks.push(c))
    zip.outputStream.on('error', reject)
    zip.outputStream.on('end', () => resolve(Buffer.concat(chunks)))
  })
}

/**
 * The documented export: a ZIP with `{name}-{environment}.cer` (DER) per environment the
 * certificate is in. Never the private key. Entries are dated by the certificate's last
 * change, so the same certificate exports to the same bytes.
 */
export async function exportCertificate(
  deps: Pick<CertificatesDeps, 'db'>,
  principal: Principal,
  projectName: string,
  name: string,
): Promise<{ fileName: string; zip: Buffer }> {
  const project = await authorizeInProject(deps, principal, 'project.read', projectName)
  const row = await requireCertificate(deps, project, name)
  const der = new X509Certificate(row.pem).raw
  const environments = environmentsOf(row, await listEnvironmentsOfProject(deps.db, project.id))
  const at = new Date(row.updated_at)
  const zip = await zipOf(
    environments.map((e) => ({ name: `${row.name}-${e.name}.cer`, bytes: der, at })),
  )
  return { fileName: `${row.name}-certificates.zip`, zip }
}

/**
 * The documented truststore of an environment: the project's certificates that are in
 * it, each with that environment's entry only. The environment must be one the project
 * may use.
 */
export async function truststoreCertificates(
  deps: Pick<CertificatesDeps, 'db'>,
  principal: Principal,
  projectName: string,
  environmentName: string,
) {
  const project = await authorizeInProject(deps, principal, 'project.read', projectName)
  const usable = await listEnvironmentsOfProject(deps.db, project.id)
  const environment = usable.find((e) => e.name === environmentName)
  if (!environment) {
    throw errors.validationFailed([
      {
        field: 'environmentName',
        message: `names '${environmentName}', which is not an environment project '${project.name}' may use`,
      },
    ])
  }
  const rows = await repo
    .certificatesOfProject(deps.db, project.id)
    .orderBy('name')
    .limit(TRUSTSTORE_MAX)
    .execute()
  return rows.flatMap((row) => {
    const entries = certificateEnvironmentList(row, [environment])
    return entries.length === 0
      ? []
      : [{ name: row.name, description: row.description, certificateEnvironmentList: entries }]
  })
}
