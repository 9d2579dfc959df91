import { Type } from 'typebox'
import { closed, Enum } from '../policy-fields.ts'
import { Variable } from '../policy-variable.ts'
import type { PolicyTypeDefinition } from './definition.ts'

export const apiBasedQuota: PolicyTypeDefinition = {
  type: 'policy-api-based-quota',
  label: 'API Based Quota',
  fields: {
    targetVariableForIdentity: Variable,
    messageCountForInterval: Type.Integer({ minimum: 1 }),
    quotaInterval: Enum('ONE_HOUR', 'ONE_DAY', 'ONE_MONTH'),
    intervalPeriodLength: Type.Optional(Type.Integer({ minimum: 1, description: 'Default 1' })),
    intervalWindowType: Type.Optional(Enum('FIXED', 'SLIDING')),
    cacheConnectionTimeoutInSeconds: Type.Optional(
      Type.Integer({ minimum: 1, description: 'Default 3' }),
    ),
    cacheErrorHandlingType: Type.Optional(Enum('FAIL', 'CONTINUE')),
    showRateLimitStatisticsInResponseHeader: Type.Optional(Type.Boolean()),
    detailList: Type.Optional(
      Type.Array(
        Type.Object(
          {
            targetValue: Type.String(),
            regexExpression: Type.Optional(Type.Boolean()),
            messageCountForInterval: Type.Integer({ minimum: 1 }),
            intervalPeriodLength: Type.Optional(
              Type.Integer({ minimum: 1, description: 'Default 1' }),
            ),
            quotaInterval: Enum('ONE_HOUR', 'ONE_DAY', 'ONE_MONTH'),
          },
          closed,
        ),
      ),
    ),
  },
}
