import { Type } from 'typebox'
import type { PolicyTypeDefinition } from './definition.ts'

export const authOauth2: PolicyTypeDefinition = {
  type: 'policy-auth-oauth2',
  label: 'OAuth2 Authentication',
  fields: {
    tokenNeverExpires: Type.Optional(Type.Boolean()),
    tokenExpiresInAmount: Type.Optional(Type.Integer()),
    tokenExpiresInUnit: Type.Optional(Type.String()),
    refreshTokenAllowed: Type.Optional(Type.Boolean()),
    refreshTokenCount: Type.Optional(Type.Integer()),
    refreshTokenExpiresInAmount: Type.Optional(Type.Integer()),
    refreshTokenExpiresInUnit: Type.Optional(Type.String()),
    allowUrlParameters: Type.Optional(Type.Boolean()),
    managedFromThisPolicy: Type.Optional(Type.Boolean()),
    grantType: Type.Optional(Type.String()),
    deletePrevious: Type.Optional(Type.Boolean()),
  },
}
