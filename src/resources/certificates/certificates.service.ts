import { randomUUID, X509Certificate } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { AuditSink } from '../../audit/audit.recorder.ts'
import type { Clock } from '../../clock.ts'
import type { CertificateRow, Database, EnvironmentRow, ProjectRow } from '../../db/schema.ts'
import { isUniqueViolation, type Queryable } from '../../db/types.ts'
import { errors } from '../../errors.ts'
import { type ListOrder, type ListQueryInput, pageInSql } from '../../http/lists.ts'
import { authorizeInProject, type Principal } from '../../identity/policy/permissions.ts'
import { MASK, seal, unseal } from '../../sealed.ts'
import { listEnvironmentsOfProject } from '../environments/environments.repository.ts'
import { type DeploymentResult, inEffectEverywhere } from '../environments/in-effect.ts'
import type { AfterUpdate } from '../keys/environment-entries.ts'
import { refuseIfNamed } from '../proxies/policies/policies.references.ts'
import {
  type CertificateEnvironment,
  certificateEnvironmentList,
  environmentIdsOf,
  environmentsOf,
} from './certificates.environments.ts'
import {
  type CertificateFacts,
  keyMatches,
  readCertificate,
  readPrivateKey,
} from './certificates.pem.ts'
import * as repo from './certificates.repository.ts'
import type { Validity } from './certificates.schemas.ts'

export interface CertificatesDeps {
  db: Kysely<Database>
  clock: Clock
  /** AES-256-GCM key for the `private_key` column (see sealed.ts). */
  atRestKey: Buffer
  atRestKeys: readonly Buffer[]
  audit: AuditSink
}

export interface CertificateView {
  name: string
  description: string
  alias: string
  subject: string
  issuer: string
  serialNumber: string
  notBefore: string
  notAfter: string
  validity: Validity
  fingerprintSha256: string
  sha1Thumbprint: string
  hasPrivateKey: boolean
  privateKey: typeof MASK | null
  pem: string
  createdAt: string
  updatedAt: string
  certificateEnvironmentList: CertificateEnvironment[]
}

/** What a write answers: the certificate and the documented deploymentResult. */
export interface CertificateWrite<R = never> {
  certificate: CertificateView
  deploymentResult: DeploymentResult
  /** What the update's `after` answered (the JWKs made from it, refreshed). */
  after?: R
}

/** The form, as the route's schema has validated it. */
export interface CertificateUpload {
  name?: string | undefined
  description?: string | undefined
  alias?: string | undefined
  pemEncodedFile: string
  privateKeyFile?: string | undefined
  removePrivateKey?: 'true' | 'false' | undefined
  environmentList?: string | undefined
}

/** Binds a sealed key to its row and column, so a copied ciphertext fails to open. */
export const privateKeyContext = (certificateId: string) =>
  `certificates:${certificateId}:private_key`

const ALIAS = /^[A-Za-z0-9][A-Za-z0-9._@+-]*$/

function view(row: CertificateRow, now: Date, usable: readonly EnvironmentRow[]): CertificateView {
  const at = now.toISOString()
  return {
    name: row.name,
    description: row.description,
    alias: row.alias,
    subject: row.subject,
    issuer: row.issuer,
    serialNumber: row.serial_number,
    notBefore: row.not_before,
    notAfter: row.not_after,
    validity: row.not_after <= at ? 'EXPIRED' : row.not_before > at ? 'NOT_YET_VALID' : 'VALID',
    fingerprintSha256: row.fingerprint_sha256,
    // No column for it: cheap to derive from the stored certificate.
    sha1Thumbprint: new X509Certificate(row.pem).fingerprint,
    hasPrivateKey: row.private_key !== null,
    privateKey: row.private_key === null ? null : MASK,
    pem: row.pem,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    certificateEnvironmentList: certificateEnvironmentList(row, usable),
  }
}

