import { Type } from 'typebox'
import { closed, Enum, Nullable } from '../policy-fields.ts'
import { Variable } from '../policy-variable.ts'
import type { PolicyIssue, PolicyTypeDefinition } from './definition.ts'

const text = Type.Optional(Type.String())
const flag = Type.Optional(Type.Boolean())
const Source = Enum('VALUE', 'VARIABLE')
const ContentType = Enum('XML', 'JSON', 'RAW', 'URL_ENCODED')

/** A header or parameter to add; headers may carry an Authorization prefix. */
const added = (withPrefix: boolean) =>
  Type.Array(
    Type.Object(
      {
        name: Type.String(),
        description: text,
        valueSource: Source,
        value: text,
        variable: Type.Optional(Variable),
        ...(withPrefix
          ? { prefix: Type.Optional(Nullable(Enum('NONE', 'BASIC', 'BEARER', 'DIGEST'))) }
          : {}),
      },
      closed,
    ),
  )

const manipulations = Type.Array(
  Type.Object(
    {
      operation: Enum('ADD', 'ADD_OR_EDIT', 'DELETE'),
      sourceValueSource: Type.Optional(Source),
      sourceVar: Type.Optional(Variable),
      sourceValue: text,
      targetName: Type.String(),
      targetValueSource: Type.Optional(Source),
      targetVar: Type.Optional(Variable),
      targetValue: text,
    },
    closed,
  ),
)

const names = Type.Array(Type.String())

/** What the schema cannot say: a certificate when mTLS is on, a size and a lifetime for the cache. */
function check(policy: Readonly<Record<string, unknown>>): PolicyIssue[] {
  const issues: PolicyIssue[] = []
  if (policy.certificateEnabled === true && !policy.certificateName) {
    issues.push({
      field: 'policy.certificateName',
      message: 'is required when certificateEnabled is true',
    })
  }
  if (policy.enableCache === true) {
    for (const field of ['capacity', 'ttl']) {
      if (policy[field] === undefined)
        issues.push({ field: `policy.${field}`, message: 'is required when enableCache is true' })
    }
  }
  return issues
}

export const apiCall: PolicyTypeDefinition = {
  type: 'policy-api-call',
  label: 'API Call',
  fields: {
    callType: Enum('SYNCHRONOUS', 'ONE_WAY'),
    httpMethod: Enum('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'),
    url: Type.String({ minLength: 1 }),
    timeout: Type.Optional(Type.Integer({ minimum: 0, description: 'Milliseconds' })),
    certificateName: text,
    certificateEnabled: flag,
    clearBodyBeforeCall: flag,
    useMessageTemplateBeforeCall: flag,
    enumTestConsoleRequestBodyType: Type.Optional(ContentType),
    bodyContentBeforeCall: Type.Optional(Nullable(Type.String())),
    urlEncodedList: Type.Optional(
      Type.Array(
        Type.Object({ key: Type.String(), value: Type.String(), description: text }, closed),
      ),
    ),
    dataManipulationListBeforeCall: Type.Optional(manipulations),
    removeAllHeadersBeforeCall: flag,
    headersToBeDeletedBeforeCallList: Type.Optional(names),
    headersToBeAddedBeforeCallList: Type.Optional(added(true)),
    removeAllParametersBeforeCall: flag,
    parametersToBeDeletedBeforeCallList: Type.Optional(names),
    parametersToBeAddedBeforeCallList: Type.Optional(added(false)),
    enableCache: flag,
    cacheBy: Type.Optional(Nullable(Variable)),
    capacity: Type.Optional(Type.Integer({ minimum: 1 })),
    ttl: Type.Optional(Type.Integer({ minimum: 0, description: 'Seconds' })),
    cacheNullResponses: flag,
    cacheStorageType: Type.Optional(Enum('LOCAL', 'DISTRIBUTED')),
    afterCallBodyOperationType: Type.Optional(
      Nullable(Enum('NOT_CHANGE_BODY', 'REPLACE_BODY', 'CLEAR_BODY')),
    ),
    useMessageTemplateAfterCall: flag,
    messageTemplateContentTypeAfterCall: Type.Optional(ContentType),
    bodyContentAfterCall: Type.Optional(Nullable(Type.String())),
    dataManipulationListAfterCall: Type.Optional(manipulations),
    removeAllHeadersAfterCall: flag,
    headersToBeDeletedAfterCallList: Type.Optional(names),
    headersToBeAddedAfterCallList: Type.Optional(added(true)),
    removeAllParametersAfterCall: flag,
    parametersToBeDeletedAfterCallList: Type.Optional(names),
    parametersToBeAddedAfterCallList: Type.Optional(added(false)),
    prepareMessage: flag,
    modifyMessage: flag,
    newBodyContentSourceType: Type.Optional(Nullable(Source)),
  },
  check,
}
