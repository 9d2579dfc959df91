import { Type } from 'typebox'
import { closed, Enum, Nullable, Variable } from '../policy-fields.ts'
import type { PolicyTypeDefinition } from './definition.ts'

export const digitalSignVerification: PolicyTypeDefinition = {
  type: 'policy-digital-sign-verification',
  label: 'Digital Sign Verification',
  fields: {
    policyDigitalSignVerificationDefList: Type.Array(
      Type.Object(
        {
          id: Type.Optional(Type.String()),
          description: Type.Optional(Type.String()),
          sourceVar: Variable,
          signatureVar: Variable,
          signatureAlgorithm: Type.Optional(Nullable(Type.String())),
          signatureAlgorithmVar: Type.Optional(Nullable(Variable)),
          enumKeyCertificateType: Type.Optional(Enum('KEY', 'CERTIFICATE')),
          cryptoKeyInfoId: Type.Optional(Nullable(Type.String())),
          certificateId: Type.Optional(Nullable(Type.String())),
          inputEncodingType: Type.Optional(Enum('BASE64', 'HEXADECIMAL')),
        },
        closed,
      ),
    ),
  },
}
