import { Type } from 'typebox'
import { closed, Nullable } from '../policy-fields.ts'
import { Variable } from '../policy-variable.ts'
import { Encoding, KEY_FIELDS, keyIssues, nullableVariable, SIGNATURES } from './crypto-fields.ts'
import type { PolicyTypeDefinition } from './definition.ts'

export const digitalSignVerification: PolicyTypeDefinition = {
  type: 'policy-digital-sign-verification',
  label: 'Digital Sign Verification',
  fields: {
    policyDigitalSignVerificationDefList: Type.Array(
      Type.Object(
        {
          ...KEY_FIELDS,
          signatureVar: Variable,
          signatureAlgorithm: Type.Optional(Nullable(SIGNATURES)),
          signatureAlgorithmVar: nullableVariable,
          inputEncodingType: Type.Optional(Encoding),
        },
        closed,
      ),
      { minItems: 1 },
    ),
  },
  check: (p) => [
    ...keyIssues(p, 'policyDigitalSignVerificationDefList'),
    // The algorithm is given, or read from a variable: one of the two.
    ...((p.policyDigitalSignVerificationDefList as Record<string, unknown>[] | undefined) ?? [])
      .map((d, i) => [d, i] as const)
      .filter(([d]) => !d.signatureAlgorithm && !d.signatureAlgorithmVar)
      .map(([, i]) => ({
        field: `policy.policyDigitalSignVerificationDefList.${i}.signatureAlgorithm`,
        message: 'is required when signatureAlgorithmVar is not given',
      })),
  ],
}
