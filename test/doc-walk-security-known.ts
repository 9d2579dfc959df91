import { generateKeyPairSync } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { readDocPage } from './doc-walk-support.ts'

/*
 * Where apiops answers a documented example of the security sections otherwise than the
 * page, on purpose (CONTRACT.md and docs/api.md outrank the pages), or for now. The walk
 * asserts each entry: when the difference disappears, the walk fails and the entry goes.
 * Keys are page ids, or `folder/*` for every page of a folder. `op` names a type page's
 * section (`Add Policy`), `example` the example (1-based), `when` the bodies it is about.
 * A 4xx entry's `adapt` is the body apiops takes instead, which must then answer as the
 * page documents; `asAdmin` sends it again as an admin. A 200 entry's `tolerate` lists
 * the answer-shape problems it explains, each of which must still occur.
 */

// biome-ignore lint/suspicious/noExplicitAny: example bodies are walked field by field
type Json = Record<string, any>

export interface Known {
  op?: string
  example?: number
  when?: (body: Json) => boolean
  status: number
  reason: string
  adapt?: (body: Json, state: Record<string, string>) => Json
  asAdmin?: boolean
  tolerate?: string[]
}

const der = (key: { export(o: object): Buffer | string }, type: string) =>
  (key.export({ type, format: 'der' }) as Buffer).toString('base64')

/** The create-key example with real key material in place of its placeholders. */
function realKey(): Json {
  const example = structuredClone(
    readDocPage('08-keys-secrets/crud/create-key').examples[0],
  ) as Json
  const pair = generateKeyPairSync('rsa', { modulusLength: 2048 })
  Object.assign(example.cryptoKeyInfoEnvironmentList[0], {
    publicKey: der(pair.publicKey, 'spki'),
    privateKey: der(pair.privateKey, 'pkcs8'),
  })
  return example
}

/** The create-keystore example with a real JKS file (store password "changeit"). */
function realKeystore(): Json {
  const page = readDocPage('08-keys-secrets/crud/create-keystore')
  const example = structuredClone(page.examples[0]) as Json
  const jks = readFileSync(new URL('./fixtures/keystore.jks', import.meta.url)).toString('base64')
  Object.assign(example.keyStoreEnvironmentList[0], { file: jks, password: 'changeit' })
  return example
}

/** A pasted JWK whose `n` is a real modulus, not the pages' "...". */
const realJwk = (body: Json): Json => {
  const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  return { ...body, jwkStr: JSON.stringify(publicKey.export({ format: 'jwk' })) }
}

const PLACEHOLDER =
  "the example's key material is a placeholder ('base64-encoded-...', '\"n\":\"...\"'), which apiops refuses naming the field; the walk sends real material in its place"
const ELIDED =
  "the page's only example elides a list with [...] (no JSON to send); the page says the body is the complete object, so the walk sends the create page's example"
/** The policy pages that write the body flat (type, name and operationMetadata side by side). */
const flat = (b: Json) => b.policy === undefined && typeof b.type === 'string'
const enveloped = (b: Json): Json => {
  const { operationMetadata, name: _name, ...policy } = b
  return {
    operationMetadata: { ...operationMetadata, targetScope: 'ALL' },
    policy,
  }
}
/** A delete of the walked policy, in the pipeline its last write put it. */
const deleteBody = (targetPipeline: string) => ({
  operationMetadata: {
    targetScope: 'ALL',
    targetPipeline,
    deploy: true,
    deployTargetEnvironmentNameList: ['production'],
  },
})
const withoutMyApi = (b: Json): Json => ({
  ...b,
  credentialAccessList: b.credentialAccessList.filter((a: Json) => a.name !== 'MyAPI'),
})

