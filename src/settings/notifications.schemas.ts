import { Type } from 'typebox'

/** The wire shapes of the notification settings (see notifications/notification-settings.ts). */

const SECURITY = Type.Union([Type.Literal('starttls'), Type.Literal('tls'), Type.Literal('none')], {
  description:
    'starttls: upgrade on port 587, refusing a relay that cannot (default); tls: TLS from the first byte (port 465); none: plain text, for a relay on a trusted network only',
})

const EmailView = Type.Object({
  host: Type.String(),
  port: Type.Integer(),
  security: SECURITY,
  username: Type.Union([Type.String(), Type.Null()]),
  passwordSet: Type.Boolean({ description: 'The password is never shown' }),
  from: Type.String(),
})

const WebhookView = Type.Object({
  url: Type.String({
    description:
      'Only its origin is shown: a webhook URL is a credential. Send it back unchanged to keep it',
  }),
  secretSet: Type.Boolean({ description: 'Deliveries carry X-Apiops-Signature when set' }),
})

export const NotificationsSettingSchema = Type.Object(
  {
    value: Type.Object({
      email: Type.Union([EmailView, Type.Null()]),
      webhook: Type.Union([WebhookView, Type.Null()]),
    }),
    source: Type.Union([Type.Literal('administrator'), Type.Literal('default')]),
    updatedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    updatedBy: Type.Union([Type.String(), Type.Null()]),
  },
  { description: 'Where expiry reminders and canary alerts go; none by default' },
)

const writeOnly = (max: number, description: string) =>
  Type.Optional(
    Type.Union([Type.String({ minLength: 1, maxLength: max }), Type.Null()], { description }),
  )

const EmailChange = Type.Object(
  {
    host: Type.String({ minLength: 1, maxLength: 253, description: 'The SMTP relay' }),
    port: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 65535, description: 'Default: 465 for tls, else 587' }),
    ),
    security: Type.Optional(SECURITY),
    username: Type.Optional(
      Type.Union([Type.String({ minLength: 1, maxLength: 320 }), Type.Null()]),
    ),
    password: writeOnly(1024, 'Write-only; omitted: the stored one stays; null: none'),
    from: Type.String({
      minLength: 3,
      maxLength: 320,
      description: 'e.g. "apiops <apiops@example.com>"',
    }),
  },
  { additionalProperties: false },
)

const WebhookChange = Type.Object(
  {
    url: Type.String({
      minLength: 1,
      maxLength: 2048,
      description: 'Receives a JSON POST per notice',
    }),
    secret: Type.Optional(
      Type.Union([Type.String({ minLength: 16, maxLength: 1024 }), Type.Null()], {
        description: 'HMAC key (16+ characters) for X-Apiops-Signature; write-only; null: unsigned',
      }),
    ),
  },
  { additionalProperties: false },
)

export const NotificationsChangeSchema = Type.Optional(
  Type.Union(
    [
      Type.Object(
        {
          email: Type.Optional(Type.Union([EmailChange, Type.Null()])),
          webhook: Type.Optional(Type.Union([WebhookChange, Type.Null()])),
        },
        { additionalProperties: false, minProperties: 1 },
      ),
      Type.Null(),
    ],
    { description: 'The channels given replace those in force; null removes one (or, whole, all)' },
  ),
)

export const NotificationTestBody = Type.Object(
  { channel: Type.Union([Type.Literal('email'), Type.Literal('webhook')]) },
  { additionalProperties: false },
)

export const NotificationTestResult = Type.Object({
  channel: Type.Union([Type.Literal('email'), Type.Literal('webhook')]),
  delivered: Type.Boolean(),
  detail: Type.String({ description: 'Where it went, or why it did not' }),
})
