import { Type } from 'typebox'
import { closed, Enum, Nullable, Variable } from '../policy-fields.ts'
import type { PolicyTypeDefinition } from './definition.ts'

export const digitalSign: PolicyTypeDefinition = {
  type: 'policy-digital-sign',
  label: 'Digital Sign',
  fields: {
    policyDigitalSignDefList: Type.Array(
      Type.Object(
        {
          id: Type.Optional(Type.String()),
          description: Type.Optional(Type.String()),
          sourceVar: Variable,
          signatureVar: Variable,
          signatureAlgorithm: Type.String(),
          signatureAlgorithmVar: Type.Optional(
            Nullable(Type.Object({}, { additionalProperties: true })),
          ),
          enumKeyCertificateType: Type.Optional(Enum('KEY', 'CERTIFICATE')),
          cryptoKeyInfoId: Type.Optional(Nullable(Type.String())),
          certificateId: Type.Optional(Nullable(Type.String())),
          outputEncodingType: Type.Optional(Enum('BASE64', 'HEXADECIMAL')),
        },
        closed,
      ),
    ),
  },
}
