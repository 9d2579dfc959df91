import { Type } from 'typebox'
import { closed } from '../policy-fields.ts'
import { Variable } from '../policy-variable.ts'
import {
  CIPHERS,
  Encoding,
  KEY_FIELDS,
  keyIssues,
  nullableEncoding,
  nullableVariable,
} from './crypto-fields.ts'
import type { PolicyTypeDefinition } from './definition.ts'

export const encryption: PolicyTypeDefinition = {
  type: 'policy-encryption',
  label: 'Encryption',
  fields: {
    policyEncryptionDefList: Type.Array(
      Type.Object(
        {
          ...KEY_FIELDS,
          cipherAlgorithm: CIPHERS,
          cipherAlgorithmVar: nullableVariable,
          targetVar: Variable,
          createIV: Type.Optional(Type.Boolean()),
          ivEncodingType: nullableEncoding,
          ivVar: nullableVariable,
          outputEncodingType: Encoding,
        },
        closed,
      ),
      { minItems: 1 },
    ),
  },
  check: (p) => keyIssues(p, 'policyEncryptionDefList'),
}
