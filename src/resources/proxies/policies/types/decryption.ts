import { Type } from 'typebox'
import { closed, Nullable } from '../policy-fields.ts'
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

export const decryption: PolicyTypeDefinition = {
  type: 'policy-decryption',
  label: 'Decryption',
  fields: {
    policyDecryptionDefList: Type.Array(
      Type.Object(
        {
          ...KEY_FIELDS,
          cipherAlgorithm: Type.Optional(Nullable(CIPHERS)),
          cipherAlgorithmVar: nullableVariable,
          targetVar: Variable,
          ivExists: Type.Optional(Type.Boolean()),
          ivVar: nullableVariable,
          ivEncodingType: nullableEncoding,
          inputEncodingType: Encoding,
        },
        closed,
      ),
      { minItems: 1 },
    ),
  },
  check: (p) => keyIssues(p, 'policyDecryptionDefList'),
}
