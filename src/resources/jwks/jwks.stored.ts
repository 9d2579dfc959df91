import { createPrivateKey, createPublicKey, type KeyObject, X509Certificate } from 'node:crypto'
import type { EnvironmentRow, ProjectRow } from '../../db/schema.ts'
import { errors } from '../../errors.ts'
import { authorize, type Principal } from '../../identity/policy/permissions.ts'
import { findCertificate } from '../certificates/certificates.repository.ts'
import { keyEntryOf, requireKey } from '../keys/keys.service.ts'
import { keystoreEntryOf, requireKeystore } from '../keystores/keystores.service.ts'
import { checkAlgorithm, jwkUse, type UseType } from './jwks.algorithms.ts'
import {
  certificateJwk,
  certificateMembers,
  type Jwk,
  keyObjectJwk,
  type Material,
} from './jwks.material.ts'
import {
  type JwksDeps,
  type JwkWrite,
  type Named,
  type SourceType,
  storeJwk,
  usableEnvironment,
  writable,
} from './jwks.service.ts'

/*
 * JWKs made from what the project stores: a certificate's public key, a key's public or
 * private half, a keystore entry. Each is read for the environment named (keys and
 * keystores hold one entry per environment), given the use and algorithm asked for
 * (which must fit the key), and stored as a copy: the private members sealed as for
 * any other JWK, with sourceId naming what it came from.
 */

export interface Derived extends Named {
  environmentName: string
  useType: UseType
  algorithm: string
}
export interface CertificateSource extends Derived {
  certificateName: string
}
export interface KeySource extends Derived {
  keyName: string
}
export interface KeystoreSource extends Derived {
  keyStoreName: string
  aliasName: string
}

const refuse = (field: string, message: string) => errors.validationFailed([{ field, message }])

/** The use and algorithm asked for, checked against the key, then stored. */
function storeDerived(
  deps: JwksDeps,
  project: ProjectRow,
  input: Derived,
  material: Material,
  source: { sourceType: SourceType; sourceId: string },
): Promise<JwkWrite> {
  const algorithm = checkAlgorithm('algorithm', input.algorithm, input.useType, material.facts)
  material.publicJwk.use = jwkUse(input.useType)
  material.publicJwk.alg = algorithm
  return storeJwk(deps, project, {
    name: input.name,
    description: input.description,
    ...source,
    material,
    use: input.useType,
    algorithm,
  })
}

/** Reading a stored key or keystore reads key material: its role too, as its own routes. */
async function start(deps: JwksDeps, principal: Principal, projectName: string, input: Derived) {
  authorize(principal, 'keyMaterial.read')
  const project = await writable(deps, principal, projectName, input.name)
  const environment = await usableEnvironment(deps, project, input.environmentName)
  return { project, environment }
}

const noEntry = (what: string, environment: EnvironmentRow) =>
  refuse(
    'environmentName',
    `names '${environment.name}', for which ${what} holds nothing; send one of its environments`,
  )