const certificateColumns = (facts: CertificateFacts) => ({
  pem: facts.pem,
  subject: facts.subject,
  issuer: facts.issuer,
  serial_number: facts.serialNumber,
  not_before: facts.notBefore,
  not_after: facts.notAfter,
  fingerprint_sha256: facts.fingerprintSha256,
})

/**
 * The alias a keystore will file the certificate under: the one given, else the name.
 * Keystores compare aliases ignoring case, so two that differ only in case collide.
 */
async function checkAlias(
  db: Queryable,
  project: ProjectRow,
  input: CertificateUpload,
  name: string,
  exceptId: string | null,
): Promise<string> {
  const alias = input.alias ?? name
  if (!ALIAS.test(alias)) {
    throw errors.validationFailed([
      {
        field: 'alias',
        message: `is required: the name '${name}' cannot serve as an alias, which takes letters, digits and . _ @ + - only`,
      },
    ])
  }
  const holder = await repo.findAliasHolder(db, project.id, alias, exceptId)
  if (holder) {
    throw errors.duplicateName(
      `Alias '${holder.alias}' (aliases are compared ignoring case, as keystores do) of certificate '${holder.name}' in project '${project.name}'`,
    )
  }
  return alias
}

export async function requireCertificate(
  deps: Pick<CertificatesDeps, 'db'>,
  project: ProjectRow,
  name: string,
): Promise<CertificateRow> {
  const row = await repo.findCertificate(deps.db, project.id, name)
  if (!row) throw errors.notFound(`Certificate '${name}' in project '${project.name}'`)
  return row
}

// Names are unique in a project, so name alone makes the order total.
const CERTIFICATE_ORDER: ListOrder = {
  sortable: { name: 'name', alias: 'alias', notAfter: 'not_after', createdAt: 'created_at' },
  defaultSort: 'name',
}

export async function listCertificates(
  deps: Pick<CertificatesDeps, 'db' | 'clock'>,
  principal: Principal,
  projectName: string,
  query: ListQueryInput,
) {
  const project = await authorizeInProject(deps, principal, 'project.read', projectName)
  const now = deps.clock.now()
  const usable = await listEnvironmentsOfProject(deps.db, project.id)
  const base = repo.certificatesOfProject(deps.db, project.id)
  return pageInSql(deps.db, base, query, CERTIFICATE_ORDER, (row) => view(row, now, usable))
}

export async function getCertificate(
  deps: Pick<CertificatesDeps, 'db' | 'clock'>,
  principal: Principal,
  projectName: string,
  name: string,
): Promise<CertificateView> {
  const project = await authorizeInProject(deps, principal, 'project.read', projectName)
  const row = await requireCertificate(deps, project, name)
  return view(row, deps.clock.now(), await listEnvironmentsOfProject(deps.db, project.id))
}

export async function createCertificate(
  deps: CertificatesDeps,
  principal: Principal,
  projectName: string,
  input: CertificateUpload & { name: string },
): Promise<CertificateWrite> {
  const project = await authorizeInProject(deps, principal, 'security.write', projectName)
  const now = deps.clock.now()
  const facts = readCertificate(input.pemEncodedFile, now)
  const privateKey =
    input.privateKeyFile === undefined
      ? null
      : readPrivateKey(input.privateKeyFile, facts.certificate)
  const alias = await checkAlias(deps.db, project, input, input.name, null)
  const placed = await environmentIdsOf(deps.db, project, input.environmentList)
  const id = randomUUID()
  const row: CertificateRow = {
    id,
    project_id: project.id,
    name: input.name,
    description: input.description ?? '',
    alias,
    ...certificateColumns(facts),
    private_key:
      privateKey === null ? null : seal(deps.atRestKey, privateKey, privateKeyContext(id)),
    created_at: now.toISOString(),
    updated_at: now.toISOString(),
    environment_ids: placed.ids,
  }
  try {
    await repo.insertCertificate(deps.db, row)
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw errors.duplicateName(`Certificate '${input.name}' in project '${project.name}'`)
    }
    throw error
  }
  deps.audit.record('certificate.created', { project: project.name, certificate: row.name })
  return written(deps, project, row, now)
}

