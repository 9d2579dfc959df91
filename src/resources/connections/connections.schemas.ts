import type { FastifySchemaCompiler } from 'fastify'
import { type Static, type TSchema, Type } from 'typebox'
import { FreeText, HttpUrl, matching, NAME, NameParam } from '../../http/schemas.ts'
import { MASK } from '../../sealed.ts'

export const CONNECTION_TYPES = [
  'database',
  'ldap',
  'email',
  'kafka',
  'webhook',
  'elasticsearch',
] as const
export type ConnectionType = (typeof CONNECTION_TYPES)[number]

export const DATABASE_TYPES = [
  'ORACLE',
  'MYSQL',
  'POSTGRES',
  'SQL_SERVER',
  'SYBASE',
  'DB2',
  'APACHE_HIVE',
  'APACHE_IMPALA',
  'MONGODB',
  'TRINO',
] as const

export const WEBHOOK_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const

export const ConnectionTypeSchema = Type.Unsafe<ConnectionType>({
  type: 'string',
  enum: [...CONNECTION_TYPES],
})

/** The discriminator of each body: a one-value enum, which every OpenAPI tool renders. */
const TypeTag = <T extends ConnectionType>(type: T) =>
  Type.Unsafe<T>({ type: 'string', enum: [type] })

/**
 * The one secret of every type that has one: sealed at rest, never answered. A type
 * list rather than a union, so a wrong type is one validation error, not three.
 */
const Password = Type.Unsafe<string | null>({
  type: ['string', 'null'],
  minLength: 1,
  maxLength: 1024,
  description: `Secret: encrypted at rest; reads show "${MASK}" when set and null when not. On update, omit it or send "${MASK}" to keep it, null to remove it; keeping it is refused (400) when the target (URL, host, servers) changes, as a stored password is never sent to a new target.`,
})
const Url = HttpUrl()
const WebhookUrl = HttpUrl({
  description: `Every query parameter value is a secret (e.g. ?api_key=): encrypted at rest, read as "${MASK}"; names stay readable. On update, a value sent as "${MASK}" keeps the stored one, unless the URL's scheme, host, port or path changed.`,
})
const Text = (maxLength: number, description?: string) =>
  Type.String({ minLength: 1, maxLength, ...(description ? { description } : {}) })
const Host = Type.String({
  minLength: 1,
  maxLength: 253,
  ...matching('^[A-Za-z0-9._:\\[\\]-]+$', 'must be a host name or an IP address'),
  description: 'Host name or IP address',
})

/**
 * Settings per type. Every field is bounded; a field that names a user goes with the
 * password (the service refuses a password with no user to use it).
 */
export const SETTINGS = {
  database: Type.Object(
    {
      dbType: Type.Unsafe<(typeof DATABASE_TYPES)[number]>({
        type: 'string',
        enum: [...DATABASE_TYPES],
      }),
      jdbcUrl: Type.String({
        maxLength: 2048,
        ...matching(
          '^jdbc:[A-Za-z0-9]+:\\S+$',
          'must be a JDBC URL, like jdbc:postgresql://host:5432/db',
        ),
        description: 'e.g. jdbc:postgresql://db.internal:5432/orders',
      }),
      username: Type.Optional(Text(256)),
      password: Type.Optional(Password),
      databaseName: Type.Optional(Text(256)),
      poolMaxSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 5 })),
      connectTimeoutMs: Type.Optional(
        Type.Integer({ minimum: 100, maximum: 600_000, default: 30_000 }),
      ),
    },
    { additionalProperties: false },
  ),
  ldap: Type.Object(
    {
      url: Type.String({
        maxLength: 2048,
        ...matching('^ldaps?://[^\\s/?#]+\\S*$', 'must be an ldap:// or ldaps:// URL'),
        description: 'ldap://host:389 or ldaps://host:636',
      }),
      bindDn: Type.Optional(Text(1024, 'DN to bind as; omit for an anonymous bind')),
      password: Type.Optional(Password),
      baseDn: Text(1024, 'Where searches start, e.g. dc=example,dc=com'),
    },
    { additionalProperties: false },
  ),
  email: Type.Object(
    {
      host: Host,
      port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65_535, default: 587 })),
      username: Type.Optional(Text(320)),
      password: Type.Optional(Password),
      from: Type.String({ maxLength: 320, format: 'email' }),
      useTls: Type.Optional(Type.Boolean({ default: true })),
    },
    { additionalProperties: false },
  ),
  kafka: Type.Object(
    {
      bootstrapServers: Type.String({
        maxLength: 2048,
        ...matching(
          '^[^\\s,]+:[0-9]{1,5}(,[^\\s,]+:[0-9]{1,5})*$',
          'must be host:port pairs separated by commas, like k1:9092,k2:9092',
        ),
        description: 'host:port[,host:port...]',
      }),
      topic: Type.String(
        matching(
          '^[A-Za-z0-9._-]{1,249}$',
          'must be 1 to 249 letters, digits, dots, underscores or dashes',
        ),
      ),
      saslUsername: Type.Optional(Text(256)),
      password: Type.Optional(Password),
    },
    { additionalProperties: false },
  ),
  webhook: Type.Object(
    {
      url: WebhookUrl,
      method: Type.Optional(
        Type.Unsafe<(typeof WEBHOOK_METHODS)[number]>({
          type: 'string',
          enum: [...WEBHOOK_METHODS],
          default: 'POST',
        }),
      ),
      headers: Type.Optional(
        Type.Unsafe<Record<string, string>>({
          type: 'object',
          description: `Sent with every call. Every value is a secret (it may carry a key): encrypted at rest, read as "${MASK}". On update, "${MASK}" keeps the stored value (unless the URL's target changed); an omitted header is removed.`,
          maxProperties: 50,
          propertyNames: matching(
            "^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$",
            'must be an HTTP header name',
          ),
          additionalProperties: { type: 'string', maxLength: 4096 },
        }),
      ),
    },
    { additionalProperties: false },
  ),
  elasticsearch: Type.Object(
    {
      url: Url,
      index: Type.String({
        ...matching(
          '^[a-z0-9][a-z0-9._-]{0,254}$',
          'must be lowercase letters, digits, dots, underscores or dashes, starting with a letter or digit',
        ),
        description: 'Lowercase index name',
      }),
      username: Type.Optional(Text(256)),
      password: Type.Optional(Password),
    },
    { additionalProperties: false },
  ),
} as const satisfies Record<ConnectionType, TSchema>

