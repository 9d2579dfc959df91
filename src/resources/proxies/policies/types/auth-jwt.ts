import { Enum, TOKEN_LIFETIME, tokenLifetimeIssues } from '../policy-fields.ts'
import type { PolicyTypeDefinition } from './definition.ts'

export const authJwt: PolicyTypeDefinition = {
  type: 'policy-auth-jwt',
  label: 'JWT Authentication',
  fields: {
    ...TOKEN_LIFETIME,
    jwtSignatureAlgorithm: Enum(
      'HS256',
      'HS384',
      'HS512',
      'RS256',
      'RS384',
      'RS512',
      'ES256',
      'ES384',
      'ES512',
    ),
  },
  check: tokenLifetimeIssues,
}
