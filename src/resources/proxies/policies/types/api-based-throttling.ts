import { Type } from 'typebox'
import { closed, Enum } from '../policy-fields.ts'
import { Variable } from '../policy-variable.ts'
import type { PolicyTypeDefinition } from './definition.ts'

export const apiBasedThrottling: PolicyTypeDefinition = {
  type: 'policy-api-based-throttling',
  label: 'API Based Throttling',
  fields: {
    targetVariableForIdentity: Variable,
    messageCountForInterval: Type.Integer({ minimum: 1 }),
    throttlingInterval: Enum('ONE_SECOND', 'ONE_MINUTE', 'ONE_HOUR', 'ONE_DAY'),
    intervalPeriodLength: Type.Optional(Type.Integer({ minimum: 1, description: 'Default 1' })),
    intervalWindowType: Type.Optional(Enum('FIXED', 'SLIDING')),
    cacheConnectionTimeoutInSeconds: Type.Optional(
      Type.Integer({ minimum: 1, description: 'Default 3' }),
    ),
    cacheErrorHandlingType: Type.Optional(Enum('FAIL', 'ALLOW')),
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
            // The page names this field quotaInterval here too, with the throttling intervals.
            quotaInterval: Enum('ONE_SECOND', 'ONE_MINUTE', 'ONE_HOUR', 'ONE_DAY'),
          },
          closed,
        ),
      ),
    ),
  },
}
