import { X509Certificate } from 'node:crypto'
import type { ProjectRow } from '../../db/schema.ts'
import { errors } from '../../errors.ts'
import { authorizeInProject, type Principal } from '../../identity/policy/permissions.ts'
import { findCertificate } from '../certificates/certificates.repository.ts'
import { listEnvironmentsOfProject } from '../environments/environments.repository.ts'
import { type DebugLog, type FetchTarget, fetchSpec } from '../proxies/spec-fetch.ts'
import { checkAlgorithm, jwkUse, type UseType } from './jwks.algorithms.ts'
import { certificateJwk, type Material, parseJson, pickJwk } from './jwks.material.ts'
import { MAX_URL_BYTES } from './jwks.schemas.ts'
import {
  checkNameFree,
  type JwksDeps,
  type JwkWrite,
  type SourceType,
  storeJwk,
} from './jwks.service.ts'

/*
 * JWKs made from something else: a JWK set URL, pasted text, a stored certificate, and
 * (once their tables exist) stored keys and keystores. Create takes any of them by
 * sourceType; each also has a route of its own, with the same fields.
 */

export interface Named {
  name: string
  description?: string | null | undefined
}
export interface UrlSource extends Named {
  url: string
  urlOptionConnectTimeout?: number | undefined
  urlOptionReadTimeout?: number | undefined
  urlOptionSizeLimit?: number | undefined
  kid?: string | undefined
}
export interface TextSource extends Named {
  jwkStr: string
  kid?: string | undefined
}
export interface Derived extends Named {
  environmentName: string
  useType: UseType
  algorithm: string
}
export interface CertificateSource extends Derived {
  certificateName: string
}

const JWKS_TARGET: FetchTarget = {
  field: 'url',
  what: 'JWK sets',
  accept: 'application/jwk-set+json, application/json;q=0.9, */*;q=0.5',
  logMessage: 'JWK set fetch failed',
  document: 'the JWK set',
}

const declaredUse = (material: Material): UseType | null =>
  material.publicJwk.use === 'sig'
    ? 'SIGNATURE'
    : material.publicJwk.use === 'enc'
      ? 'ENCRYPTION'
      : null
const algOfJwk = (material: Material) =>
  typeof material.publicJwk.alg === 'string' ? material.publicJwk.alg : null

async function writable(deps: JwksDeps, principal: Principal, projectName: string, name: string) {
  const project = await authorizeInProject(deps, principal, 'security.write', projectName)
  await checkNameFree(deps, project, name)
  return project
}

/**
 * Fetched as specs are (src/resources/proxies/spec-fetch.ts): public addresses only
 * unless the operator allows more, no redirects, and one answer for every failure. The
 * caller's timeouts and size limit apply within the operator's.
 */
export async function fromUrl(
  deps: JwksDeps,
  principal: Principal,
  projectName: string,
  input: UrlSource,
  log: DebugLog,
): Promise<JwkWrite> {
  const project = await writable(deps, principal, projectName, input.name)
  const limits = deps.specImport.fetch
  const asked = (input.urlOptionConnectTimeout ?? 5000) + (input.urlOptionReadTimeout ?? 10_000)
  const options = {
    ...limits,
    timeoutMs: Math.min(limits.timeoutMs, asked),
    maxBytes: Math.min(limits.maxBytes, input.urlOptionSizeLimit ?? MAX_URL_BYTES),
  }
  const bytes = await fetchSpec(input.url, options, log, JWKS_TARGET)
  const document = parseJson('url', Buffer.from(bytes).toString('utf8'))
  const material = pickJwk('url', document, input.kid)
  return storeJwk(deps, project, {
    ...input,
    sourceType: 'URL',
    sourceUrl: input.url,
    material,
    use: declaredUse(material),
    algorithm: algOfJwk(material),
  })
}

export async function fromText(
  deps: JwksDeps,
  principal: Principal,
  projectName: string,
  input: TextSource,
): Promise<JwkWrite> {
  const project = await writable(deps, principal, projectName, input.name)
  const material = pickJwk('jwkStr', parseJson('jwkStr', input.jwkStr), input.kid)
  return storeJwk(deps, project, {
    ...input,
    sourceType: 'COPY_PASTE',
    material,
    use: declaredUse(material),
    algorithm: algOfJwk(material),
  })
}

