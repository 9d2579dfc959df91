import { Type } from 'typebox'
import { Label, ListQuery } from '../../http/schemas.ts'
import { RoleSchema } from '../users/roles.ts'
import { TOKEN_NAME_MAX } from './tokens.service.ts'

export const TokenViewSchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    source: Type.Union([Type.Literal('console'), Type.Literal('api'), Type.Literal('cli')], {
      description: 'How the token was made',
    }),
    createdAt: Type.String({ format: 'date-time' }),
    expiresAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
      description: 'null: never expires',
    }),
    lastUsedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    lastUsedFrom: Type.Union([Type.String(), Type.Null()], {
      description: 'Client address of the last use',
    }),
    revokedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    status: Type.Union([Type.Literal('active'), Type.Literal('expired'), Type.Literal('revoked')]),
    rotatedTo: Type.Union([Type.String(), Type.Null()], {
      description:
        'The token this one was rotated into; while its grace period lasts it stays active until expiresAt',
    }),
    limits: Type.Object(
      {
        roles: Type.Union([Type.Array(RoleSchema), Type.Null()], {
          description: 'null: every role the owner has; else those of these the owner still has',
        }),
        projects: Type.Union([Type.Array(Type.String()), Type.Null()], {
          description: 'null: every project the owner may act in; else only these (names)',
        }),
        readOnly: Type.Boolean({ description: 'true: GET and HEAD only' }),
        allowFrom: Type.Union([Type.Array(Type.String()), Type.Null()], {
          description: 'null: any client address; else only these addresses and CIDR ranges',
        }),
      },
      { description: 'What narrows this token below its owner (chosen at creation)' },
    ),
  },
  { description: 'A personal API access token, without its secret' },
)

export const TOKEN_SOURCES = ['console', 'api', 'cli'] as const

/** A token list: paged, and of one source, or without the short-lived ones ('api'). */
export const TokenListQuery = Type.Object(
  {
    ...ListQuery.properties,
    source: Type.Optional(
      Type.Unsafe<(typeof TOKEN_SOURCES)[number]>({
        type: 'string',
        enum: [...TOKEN_SOURCES],
        description:
          "Only tokens made this way. Without it, every token but the token endpoint's short-lived ones (source api)",
      }),
    ),
  },
  { additionalProperties: false },
)

/** The one answer that ever contains a token string. */
export const IssuedTokenSchema = Type.Object({
  ...TokenViewSchema.properties,
  token: Type.String({ description: 'Shown once; store it now, it cannot be shown again' }),
})

export const CreateTokenBody = Type.Object(
  {
    name: Label(TOKEN_NAME_MAX),
    expiresAt: Type.Union([Type.String({ maxLength: 40 }), Type.Null()], {
      description:
        'null = Never Expires; YYYY-MM-DD = valid through that day (UTC); or an ISO 8601 date-time',
    }),
    roles: Type.Optional(
      Type.Array(RoleSchema, {
        maxItems: 10,
        description:
          "Only these of the owner's roles (each one the owner holds now); a role the owner loses leaves the token too, one granted later is not added. Omit for all of them",
      }),
    ),
    projects: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 100 }), {
        maxItems: 100,
        description:
          'Only these projects (names or ids; the owner must be a member, or an administrator). Omit for every project',
      }),
    ),
    readOnly: Type.Optional(Type.Boolean({ description: 'true: the token may only GET and HEAD' })),
    allowFrom: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 50 }), {
        maxItems: 100,
        description:
          'Client addresses and CIDR ranges (IPv4, IPv6) the token may be used from; a call from elsewhere is 401. Omit for any address',
      }),
    ),
  },
  { additionalProperties: false },
)

export const TokenIdParam = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) })

export const MAX_GRACE_SECONDS = 86_400

export const RotateTokenBody = Type.Object(
  {
    graceSeconds: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: MAX_GRACE_SECONDS,
        default: 0,
        description:
          'How long the old token keeps working, so a pipeline can roll its secret without an outage (never past its own expiry)',
      }),
    ),
  },
  { additionalProperties: false },
)
