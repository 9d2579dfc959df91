import type { ProjectRow } from '../../db/schema.ts'
import { errors } from '../../errors.ts'
import { authorize, type Principal } from '../../identity/policy/permissions.ts'
import { findCertificate } from '../certificates/certificates.repository.ts'
import { listEnvironmentsOfProject } from '../environments/environments.repository.ts'
import { requireKey } from '../keys/keys.service.ts'
import { requireKeystore } from '../keystores/keystores.service.ts'
import type { UseType } from './jwks.algorithms.ts'
import {
  type DerivationInputs,
  type Derived,
  fromCertificateRow,
  fromKeyRow,
  fromKeystoreRow,
} from './jwks.derive.ts'
import {
  type JwksDeps,
  type JwkWrite,
  type Named,
  storeJwk,
  usableEnvironment,
  writable,
} from './jwks.service.ts'

/*
 * JWKs made from what the project stores: a certificate's public key, a key's public or
 * private half, a keystore entry. Each is read for the environment named (keys and
 * keystores hold one entry per environment, a certificate is assigned to some), given
 * the use and algorithm asked for (which must fit the key; jwks.derive.ts), and stored
 * as a copy: the private members sealed as for any other JWK, with sourceId naming what
 * it came from and the inputs kept, so that updating the source with
 * updateReferencedJwks=true can derive it again (jwks.refresh.ts).
 */

export interface DerivedSource extends Named {
  environmentName: string
  useType: UseType
  algorithm: string
}
export interface CertificateSource extends DerivedSource {
  certificateName: string
}
export interface KeySource extends DerivedSource {
  keyName: string
}
export interface KeystoreSource extends DerivedSource {
  keyStoreName: string
  aliasName: string
}

/** Stored with the inputs it was derived with (the algorithm as its JOSE name). */
function storeDerived(
  deps: JwksDeps,
  project: ProjectRow,
  input: Named,
  derived: Derived,
  sourceId: string,
  inputs: DerivationInputs,
): Promise<JwkWrite> {
  return storeJwk(deps, project, {
    name: input.name,
    description: input.description,
    sourceType: derived.sourceType,
    sourceId,
    sourceInputs: { ...inputs, algorithm: derived.algorithm },
    material: derived.material,
    use: inputs.useType,
    algorithm: derived.algorithm,
  })
}

/** Reading a stored key or keystore reads key material: its role too, as its own routes. */
async function start(
  deps: JwksDeps,
  principal: Principal,
  projectName: string,
  input: DerivedSource,
) {
  authorize(principal, 'keyMaterial.read')
  const project = await writable(deps, principal, projectName, input.name)
  const environment = await usableEnvironment(deps, project, input.environmentName)
  const inputs: DerivationInputs = {
    environmentId: environment.id,
    useType: input.useType,
    algorithm: input.algorithm,
  }
  return { project, environment, inputs }
}

/** The certificate's public key, when it is assigned to the environment named. */
export async function fromCertificate(
  deps: JwksDeps,
  principal: Principal,
  projectName: string,
  input: CertificateSource,
): Promise<JwkWrite> {
  const project = await writable(deps, principal, projectName, input.name)
  const environment = await usableEnvironment(deps, project, input.environmentName)
  const certificate = await findCertificate(deps.db, project.id, input.certificateName)
  if (!certificate) {
    throw errors.notFound(`Certificate '${input.certificateName}' in project '${project.name}'`)
  }
  const usable = await listEnvironmentsOfProject(deps.db, project.id)
  const inputs = {
    environmentId: environment.id,
    useType: input.useType,
    algorithm: input.algorithm,
  }
  const derived = fromCertificateRow(certificate, environment, usable, inputs)
  return storeDerived(deps, project, input, derived, certificate.id, inputs)
}

/**
 * A stored key's entry for the environment: PUBLIC_KEY takes its public half,
 * PRIVATE_KEY its private one (which must be stored), and the parse route (no source
 * type) the private one when stored, else the public one.
 */
export async function fromKey(
  deps: JwksDeps,
  principal: Principal,
  projectName: string,
  input: KeySource,
  sourceType?: 'PUBLIC_KEY' | 'PRIVATE_KEY',
): Promise<JwkWrite> {
  const { project, environment, inputs } = await start(deps, principal, projectName, input)
  const row = await requireKey(deps, project, input.keyName)
  const asked = { ...inputs, keyHalf: sourceType ?? ('AUTO' as const) }
  const derived = fromKeyRow(deps.atRestKeys, row, environment, asked)
  return storeDerived(deps, project, input, derived, row.id, asked)
}

/** A keystore entry for the environment: its private key, else its certificate's public key. */
export async function fromKeystore(
  deps: JwksDeps,
  principal: Principal,
  projectName: string,
  input: KeystoreSource,
): Promise<JwkWrite> {
  const { project, environment, inputs } = await start(deps, principal, projectName, input)
  const row = await requireKeystore(deps, project, input.keyStoreName)
  const asked = { ...inputs, aliasName: input.aliasName }
  const derived = await fromKeystoreRow(deps, row, environment, asked)
  return storeDerived(deps, project, input, derived, row.id, asked)
}
