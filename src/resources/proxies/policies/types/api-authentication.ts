import { Type } from 'typebox'
import { PolicyConditionSchema } from '../policies.condition.ts'
import { closed, Enum, Nullable } from '../policy-fields.ts'
import type { PolicyIssue, PolicyTypeDefinition } from './definition.ts'

const text = Type.Optional(Type.String())

/** Either a named authentication API or conditional expressions; the latter need both enums. */
function check(policy: Readonly<Record<string, unknown>>): PolicyIssue[] {
  const list = policy.apiAuthCondExpressionList as unknown[] | undefined
  if (!policy.authApiName && (list?.length ?? 0) === 0) {
    return [
      {
        field: 'policy.apiAuthCondExpressionList',
        message: 'must hold at least one expression when authApiName is not given',
      },
    ]
  }
  if (policy.authApiName) return []
  return (['authType', 'sendType'] as const)
    .filter((f) => !policy[f])
    .map((f) => ({
      field: `policy.${f}`,
      message: 'is required with apiAuthCondExpressionList',
    }))
}

export const apiAuthentication: PolicyTypeDefinition = {
  type: 'policy-api-authentication',
  label: 'API Authentication',
  fields: {
    authType: Type.Optional(Enum('BASIC', 'BASE64', 'DIGEST', 'API')),
    sendType: Type.Optional(Enum('HEADER', 'PARAM', 'BODY_MESSAGE', 'BODY_INJECTION')),
    messageContentType: Type.Optional(Enum('XML', 'JSON', 'ALL_BODY')),
    usernameFieldName: text,
    passwordFieldName: text,
    createdFieldName: text,
    nonceFieldName: text,
    bodyMessage: text,
    bodyMessageInjectionPath: text,
    usernameInjectionPath: text,
    passwordInjectionPath: text,
    createdInjectionPath: text,
    nonceInjectionPath: text,
    authApiName: text,
    apiAuthCondExpressionList: Type.Optional(
      Type.Array(
        Type.Object(
          {
            id: Type.Optional(Type.Integer()),
            username: Type.String(),
            password: Type.String({ description: 'Secret: sealed at rest, read as the mask' }),
            policyCondition: Type.Optional(Nullable(PolicyConditionSchema)),
          },
          closed,
        ),
      ),
    ),
  },
  secrets: ['apiAuthCondExpressionList.*.password'],
  check,
}
