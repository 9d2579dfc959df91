import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { audited } from '../audit/audit.hook.ts'
import { errorResponses } from '../http/schemas.ts'
import { principalOf } from '../identity/bearer/auth.hook.ts'
import { MAX_INACTIVITY_DAYS, MAX_LIFETIME_DAYS } from '../identity/tokens/lifetime-policy.ts'
import { ROLES } from '../identity/users/roles.ts'
import { NotificationsChangeSchema, NotificationsSettingSchema } from './notifications.schemas.ts'
import { type SettingsDeps, TOKEN_RATE_LIMIT, updateSettings } from './settings.service.ts'

const SettingSchema = Type.Object({
  value: Type.Integer({ description: 'In force now, on every node' }),
  source: Type.Union([Type.Literal('administrator'), Type.Literal('environment')], {
    description: 'administrator: set through this API; environment: the server default',
  }),
  default: Type.Integer({ description: 'The environment value a reset (null) returns to' }),
  updatedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  updatedBy: Type.Union([Type.String(), Type.Null()], {
    description: 'Username of the administrator who set it',
  }),
})

const policyFields = {
  neverExpiresAllowed: Type.Boolean({
    description: 'Whether tokens may be made with Never Expires (default: true)',
  }),
  maxDaysByRole: Type.Object(
    Object.fromEntries(
      ROLES.map((role) => [
        role,
        Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_LIFETIME_DAYS })),
      ]),
    ),
    {
      additionalProperties: false,
      description:
        "Longest lifetime in days of a token carrying the role; a token's maximum is the smallest among its roles. A role left out has none",
    },
  ),
  inactivityDays: Type.Integer({
    minimum: 0,
    maximum: MAX_INACTIVITY_DAYS,
    description: 'Tokens unused for this many days are revoked; 0 turns the rule off (default)',
  }),
}

const LifetimePolicySchema = Type.Object(policyFields, { additionalProperties: false })

const SettingsSchema = Type.Object({
  tokenRateLimit: Type.Object(SettingSchema.properties, {
    description:
      'Requests per minute per API token (0: no limit). Beyond it: 429 with Retry-After. Default: APIOPS_TOKEN_RATE_LIMIT',
  }),
  tokenLifetimePolicy: Type.Object(
    {
      value: LifetimePolicySchema,
      source: Type.Union([Type.Literal('administrator'), Type.Literal('default')]),
      updatedAt: SettingSchema.properties.updatedAt,
      updatedBy: SettingSchema.properties.updatedBy,
    },
    { description: 'How long personal tokens may live; every node applies a change at once' },
  ),
  notifications: NotificationsSettingSchema,
})

const SettingsChangeSchema = Type.Object(
  {
    tokenRateLimit: Type.Optional(
      Type.Union(
        [
          Type.Integer({ minimum: TOKEN_RATE_LIMIT.min, maximum: TOKEN_RATE_LIMIT.max }),
          Type.Null(),
        ],
        { description: 'Requests per minute per token, 0 for none; null returns to the default' },
      ),
    ),
    tokenLifetimePolicy: Type.Optional(
      Type.Union(
        [
          Type.Partial(LifetimePolicySchema, { additionalProperties: false, minProperties: 1 }),
          Type.Null(),
        ],
        { description: 'The parts given replace the ones in force; null returns to the default' },
      ),
    ),
    notifications: NotificationsChangeSchema,
  },
  { additionalProperties: false, minProperties: 1 },
)

/** Runtime settings: read and changed by administrators, in force on every node at once. */
export const settingsRoutes: FastifyPluginAsyncTypebox<{ deps: SettingsDeps }> = async (
  app,
  { deps },
) => {
  const tags = ['settings']
  const denied = errorResponses(401, 403)

  app.get(
    '/apiops/settings/',
    {
      config: { action: 'administer' },
      schema: {
        operationId: 'getSettings',
        tags,
        summary: 'Runtime settings, with where each value comes from',
        response: { 200: SettingsSchema, ...denied },
      },
    },
    async () => deps.settings.view(),
  )

  app.patch(
    '/apiops/settings/',
    {
      config: { action: 'administer' },
      schema: {
        operationId: 'updateSettings',
        tags,
        summary: 'Change runtime settings; every node applies them without a restart',
        body: SettingsChangeSchema,
        response: { 200: SettingsSchema, ...errorResponses(400, 413, 415), ...denied },
      },
    },
    async (request) => updateSettings(audited(request, deps), request.body, principalOf(request)),
  )
}
