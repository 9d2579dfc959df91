import { Type } from 'typebox'
import { TOKEN_LIFETIME, tokenLifetimeIssues } from '../policy-fields.ts'
import type { PolicyTypeDefinition } from './definition.ts'

export const authOauth2: PolicyTypeDefinition = {
  type: 'policy-auth-oauth2',
  label: 'OAuth2 Authentication',
  fields: {
    ...TOKEN_LIFETIME,
    deletePrevious: Type.Optional(Type.Boolean()),
  },
  check: tokenLifetimeIssues,
}