/** The certificate's public key, with the use and algorithm asked for (which must fit it). */
export async function fromCertificate(
  deps: JwksDeps,
  principal: Principal,
  projectName: string,
  input: CertificateSource,
): Promise<JwkWrite> {
  const project = await writable(deps, principal, projectName, input.name)
  await usableEnvironment(deps, project, input.environmentName)
  const certificate = await findCertificate(deps.db, project.id, input.certificateName)
  if (!certificate) {
    throw errors.notFound(`Certificate '${input.certificateName}' in project '${project.name}'`)
  }
  const x509 = new X509Certificate(certificate.pem)
  const material = certificateJwk(x509.publicKey, x509.raw)
  return storeDerived(deps, project, input, material, {
    sourceType: 'CERTIFICATE',
    sourceId: certificate.id,
  })
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
  const { project, environment } = await start(deps, principal, projectName, input)
  const row = await requireKey(deps, project, input.keyName)
  const entry = keyEntryOf(deps.atRestKeys, row, environment.id)
  if (!entry) throw noEntry(`key '${row.name}'`, environment)
  const usePrivate = sourceType === undefined ? entry.hasPrivate : sourceType === 'PRIVATE_KEY'
  if (usePrivate && !entry.hasPrivate) {
    throw refuse(
      'sourceType',
      `is PRIVATE_KEY, but key '${row.name}' holds only a public key for environment '${environment.name}'; send PUBLIC_KEY`,
    )
  }
  const pem = usePrivate ? entry.privatePem() : entry.publicPem
  if (pem === null) throw noEntry(`key '${row.name}'`, environment)
  const key = usePrivate ? createPrivateKey(pem) : createPublicKey(pem)
  return storeDerived(deps, project, input, keyObjectJwk('keyName', key), {
    sourceType: usePrivate ? 'PRIVATE_KEY' : 'PUBLIC_KEY',
    sourceId: row.id,
  })
}

/** The alias as stored: the same, or the one alias that differs from it in case only. */
function storedAlias(aliases: readonly { alias: string }[], asked: string): string | undefined {
  if (aliases.some((a) => a.alias === asked)) return asked
  const folded = aliases.filter((a) => a.alias.toLowerCase() === asked.toLowerCase())
  return folded.length === 1 ? folded[0]?.alias : undefined
}

function pkcs8Key(alias: string, der: Uint8Array): KeyObject {
  try {
    return createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs8' })
  } catch {
    throw refuse('aliasName', `'${alias}' holds a key of a kind node:crypto cannot read`)
  }
}

/** The entry's private key when it has one, else its certificate's public key. */
function aliasJwk(alias: string, privateKey: KeyObject | null, certificate: Buffer | null) {
  // The kid is the alias, as JWK libraries that load from keystores name the key.
  const kid: Jwk = alias.length <= 200 ? { kid: alias } : {}
  if (privateKey === null) {
    if (certificate === null)
      throw refuse('aliasName', `'${alias}' holds neither key nor certificate`)
    return certificateJwk(new X509Certificate(certificate).publicKey, certificate, 'aliasName', kid)
  }
  // The certificate goes along when it is the key's own (it is public; a chain's leaf).
  const own =
    certificate !== null &&
    new X509Certificate(certificate).publicKey.equals(createPublicKey(privateKey))
  return keyObjectJwk('aliasName', privateKey, {
    ...kid,
    ...(own ? certificateMembers(certificate) : {}),
  })
}

/**
 * A keystore entry for the environment, read from the stored file with its stored
 * password (in the worker pool, as uploads are): a private key entry gives a private
 * JWK, a certificate entry its public key's.
 */
export async function fromKeystore(
  deps: JwksDeps,
  principal: Principal,
  projectName: string,
  input: KeystoreSource,
): Promise<JwkWrite> {
  const { project, environment } = await start(deps, principal, projectName, input)
  const row = await requireKeystore(deps, project, input.keyStoreName)
  const entry = keystoreEntryOf(deps, row, environment.id)
  if (!entry) throw noEntry(`keystore '${row.name}'`, environment)
  const alias = storedAlias(entry.aliases, input.aliasName)
  if (alias === undefined) {
    const known = entry.aliases.map((a) => a.alias).join(', ')
    throw refuse(
      'aliasName',
      `'${input.aliasName}' is not an alias of keystore '${row.name}' for environment '${environment.name}' (aliases: ${known})`,
    )
  }
  const read = await entry.read(alias, 'keyStoreName')
  const privateKey = read.privateKey === null ? null : pkcs8Key(alias, read.privateKey)
  const certificate = read.certificate === null ? null : Buffer.from(read.certificate)
  return storeDerived(deps, project, input, aliasJwk(alias, privateKey, certificate), {
    sourceType: 'KEYSTORE',
    sourceId: row.id,
  })
}
