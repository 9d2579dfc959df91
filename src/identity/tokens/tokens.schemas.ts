import { Type } from 'typebox'
import { Label } from '../../http/schemas.ts'
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
  },
  { description: 'A personal API access token, without its secret' },
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
