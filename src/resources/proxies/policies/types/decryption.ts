import { Type } from 'typebox'
import { closed, Enum, Nullable, Variable } from '../policy-fields.ts'
import type { PolicyTypeDefinition } from './definition.ts'

export const decryption: PolicyTypeDefinition = {
  type: 'policy-decryption',
  label: 'Decryption',
  fields: {
    policyDecryptionDefList: Type.Array(
      Type.Object(
        {
          id: Type.Optional(Type.String()),
          description: Type.Optional(Type.String()),
          sourceVar: Variable,
          targetVar: Variable,
          cipherAlgorithm: Type.Optional(Nullable(Type.String())),
          cipherAlgorithmVar: Type.Optional(Nullable(Variable)),
          cryptoKeyInfoId: Type.Optional(Nullable(Type.String())),
          certificateId: Type.Optional(Nullable(Type.String())),
          enumKeyCertificateType: Type.Optional(Enum('KEY', 'CERTIFICATE')),
          ivExists: Type.Optional(Type.Boolean()),
          ivVar: Type.Optional(Nullable(Variable)),
          ivEncodingType: Type.Optional(Nullable(Enum('BASE64', 'HEXADECIMAL'))),
          inputEncodingType: Enum('BASE64', 'HEXADECIMAL'),
        },
        closed,
      ),
    ),
  },
}
