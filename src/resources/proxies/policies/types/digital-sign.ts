import { Type } from 'typebox'
import { closed } from '../policy-fields.ts'
import { Variable } from '../policy-variable.ts'
import { Encoding, KEY_FIELDS, keyIssues, nullableVariable, SIGNATURES } from './crypto-fields.ts'
import type { PolicyTypeDefinition } from './definition.ts'

export const digitalSign: PolicyTypeDefinition = {
  type: 'policy-digital-sign',
  label: 'Digital Sign',
  fields: {
    policyDigitalSignDefList: Type.Array(
      Type.Object(
        {
          ...KEY_FIELDS,
          signatureVar: Variable,
          signatureAlgorithm: SIGNATURES,
          signatureAlgorithmVar: nullableVariable,
          outputEncodingType: Type.Optional(Encoding),
        },
        closed,
      ),
      { minItems: 1 },
    ),
  },
  check: (p) => keyIssues(p, 'policyDigitalSignDefList'),
}
