import { Type } from 'typebox'
import { closed, Enum, Nullable } from '../policy-fields.ts'
import type { PolicyTypeDefinition } from './definition.ts'

export const apiAuthentication: PolicyTypeDefinition = {
  type: 'policy-api-authentication',
  label: 'API Authentication',
  fields: {
    authType: Type.Optional(Type.String()),
    sendType: Type.Optional(Type.String()),
    usernameFieldName: Type.Optional(Type.String()),
    passwordFieldName: Type.Optional(Type.String()),
    messageContentType: Type.Optional(Enum('XML', 'JSON', 'ALL_BODY')),
    apiAuthCondExpressionList: Type.Optional(
      Type.Array(
        Type.Object(
          {
            id: Type.Optional(Type.Integer()),
            username: Type.String(),
            password: Type.String(),
            policyCondition: Type.Optional(
              Nullable(Type.Object({}, { additionalProperties: true })),
            ),
          },
          closed,
        ),
      ),
    ),
    createdFieldName: Type.Optional(Type.String()),
    nonceFieldName: Type.Optional(Type.String()),
    bodyMessage: Type.Optional(Type.String()),
    bodyMessageInjectionPath: Type.Optional(Type.String()),
    usernameInjectionPath: Type.Optional(Type.String()),
    passwordInjectionPath: Type.Optional(Type.String()),
    authApiName: Type.Optional(Type.String()),
  },
  secrets: ['passwordFieldName', 'apiAuthCondExpressionList.*.password', 'passwordInjectionPath'],
}
