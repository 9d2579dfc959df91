import { Type } from 'typebox'
import type { PolicyTypeDefinition } from './definition.ts'

export const authMtls: PolicyTypeDefinition = {
  type: 'policy-auth-mtls',
  label: 'mTLS Authentication',
  fields: {
    validateCertificate: Type.Optional(Type.Boolean()),
    validateACLForIssuer: Type.Optional(Type.Boolean()),
  },
}