export type Settings = { [T in ConnectionType]: Static<(typeof SETTINGS)[T]> }
/** Settings as a client sends them; the password, if any, is split off by the service. */
export type AnySettings = Settings[ConnectionType] & { password?: string | null }

const PathName = Type.String({
  minLength: 1,
  maxLength: 100,
  ...NAME,
  description: 'If sent, must equal the name in the path (renaming is not supported)',
})

const common = {
  description: Type.Optional(FreeText(1000)),
  enabled: Type.Optional(Type.Boolean({ description: 'Default true' })),
}

function body<T extends ConnectionType>(type: T, withName: 'required' | 'optional') {
  return Type.Object(
    {
      name: withName === 'required' ? NameParam : Type.Optional(PathName),
      type: TypeTag(type),
      ...common,
      settings: SETTINGS[type],
    },
    { additionalProperties: false },
  )
}

const bodies = (withName: 'required' | 'optional') =>
  Object.fromEntries(CONNECTION_TYPES.map((t) => [t, body(t, withName)])) as {
    [T in ConnectionType]: ReturnType<typeof body<T>>
  }

export const CREATE_BODIES = bodies('required')
export const REPLACE_BODIES = bodies('optional')

export interface ConnectionInput {
  name?: string | undefined
  type: ConnectionType
  description?: string | undefined
  enabled?: boolean | undefined
  settings: AnySettings
}

export const CreateConnectionBody = Type.Unsafe<ConnectionInput & { name: string }>(
  Type.Union(Object.values(CREATE_BODIES), {
    description: "One shape per `type`; `settings` holds that type's fields",
  }),
)
export const ReplaceConnectionBody = Type.Unsafe<ConnectionInput>(
  Type.Union(Object.values(REPLACE_BODIES), {
    description:
      'The whole connection again; its name comes from the path and its type cannot change',
  }),
)

/** What validation reports when the body is not even an object with a known `type`. */
const Envelope = Type.Object({
  name: Type.Optional(NameParam),
  type: ConnectionTypeSchema,
  description: Type.Optional(FreeText(1000)),
  enabled: Type.Optional(Type.Boolean()),
  settings: Type.Object({}),
})

/**
 * Validates a body against the one branch its `type` names. A plain anyOf over the
 * branches would answer every branch's complaints at once ("must be database", "must
 * be ldap", ...); this keeps validation_errors to what is wrong with the connection the
 * client meant to send. Each branch is compiled by the app's own validator compiler,
 * so formats, coercion rules and error shapes are the same as everywhere else.
 */
export function discriminatedBody(
  compile: FastifySchemaCompiler<unknown>,
  branches: Record<ConnectionType, TSchema>,
): FastifySchemaCompiler<unknown> {
  return (route) => {
    const branch = Object.fromEntries(
      CONNECTION_TYPES.map((t) => [t, compile({ ...route, schema: branches[t] })]),
    )
    const envelope = compile({ ...route, schema: Envelope })
    const validate = ((data: unknown) => {
      const type = (data as { type?: unknown } | null)?.type
      const chosen =
        typeof type === 'string' && Object.hasOwn(branch, type) ? branch[type] : envelope
      const valid = (chosen ?? envelope)(data)
      validate.errors = valid === true ? null : (chosen ?? envelope).errors
      return valid
    }) as ReturnType<FastifySchemaCompiler<unknown>>
    return validate
  }
}

export const ConnectionSchema = Type.Object({
  name: Type.String(),
  type: ConnectionTypeSchema,
  description: Type.String(),
  enabled: Type.Boolean(),
  settings: Type.Object(
    {},
    {
      additionalProperties: true,
      description: `The type's settings as sent, with password "${MASK}" when one is set and null when not, and a webhook's header values and URL query values "${MASK}"`,
    },
  ),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
})

export const RevealedValuesSchema = Type.Object({
  name: Type.String(),
  type: Type.Literal('webhook'),
  settings: Type.Object(
    {
      url: Type.String({ description: 'The URL with its stored query values' }),
      headers: Type.Record(Type.String(), Type.String(), {
        description: 'The headers with their stored values',
      }),
    },
    { description: "Only the settings that hold secrets; the rest is in the connection's read" },
  ),
})

export const ConnectionParams = Type.Object({ projectName: NameParam, name: NameParam })
export const ProjectParams = Type.Object({ projectName: NameParam })
