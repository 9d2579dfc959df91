import { Type } from 'typebox'
import { enumOf } from '../../settings/settings.fields.ts'
import { Variable } from '../policy-variable.ts'
import type { PolicyIssue, PolicyTypeDefinition } from './definition.ts'
import {
  ClaimMap,
  ClaimNames,
  chosenVariable,
  Flag,
  flag,
  JOSE_TARGETS,
  maybe,
  need,
  optional,
  RefName,
  Text,
} from './shared-b.ts'

const TIME_UNITS = [
  'MILLI_SECONDS',
  'SECONDS',
  'MINUTES',
  'HOURS',
  'DAYS',
  'WEEKS',
  'MONTHS',
  'YEARS',
] as const
const JWK_ENCRYPTION_METHODS = [
  'A128CBC_HS256',
  'A192CBC_HS384',
  'A256CBC_HS512',
  'A128CBC_HS256_DEPRECATED',
  'A256CBC_HS512_DEPRECATED',
  'A128GCM',
  'A192GCM',
  'A256GCM',
  'XC20P',
] as const

type Fields = Readonly<Record<string, unknown>>

/** Each standard claim switched on (its documented default is on) needs its value. */
function claimIssues(policy: Fields): PolicyIssue[] {
  const on = (key: string) => flag(policy, key, true)
  return [
    ...need(policy, 'policy', 'issuer', on('addIssuer'), 'addIssuer is true (the default)'),
    ...need(
      policy,
      'policy',
      'audienceList',
      on('addAudience'),
      'addAudience is true (the default)',
    ),
    ...need(policy, 'policy', 'subject', on('addSubject'), 'addSubject is true (the default)'),
    ...need(
      policy,
      'policy',
      'typeValue',
      on('addTypeToHeader'),
      'addTypeToHeader is true (the default)',
    ),
    ...['expirationTimeValue', 'expirationTimeUnit'].flatMap((key) =>
      need(
        policy,
        'policy',
        key,
        on('addExpirationTime'),
        'addExpirationTime is true (the default)',
      ),
    ),
  ]
}

/** Signing and encryption with the proxy's own JWK name that JWK. */
function keyIssues(policy: Fields): PolicyIssue[] {
  const sign = flag(policy, 'sign', true)
  const encrypt = flag(policy, 'encrypt', true)
  return [
    ...need(
      policy,
      'policy',
      'jwkIdForValidationAndSign',
      sign && !flag(policy, 'signByIssuer', true),
      'sign is true and signByIssuer is false',
    ),
    ...need(policy, 'policy', 'encryptionMethod', encrypt, 'encrypt is true (the default)'),
    ...need(
      policy,
      'policy',
      'jwkIdForDecryptionAndEncryption',
      encrypt && !flag(policy, 'encryptByIssuer', true),
      'encrypt is true and encryptByIssuer is false',
    ),
  ]
}

export const joseImplementation: PolicyTypeDefinition = {
  type: 'policy-jose-implementation',
  label: 'JOSE token creation',
  fields: {
    joseTarget: enumOf([...JOSE_TARGETS, 'EMPTY']),
    joseTargetVariable: maybe(Variable),
    jwtClaimsClaim: maybe(Text(200)),
    escapeJsonString: Flag,
    addIssueTime: Flag,
    addJWTID: Flag,
    addIssuer: Flag,
    issuer: maybe(Text(1000)),
    addAudience: Flag,
    audienceList: optional(ClaimNames),
    addSubject: Flag,
    subject: maybe(Text(1000)),
    addTypeToHeader: Flag,
    typeValue: maybe(Text(100)),
    addExpirationTime: Flag,
    expirationTimeValue: maybe(Type.Integer({ minimum: 1, maximum: 1_000_000_000 })),
    expirationTimeUnit: maybe(enumOf(TIME_UNITS)),
    additionalClaimMap: optional(ClaimMap),
    sign: Flag,
    signByIssuer: Flag,
    jwkIdForValidationAndSign: maybe(RefName),
    encrypt: Flag,
    encryptByIssuer: Flag,
    jwkIdForDecryptionAndEncryption: maybe(RefName),
    encryptionMethod: maybe(enumOf(JWK_ENCRYPTION_METHODS)),
    encodedClaimsTargetForDataManipulation: optional(enumOf(JOSE_TARGETS)),
    decodedClaimsTargetVariableForDataManipulation: maybe(Variable),
  },
  check: (policy) => [
    ...chosenVariable(policy, 'joseTarget', 'joseTargetVariable'),
    ...claimIssues(policy),
    ...keyIssues(policy),
    ...chosenVariable(
      policy,
      'encodedClaimsTargetForDataManipulation',
      'decodedClaimsTargetVariableForDataManipulation',
    ),
  ],
}
