import { Type } from 'typebox'
import { closed, Enum, Nullable, Variable } from '../policy-fields.ts'
import type { PolicyTypeDefinition } from './definition.ts'

export const apiCall: PolicyTypeDefinition = {
  type: 'policy-api-call',
  label: 'API Call',
  fields: {
    callType: Enum('SYNCHRONOUS', 'ONE_WAY'),
    httpMethod: Type.String(),
    url: Type.String(),
    timeout: Type.Optional(Type.Integer()),
    certificateEnabled: Type.Optional(Type.Boolean()),
    clearBodyBeforeCall: Type.Optional(Type.Boolean()),
    useMessageTemplateBeforeCall: Type.Optional(Type.Boolean()),
    enumTestConsoleRequestBodyType: Type.Optional(Type.String()),
    bodyContentBeforeCall: Type.Optional(Type.String()),
    urlEncodedList: Type.Optional(Type.Array(Type.Unknown())),
    dataManipulationListBeforeCall: Type.Optional(Type.Array(Type.Unknown())),
    removeAllHeadersBeforeCall: Type.Optional(Type.Boolean()),
    headersToBeDeletedBeforeCallList: Type.Optional(Type.Array(Type.Unknown())),
    headersToBeAddedBeforeCallList: Type.Optional(
      Type.Array(
        Type.Object(
          {
            name: Type.String(),
            valueSource: Enum('VALUE', 'VARIABLE'),
            value: Type.Optional(Type.String()),
            prefix: Type.Optional(Nullable(Type.String())),
            variable: Type.Optional(Variable),
          },
          closed,
        ),
      ),
    ),
    removeAllParametersBeforeCall: Type.Optional(Type.Boolean()),
    parametersToBeDeletedBeforeCallList: Type.Optional(Type.Array(Type.Unknown())),
    parametersToBeAddedBeforeCallList: Type.Optional(
      Type.Array(
        Type.Object(
          {
            name: Type.String(),
            valueSource: Enum('VALUE', 'VARIABLE'),
            value: Type.Optional(Type.String()),
          },
          closed,
        ),
      ),
    ),
    enableCache: Type.Optional(Type.Boolean()),
    cacheBy: Type.Optional(
      Type.Object(
        {
          type: Type.String(),
          headerName: Type.Optional(Type.String()),
        },
        closed,
      ),
    ),
    capacity: Type.Optional(Type.Integer()),
    ttl: Type.Optional(Type.Integer()),
    cacheNullResponses: Type.Optional(Type.Boolean()),
    cacheStorageType: Type.Optional(Type.String()),
    afterCallBodyOperationType: Type.Optional(Type.String()),
    useMessageTemplateAfterCall: Type.Optional(Type.Boolean()),
    messageTemplateContentTypeAfterCall: Type.Optional(Type.String()),
    bodyContentAfterCall: Type.Optional(Nullable(Type.String())),
    dataManipulationListAfterCall: Type.Optional(Type.Array(Type.Unknown())),
    removeAllHeadersAfterCall: Type.Optional(Type.Boolean()),
    headersToBeDeletedAfterCallList: Type.Optional(Type.Array(Type.Unknown())),
    headersToBeAddedAfterCallList: Type.Optional(
      Type.Array(
        Type.Object(
          {
            name: Type.String(),
            valueSource: Enum('VALUE', 'VARIABLE'),
            value: Type.Optional(Type.String()),
            prefix: Type.Optional(Nullable(Type.String())),
          },
          closed,
        ),
      ),
    ),
    removeAllParametersAfterCall: Type.Optional(Type.Boolean()),
    parametersToBeDeletedAfterCallList: Type.Optional(Type.Array(Type.Unknown())),
    parametersToBeAddedAfterCallList: Type.Optional(Type.Array(Type.Unknown())),
    prepareMessage: Type.Optional(Type.Boolean()),
    modifyMessage: Type.Optional(Type.Boolean()),
    newBodyContentSourceType: Type.Optional(Nullable(Type.String())),
  },
}
