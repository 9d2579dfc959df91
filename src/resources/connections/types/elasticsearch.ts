import { Type } from 'typebox'
import {
  type Body,
  blob,
  bool,
  type ConnectionTypeDef,
  host,
  int,
  list,
  millis,
  object,
  oneOf,
  port,
  requiredWhen,
  secret,
  text,
} from './definition.ts'
import { hostList } from './targets.ts'

const opt = Type.Optional
const count = () => opt(int(0, 1_000_000_000))
const file = (what: string) => opt(blob(1_048_576, `${what}, base64`))

/** Hot, warm, cold and delete phases; ages in days, sizes in GB. */
const IndexLifecyclePolicy = Type.Unsafe<Body | null>({
  ...object({
    policyName: opt(text(255)),
    enableHotPhase: opt(bool()),
    maxAgeOfRollover: count(),
    maxIndexSizeOfRollover: count(),
    maxDocCountOfRollover: opt(int(0, Number.MAX_SAFE_INTEGER)),
    enableWarmPhase: opt(bool()),
    numberOfReplicasForWarm: count(),
    maxNumShardsForShrink: count(),
    maxNumSegmentsForForceMerge: count(),
    enableColdPhase: opt(bool()),
    minAgeOfCold: count(),
    numberOfReplicasForCold: count(),
    enableDeletePhase: opt(bool()),
    minAgeOfDelete: count(),
  }),
  type: ['object', 'null'],
})

function check(body: Body) {
  const encryption = body.encryptCommunicationType
  return [
    ...requiredWhen(
      body,
      body.authenticate === true,
      'when authenticate is true',
      'elasticUsername',
      'elasticPassword',
    ),
    ...requiredWhen(
      body,
      body.encryptCommunication === true,
      'when encryptCommunication is true',
      'encryptCommunicationType',
    ),
    ...requiredWhen(
      body,
      encryption === 'CA_CERTIFICATE_IN_PKCS_12',
      'for CA_CERTIFICATE_IN_PKCS_12',
      'caCertInPkcs12File',
    ),
    ...requiredWhen(body, encryption === 'CA_IN_PEM_FILE', 'for CA_IN_PEM_FILE', 'caInPemFile'),
    ...requiredWhen(
      body,
      encryption === 'CERT_AND_PRIVATE_KEY_IN_PKCS_12',
      'for CERT_AND_PRIVATE_KEY_IN_PKCS_12',
      'caKeystoreFile',
      'caKeystoreFilePass',
    ),
    ...requiredWhen(
      body,
      body.indexLifecyclePolicyCreated === true,
      'when indexLifecyclePolicyCreated is true',
      'indexLifecyclePolicy',
    ),
    ...requiredWhen(
      body,
      body.indexTemplateCreated === true,
      'when indexTemplateCreated is true',
      'indexTemplateName',
    ),
  ]
}

export const elasticsearch: ConnectionTypeDef = {
  type: 'elasticsearch',
  fields: {
    administrate: opt(bool()),
    elasticHostList: list(
      object({ scheme: opt(oneOf(['http', 'https'])), host: host(), port: opt(port()) }),
      50,
      1,
    ),
    authenticate: opt(bool()),
    elasticUsername: opt(text(256)),
    elasticPassword: opt(secret(1024)),
    encryptCommunication: opt(bool()),
    encryptCommunicationType: opt(
      oneOf(['CA_CERTIFICATE_IN_PKCS_12', 'CA_IN_PEM_FILE', 'CERT_AND_PRIVATE_KEY_IN_PKCS_12']),
    ),
    caCertInPkcs12File: file('CA certificate in PKCS#12'),
    caCertInPkcs12FileContentType: opt(text(128)),
    caInPemFile: file('CA certificate in PEM'),
    caInPemFileContentType: opt(text(128)),
    caTruststoreFile: file('Truststore'),
    caTruststoreFileContentType: opt(text(128)),
    caTruststoreFilePass: opt(secret(1024)),
    // It holds a private key: sealed like a password, not stored in clear.
    caKeystoreFile: opt(secret(1_048_576, 'Keystore with the private key, base64; secret')),
    caKeystoreFileContentType: opt(text(128)),
    caKeystoreFilePass: opt(secret(1024)),
    disableHostnameVerification: opt(bool()),
    indexLifecyclePolicyCreated: opt(bool()),
    indexLifecyclePolicy: opt(IndexLifecyclePolicy),
    indexTemplateCreated: opt(bool()),
    indexTemplateName: opt(text(255)),
    indexName: opt(text(255)),
    indexTemplateNumberOfShards: count(),
    indexTemplateNumberOfReplicas: count(),
    indexTemplateRefreshInterval: opt(text(32)),
    connectionTimeoutInMs: opt(millis()),
    socketReuseAddress: opt(bool()),
    socketKeepAlive: opt(bool()),
    ioThreads: opt(int(0, 1024)),
    maxConnectionPerHost: count(),
    maxConnectionTotal: count(),
    elasticsearchType: opt(
      oneOf(['READ_WRITE', 'READ'], {
        description:
          'The docs name this field `type` too, beside the discriminator; a body whose `type` is READ_WRITE or READ is read as an elasticsearch connection with that elasticsearchType',
      }),
    ),
  },
  target: { elasticHostList: hostList({ scheme: 'http', port: 9200 }) },
  check,
}