/** The environment named must be one the project may use. */
async function checkEnvironment(deps: JwksDeps, project: ProjectRow, name: string) {
  const usable = await listEnvironmentsOfProject(deps.db, project.id)
  if (!usable.some((e) => e.name === name)) {
    throw errors.notFound(`Environment '${name}' (one project '${project.name}' may use)`)
  }
}

/** The certificate's public key, with the use and algorithm asked for (which must fit it). */
export async function fromCertificate(
  deps: JwksDeps,
  principal: Principal,
  projectName: string,
  input: CertificateSource,
): Promise<JwkWrite> {
  const project = await writable(deps, principal, projectName, input.name)
  await checkEnvironment(deps, project, input.environmentName)
  const certificate = await findCertificate(deps.db, project.id, input.certificateName)
  if (!certificate) {
    throw errors.notFound(`Certificate '${input.certificateName}' in project '${project.name}'`)
  }
  const x509 = new X509Certificate(certificate.pem)
  const material = certificateJwk(x509.publicKey, x509.raw)
  const algorithm = checkAlgorithm('algorithm', input.algorithm, input.useType, material.facts)
  material.publicJwk.use = jwkUse(input.useType)
  material.publicJwk.alg = algorithm
  return storeJwk(deps, project, {
    ...input,
    sourceType: 'CERTIFICATE',
    sourceId: certificate.id,
    material,
    use: input.useType,
    algorithm,
  })
}

/**
 * Stored keys and keystores are another part of this issue, not in this build yet:
 * the routes are here (so the paths answer, and roles are checked), saying so.
 */
export async function fromMissingStore(
  deps: JwksDeps,
  principal: Principal,
  projectName: string,
  what: 'keys' | 'keystores',
): Promise<never> {
  await authorizeInProject(deps, principal, 'security.write', projectName)
  throw errors.notImplemented(
    `JWKs from stored ${what} need the ${what} API, which this build does not have yet. Paste the key as a JWK instead (POST .../jwks/parse-from-clipboard), or upload its certificate and use parse-from-certificate.`,
  )
}

export type CreateInput = Named & {
  sourceType: SourceType
  url?: string | undefined
  urlOptionConnectTimeout?: number | undefined
  urlOptionReadTimeout?: number | undefined
  urlOptionSizeLimit?: number | undefined
  kid?: string | undefined
  jwkStr?: string | undefined
  certificateName?: string | undefined
  keyName?: string | undefined
  keyStoreName?: string | undefined
  aliasName?: string | undefined
  environmentName?: string | undefined
  useType?: UseType | undefined
  algorithm?: string | undefined
}

const NEEDS: Partial<Record<SourceType, (keyof CreateInput)[]>> = {
  URL: ['url'],
  COPY_PASTE: ['jwkStr'],
  CERTIFICATE: ['certificateName', 'environmentName', 'useType', 'algorithm'],
  PUBLIC_KEY: ['keyName', 'environmentName', 'useType', 'algorithm'],
  PRIVATE_KEY: ['keyName', 'environmentName', 'useType', 'algorithm'],
  KEYSTORE: ['keyStoreName', 'aliasName', 'environmentName', 'useType', 'algorithm'],
}

/** Create: the fields the source type needs must be there; then as its own route. */
export async function createJwk(
  deps: JwksDeps,
  principal: Principal,
  projectName: string,
  input: CreateInput,
  log: DebugLog,
): Promise<JwkWrite> {
  // Membership first: a project the caller cannot see is a 404 whatever the body says.
  await authorizeInProject(deps, principal, 'security.write', projectName)
  const source = input.sourceType
  if (source === 'GENERATE') {
    throw errors.validationFailed([
      {
        field: 'sourceType',
        message: 'GENERATE is done by POST .../jwks/generate, which takes the key type and size',
      },
    ])
  }
  const missing = (NEEDS[source] ?? []).filter((field) => input[field] === undefined)
  if (missing.length > 0) {
    throw errors.validationFailed(
      missing.map((field) => ({ field, message: `is required when sourceType is ${source}` })),
    )
  }
  if (source === 'URL') return fromUrl(deps, principal, projectName, input as UrlSource, log)
  if (source === 'COPY_PASTE') return fromText(deps, principal, projectName, input as TextSource)
  if (source === 'CERTIFICATE') {
    return fromCertificate(deps, principal, projectName, input as CertificateSource)
  }
  return fromMissingStore(
    deps,
    principal,
    projectName,
    source === 'KEYSTORE' ? 'keystores' : 'keys',
  )
}
