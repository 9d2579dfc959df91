import { createPrivateKey, createPublicKey, type KeyObject, X509Certificate } from 'node:crypto'
import type { CertificateRow, CryptoKeyRow, EnvironmentRow, KeystoreRow } from '../../db/schema.ts'
import { errors } from '../../errors.ts'
import { environmentsOf } from '../certificates/certificates.environments.ts'
import { keyEntryOf } from '../keys/keys.service.ts'
import { keystoreEntryOf } from '../keystores/keystores.service.ts'
import { checkAlgorithm, jwkUse, type UseType } from './jwks.algorithms.ts'
import {
  certificateJwk,
  certificateMembers,
  type Jwk,
  keyObjectJwk,
  type Material,
} from './jwks.material.ts'
import type { JwksDeps, SourceType } from './jwks.service.ts'

/*
 * How a JWK is made from a stored certificate, key or keystore entry, given what it was
 * asked for. Creating one (jwks.stored.ts) and refreshing one after its source changed
 * (jwks.refresh.ts) run the same steps, so a refreshed JWK is what creating it again
 * from the changed source would make.
 */

/** What a JWK made from a stored source was asked for; kept with it (source_inputs). */
export interface DerivationInputs {
  /** By id: renaming the environment keeps the JWK refreshable. */
  environmentId: string
  useType: UseType
  /** The JOSE name, as stored. */
  algorithm: string
  /** Keys: the half asked for; AUTO (the parse route) takes the private one when stored. */
  keyHalf?: 'PUBLIC_KEY' | 'PRIVATE_KEY' | 'AUTO'
  /** Keystores: the alias as asked (matched as on create). */
  aliasName?: string
}

export interface Derived {
  material: Material
  sourceType: SourceType
  /** The JOSE name of the algorithm asked for. */
  algorithm: string
}

const refuse = (field: string, message: string) => errors.validationFailed([{ field, message }])

const noEntry = (what: string, environment: EnvironmentRow) =>
  refuse(
    'environmentName',
    `names '${environment.name}', for which ${what} holds nothing; send one of its environments`,
  )

/** The use and algorithm asked for, checked against the key. */
function finish(material: Material, inputs: DerivationInputs, sourceType: SourceType): Derived {
  const algorithm = checkAlgorithm('algorithm', inputs.algorithm, inputs.useType, material.facts)
  material.publicJwk.use = jwkUse(inputs.useType)
  material.publicJwk.alg = algorithm
  return { material, sourceType, algorithm }
}

/**
 * The certificate's public key, when the certificate is in the environment named (as a
 * key or keystore must hold an entry for it): `usable` are the project's environments.
 */
export function fromCertificateRow(
  row: CertificateRow,
  environment: EnvironmentRow,
  usable: readonly EnvironmentRow[],
  inputs: DerivationInputs,
): Derived {
  const placed = environmentsOf(row, usable)
  if (!placed.some((e) => e.id === environment.id)) {
    const names = placed.map((e) => e.name).join(', ') || 'none'
    throw refuse(
      'environmentName',
      `names '${environment.name}', to which certificate '${row.name}' is not assigned (its environments: ${names}); send one of them`,
    )
  }
  const x509 = new X509Certificate(row.pem)
  return finish(certificateJwk(x509.publicKey, x509.raw), inputs, 'CERTIFICATE')
}

/** A key's entry for the environment: the half asked for (AUTO: private when stored). */
export function fromKeyRow(
  keys: readonly Buffer[],
  row: CryptoKeyRow,
  environment: EnvironmentRow,
  inputs: DerivationInputs,
): Derived {
  const entry = keyEntryOf(keys, row, environment.id)
  if (!entry) throw noEntry(`key '${row.name}'`, environment)
  const half = inputs.keyHalf ?? 'AUTO'
  const usePrivate = half === 'AUTO' ? entry.hasPrivate : half === 'PRIVATE_KEY'
  if (usePrivate && !entry.hasPrivate) {
    throw refuse(
      'sourceType',
      `is PRIVATE_KEY, but key '${row.name}' holds only a public key for environment '${environment.name}'; send PUBLIC_KEY`,
    )
  }
  const pem = usePrivate ? entry.privatePem() : entry.publicPem
  if (pem === null) throw noEntry(`key '${row.name}'`, environment)
  const key = usePrivate ? createPrivateKey(pem) : createPublicKey(pem)
  return finish(keyObjectJwk('keyName', key), inputs, usePrivate ? 'PRIVATE_KEY' : 'PUBLIC_KEY')
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
export async function fromKeystoreRow(
  deps: Pick<JwksDeps, 'keystores' | 'atRestKeys'>,
  row: KeystoreRow,
  environment: EnvironmentRow,
  inputs: DerivationInputs,
): Promise<Derived> {
  const entry = keystoreEntryOf(deps, row, environment.id)
  if (!entry) throw noEntry(`keystore '${row.name}'`, environment)
  const asked = inputs.aliasName ?? ''
  const alias = storedAlias(entry.aliases, asked)
  if (alias === undefined) {
    const known = entry.aliases.map((a) => a.alias).join(', ')
    throw refuse(
      'aliasName',
      `'${asked}' is not an alias of keystore '${row.name}' for environment '${environment.name}' (aliases: ${known})`,
    )
  }
  const read = await entry.read(alias, 'keyStoreName')
  const privateKey = read.privateKey === null ? null : pkcs8Key(alias, read.privateKey)
  const certificate = read.certificate === null ? null : Buffer.from(read.certificate)
  return finish(aliasJwk(alias, privateKey, certificate), inputs, 'KEYSTORE')
}
