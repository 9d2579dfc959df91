import { Type } from 'typebox'
import { closed, Enum, Nullable, Variable } from '../policy-fields.ts'
import type { PolicyTypeDefinition } from './definition.ts'

export const encryption: PolicyTypeDefinition = {
  type: 'policy-encryption',
  label: 'Encryption',
  fields: {
    policyEncryptionDefList: Type.Array(
      Type.Object(
        {
          id: Type.Optional(Type.String()),
          description: Type.Optional(Type.String()),
          sourceVar: Variable,
          targetVar: Variable,
          cipherAlgorithm: Type.String(),
          cryptoKeyInfoId: Type.Optional(Nullable(Type.String())),
          certificateId: Type.Optional(Nullable(Type.String())),
          enumKeyCertificateType: Type.Optional(Enum('KEY', 'CERTIFICATE')),
          createIV: Type.Optional(Type.Boolean()),
          ivEncodingType: Type.Optional(Nullable(Enum('BASE64', 'HEXADECIMAL'))),
          ivVar: Type.Optional(Nullable(Variable)),
          cipherAlgorithmVar: Type.Optional(
            Nullable(Type.Object({}, { additionalProperties: true })),
          ),
          outputEncodingType: Enum('BASE64', 'HEXADECIMAL'),
        },
        closed,
      ),
    ),
  },
}
