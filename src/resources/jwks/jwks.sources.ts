import { errors } from '../../errors.ts'
import { authorizeInProject, type Principal } from '../../identity/policy/permissions.ts'
import { type DebugLog, type FetchTarget, fetchSpec } from '../proxies/spec-fetch.ts'
import type { UseType } from './jwks.algorithms.ts'
import { type Material, parseJson, pickJwk } from './jwks.material.ts'
import { MAX_URL_BYTES } from './jwks.schemas.ts'
import {
  type JwksDeps,
  type JwkWrite,
  type Named,
  type SourceType,
  storeJwk,
  writable,
} from './jwks.service.ts'
import * as stored from './jwks.stored.ts'

/*
 * JWKs made from something else: a JWK set URL or pasted text (here), a stored
 * certificate, key or keystore entry (jwks.stored.ts). Create takes any of them by
 * sourceType; each also has a route of its own, with the same fields.
 */

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
    return stored.fromCertificate(deps, principal, projectName, input as stored.CertificateSource)
  }
  if (source === 'KEYSTORE') {
    return stored.fromKeystore(deps, principal, projectName, input as stored.KeystoreSource)
  }
  return stored.fromKey(deps, principal, projectName, input as stored.KeySource, source)
}
