import { type TSchema, Type } from 'typebox'
import { NameParam } from '../../../http/schemas.ts'

/*
 * Building blocks the policy type files share: every object they declare is closed, so
 * a misspelt field is a 400 naming it rather than a value silently dropped.
 */

export const closed = { additionalProperties: false } as const

/** One of the documented values (a plain string enum, which every OpenAPI tool renders). */
export const Enum = (...values: string[]) => Type.Unsafe<string>({ type: 'string', enum: values })

export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()])

/**
 * The documented "required if" rules of a type: each [applies, field, why] whose rule
 * applies and whose field is missing (absent, null or '') is one issue.
 */
export function requiredWhen(
  policy: Readonly<Record<string, unknown>>,
  rules: readonly [applies: boolean, field: string, why: string][],
): { field: string; message: string }[] {
  return rules
    .filter(([applies, field]) => applies && [undefined, null, ''].includes(policy[field] as never))
    .map(([, field, why]) => ({ field: `policy.${field}`, message: `is required ${why}` }))
}

export const TimeUnit = Enum(
  'MILLI_SECONDS',
  'SECONDS',
  'MINUTES',
  'HOURS',
  'DAYS',
  'WEEKS',
  'MONTHS',
  'YEARS',
)

/** The token lifetime fields the JWT and OAuth2 policies share. */
export const TOKEN_LIFETIME = {
  tokenNeverExpires: Type.Optional(Type.Boolean({ description: 'Default true' })),
  tokenExpiresInAmount: Type.Optional(Type.Integer({ minimum: 1 })),
  tokenExpiresInUnit: Type.Optional(TimeUnit),
  refreshTokenAllowed: Type.Optional(Type.Boolean()),
  refreshTokenCount: Type.Optional(Type.Integer({ minimum: 0 })),
  refreshTokenExpiresInAmount: Type.Optional(Type.Integer({ minimum: 1 })),
  refreshTokenExpiresInUnit: Type.Optional(TimeUnit),
  allowUrlParameters: Type.Optional(Type.Boolean()),
  managedFromThisPolicy: Type.Optional(Type.Boolean()),
  grantType: Type.Optional(Enum('PASSWORD', 'CLIENT_CREDENTIALS')),
}

/** A lifetime is needed once the token expires at all. */
export const tokenLifetimeIssues = (p: Readonly<Record<string, unknown>>) =>
  requiredWhen(p, [
    [p.tokenNeverExpires === false, 'tokenExpiresInAmount', 'when tokenNeverExpires is false'],
    [p.tokenNeverExpires === false, 'tokenExpiresInUnit', 'when tokenNeverExpires is false'],
  ])

/**
 * IP groups of the project whose entries an IP policy applies besides its own ipList
 * (an apiops addition: the IP group pages say the IP policies use groups, the policy
 * pages show no field). The framework checks each exists and keeps it from deletion.
 */
export const IP_GROUP_NAMES = Type.Optional(
  Type.Array(NameParam, {
    maxItems: 100,
    description: 'IP groups of the project whose entries this policy applies too',
  }),
)

/** What a business rule or a redaction action may do to a value (both pages list these). */
export const VALUE_OPERATORS = [
  'ADD',
  'SUBTRACT',
  'MULTIPLY',
  'DIVIDE',
  'MODULUS',
  'POWER',
  'CONCAT',
  'REPLACE_IN',
  'REPLACE_WITH',
  'REPLACE_FIRST',
  'SUBSTRING',
  'MASK',
  'FORMAT',
  'TRANSFORM',
  'INSERT',
  'TRIM',
  'ENCODE',
  'DECODE',
  'URL_ENCODE',
  'URL_DECODE',
  'EXTRACT_JWT_HEADER_CLAIM',
  'EXTRACT_JWT_BODY_CLAIM',
  'ADD_TEMPORAL',
  'SUBTRACT_TEMPORAL',
] as const