export const KNOWN: Record<string, Known[]> = {
  '11-ip-groups/crud/update-ip-group': [
    {
      status: 400,
      reason:
        'an IP group is named by its path and cannot be renamed; the example renames the group the create page made to another name',
      adapt: (b, state) => ({ ...b, name: state.ipGroupName }),
    },
  ],
  '07-credentials/crud/list-credentials': [
    {
      status: 200,
      reason: 'a credential without expiry (the first create example) reads expireDate null',
      tolerate: ['resultList[0].expireDate is null, documented as string'],
    },
  ],
  '07-credentials/access/grant-access': [
    {
      example: 2,
      status: 409,
      reason:
        "apiops refuses to grant an access the credential has (409); the second example repeats the first's MyAPI",
      adapt: withoutMyApi,
    },
  ],
  '07-credentials/access/revoke-access': [
    {
      example: 2,
      status: 404,
      reason:
        "revoking an access the credential does not have is a 404; the second example repeats the first's MyAPI",
      adapt: withoutMyApi,
    },
  ],
  '08-keys-secrets/crud/create-key': [{ status: 400, reason: PLACEHOLDER, adapt: realKey }],
  '08-keys-secrets/crud/update-key': [{ status: 400, reason: ELIDED, adapt: realKey }],
  '08-keys-secrets/crud/create-keystore': [
    { status: 400, reason: PLACEHOLDER, adapt: realKeystore },
  ],
  '08-keys-secrets/crud/update-keystore': [{ status: 400, reason: ELIDED, adapt: realKeystore }],
  '08-keys-secrets/crud/create-jwk': [
    {
      example: 1,
      status: 400,
      reason:
        "the example's JWK set URL (example.com) cannot be fetched from the test; the SSRF-safe fetch refuses it (test/jwks.test.ts covers a set fetched from an allowed server)",
    },
    { example: 2, status: 400, reason: PLACEHOLDER, adapt: realJwk },
  ],
  '08-keys-secrets/crud/parse-jwk-from-clipboard': [
    { status: 400, reason: PLACEHOLDER, adapt: realJwk },
  ],
  '08-keys-secrets/crud/parse-jwk-from-url': [
    {
      status: 400,
      reason:
        "the example's JWK set URL (example.com) cannot be fetched from the test; the SSRF-safe fetch refuses it",
    },
  ],
  '08-keys-secrets/crud/parse-jwk-from-keystore': [
    {
      status: 400,
      reason:
        "the walk's keystore is a real PKCS#12 file whose entries are named gateway (an EC key) and trusted-ca; the example's alias (my-alias) is not among them, a 400 naming aliasName; the walk then reads gateway, with an algorithm an EC key can have",
      adapt: (b) => ({ ...b, aliasName: 'gateway', algorithm: 'ES256' }),
    },
  ],
  '08-keys-secrets/crud/list-jwks': [
    {
      status: 200,
      reason: 'a generated JWK (the first listed) has no source URL: sourceUrl reads null',
      tolerate: ['resultList[0].sourceUrl is null, documented as string'],
    },
  ],
  '08-keys-secrets/crud/get-jwk': [
    {
      status: 200,
      reason:
        "the walked JWK is the pasted one (create-jwk's second example): no source URL and no kid were given; and the page shows the private parts (d, p, q), which apiops never returns (CONTRACT.md: secrets are never answered)",
      tolerate: [
        'resultList[0].sourceUrl is null, documented as string',
        'resultList[0].kid is null, documented as string',
        'resultList[0].rsa.d is missing',
        'resultList[0].rsa.p is missing',
        'resultList[0].rsa.q is missing',
      ],
    },
  ],
  '12-rlcl/condition/add-condition': [
    {
      example: 2,
      status: 409,
      reason:
        'an RLCL has one condition: adding a second is a 409 that points at PUT (update-condition replaces it)',
    },
  ],
  '06-connections/connections/connection-email': [
    {
      op: 'Get Connection',
      status: 200,
      reason: 'addressToTest is an input of the connection test, not a stored field: not read back',
      tolerate: ['resultList[0].addressToTest is missing'],
    },
  ],
  '06-connections/connections/connection-kafka': [
    {
      op: 'Get Connection',
      status: 200,
      reason:
        'the page reads back keyStoreId / trustStoreId, ids of Apinizer objects the example never names; apiops reads back what was sent',
      tolerate: ['resultList[0].keyStoreId is missing', 'resultList[0].trustStoreId is missing'],
    },
  ],
  '06-connections/connections/connection-rabbitmq': [
    {
      op: 'Get Connection',
      status: 200,
      reason:
        'the page reads back a client name the walked example did not send; apiops reads back what was sent',
      tolerate: ['resultList[0].connectionFactoryClientProperties.clientName is missing'],
    },
  ],
  '06-connections/connections/connection-snmp': [
    {
      op: 'Get Connection',
      status: 200,
      reason:
        "pduVariableMap is keyed by OIDs (data, not fields): the page's OIDs are not the walked example's",
      tolerate: ['resultList[0].pduVariableMap.1.3.6.1.4.1.12345.1.3 is missing'],
    },
  ],
  '05-policies/policies/*': [
    {
      op: 'Delete Policy',
      when: (b) => Object.keys(b).length === 0,
      status: 400,
      reason:
        "the page's delete shows no body; apiops's delete takes {operationMetadata} (which pipeline), as the Delete Policy page documents",
      adapt: (_b, state) => deleteBody(state.policyPipeline ?? 'REQUEST'),
    },
    {
      op: 'Delete Policy',
      status: 200,
      reason:
        'a policy write answers deploymentResult only when it deploys (docs/api.md); the example deletes with deploy false',
      tolerate: ['deploymentResult is missing'],
    },
    {
      op: 'List Policies',
      status: 200,
      reason:
        "the type pages wrap each proxy's lists in `apiProxy`; the List Policies page shows them flat, which apiops follows",
      tolerate: ['resultList[0].apiProxy is missing'],
    },
    {
      when: flat,
      status: 400,
      reason:
        "the page writes the policy flat, beside its name and operationMetadata (scope API_PROXY); apiops takes the Add Policy page's envelope, with scope ALL",
      adapt: enveloped,
    },
  ],
  '05-policies/policies/policy-request-protocol-transformation': [
    {
      op: 'Update Policy',
      status: 400,
      reason:
        "the page shows no body: the proxy's SOAP/REST setting makes this policy, and apiops refuses to add or change it by hand",
    },
  ],
  '05-policies/policies/policy-response-protocol-transformation': [
    {
      op: 'Update Policy',
      status: 400,
      reason:
        "the page shows no body: the proxy's SOAP/REST setting makes this policy, and apiops refuses to add or change it by hand",
    },
  ],
  '13-geolocation/enable-geolocation': [
    {
      status: 403,
      reason: 'settings of the whole instance need ROLE_ADMIN in apiops; the pages name none',
      asAdmin: true,
    },
  ],
  '13-geolocation/upload-mmdb-file': [
    {
      status: 403,
      reason: 'settings of the whole instance need ROLE_ADMIN in apiops; the pages name none',
      asAdmin: true,
    },
  ],
  '13-geolocation/disable-geolocation': [
    {
      status: 403,
      reason: 'settings of the whole instance need ROLE_ADMIN in apiops; the pages name none',
      asAdmin: true,
    },
  ],
}