/**
 * Replaces the certificate, its description and alias. The private key: a new
 * privateKeyFile replaces it; removePrivateKey=true drops it; otherwise the stored one
 * is kept if it belongs to the new certificate (a renewal that kept its key) and the
 * upload is refused if it does not, rather than dropping the key silently. `after` runs
 * in the same transaction once the row is written.
 */
export async function replaceCertificate<R = never>(
  deps: CertificatesDeps,
  principal: Principal,
  projectName: string,
  name: string,
  input: CertificateUpload,
  after?: AfterUpdate<CertificateRow, R>,
): Promise<CertificateWrite<R>> {
  const project = await authorizeInProject(deps, principal, 'security.write', projectName)
  const row = await requireCertificate(deps, project, name)
  if (input.name !== undefined && input.name !== name) {
    throw errors.validationFailed([
      {
        field: 'name',
        message: `must be '${name}', the name in the path: certificates cannot be renamed`,
      },
    ])
  }
  const remove = input.removePrivateKey === 'true'
  if (remove && input.privateKeyFile !== undefined) {
    throw errors.validationFailed([
      {
        field: 'removePrivateKey',
        message: 'cannot be true when a privateKeyFile is sent; send one or the other',
      },
    ])
  }
  const now = deps.clock.now()
  const facts = readCertificate(input.pemEncodedFile, now)
  let privateKey = row.private_key
  if (input.privateKeyFile !== undefined) {
    const pem = readPrivateKey(input.privateKeyFile, facts.certificate)
    privateKey = seal(deps.atRestKey, pem, privateKeyContext(row.id))
  } else if (remove) {
    privateKey = null
  } else if (row.private_key !== null) {
    const stored = unseal(deps.atRestKeys, row.private_key, privateKeyContext(row.id))
    if (!keyMatches(stored, facts.certificate)) {
      throw errors.validationFailed([
        {
          field: 'privateKeyFile',
          message:
            "is required: the stored private key does not belong to the new certificate; send the new certificate's key, or removePrivateKey=true to drop the stored one",
        },
      ])
    }
  }
  const alias = await checkAlias(deps.db, project, input, name, row.id)
  const placed = await environmentIdsOf(deps.db, project, input.environmentList)
  const changes = {
    description: input.description ?? '',
    alias,
    ...certificateColumns(facts),
    private_key: privateKey,
    updated_at: now.toISOString(),
    environment_ids: placed.ids,
  }
  const followed = await deps.db.transaction().execute(async (trx) => {
    await repo.updateCertificate(trx, row.id, changes)
    return after?.inTransaction(trx, { ...row, ...changes })
  })
  deps.audit.record('certificate.replaced', { project: project.name, certificate: name })
  const answer = await written(deps, project, { ...row, ...changes }, now)
  if (!after) return answer
  after.committed(followed as R, deps.audit)
  return { ...answer, after: followed as R }
}

export async function deleteCertificate(
  deps: CertificatesDeps,
  principal: Principal,
  projectName: string,
  name: string,
): Promise<DeploymentResult> {
  const project = await authorizeInProject(deps, principal, 'security.write', projectName)
  const row = await requireCertificate(deps, project, name)
  await refuseIfNamed(deps.db, project, 'certificateName', row.name)
  await repo.deleteCertificate(deps.db, row.id)
  deps.audit.record('certificate.deleted', { project: project.name, certificate: name })
  const usable = await listEnvironmentsOfProject(deps.db, project.id)
  return inEffectEverywhere(environmentsOf(row, usable), true)
}

async function written(
  deps: Pick<CertificatesDeps, 'db'>,
  project: ProjectRow,
  row: CertificateRow,
  now: Date,
): Promise<CertificateWrite> {
  const usable = await listEnvironmentsOfProject(deps.db, project.id)
  return {
    certificate: view(row, now, usable),
    deploymentResult: inEffectEverywhere(environmentsOf(row, usable)),
  }
}
