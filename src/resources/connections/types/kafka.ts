import { Type } from 'typebox'
import { matching } from '../../../http/schemas.ts'
import {
  type Body,
  bool,
  type ConnectionTypeDef,
  issue,
  list,
  object,
  oneOf,
  present,
  requiredWhen,
  type SecretSlot,
  text,
} from './definition.ts'
import { serverSet } from './targets.ts'

const opt = Type.Optional

const MAP_VALUE_TYPES = [
  'STRING',
  'BOOLEAN',
  'INTEGER',
  'LONG',
  'DOUBLE',
  'FLOAT',
  'STRING_LIST',
  'URI',
] as const

/** Producer properties that carry credentials (SASL JAAS config, key passwords...). */
const SECRET_PROPERTY = /password|secret|jaas|token|credential/i

type Properties = Record<string, { value?: string; valueType?: string }>

const servers = (body: Body) =>
  (body.bootstrapServers as string | undefined) ??
  (body.propertiesMap as Properties | undefined)?.['bootstrap.servers']?.value

function check(body: Body) {
  const issues = requiredWhen(
    body,
    body.enableSecure === true,
    'when enableSecure is true',
    'keyStoreName',
  )
  if (body.enableSecure === true && !(body.protocolTypes as unknown[] | undefined)?.length) {
    issues.push(issue('protocolTypes', 'must name at least one protocol when enableSecure is true'))
  }
  if (!present(servers(body))) {
    issues.push(issue('propertiesMap', "must hold 'bootstrap.servers' (or send bootstrapServers)"))
  }
  return issues
}

function nestedSecrets(body: Body): SecretSlot[] {
  const map = body.propertiesMap as Properties | null | undefined
  return Object.entries(map ?? {})
    .filter(([key]) => SECRET_PROPERTY.test(key))
    .map(([key, entry]) => ({
      key: `propertiesMap.${key}`,
      field: `propertiesMap.${key}.value`,
      value: entry.value,
      put: (value) => {
        entry.value = value ?? ''
      },
    }))
}

export const kafka: ConnectionTypeDef = {
  type: 'kafka',
  fields: {
    topicName: Type.String(
      matching(
        '^[A-Za-z0-9._-]{1,249}$',
        'must be 1 to 249 letters, digits, dots, underscores or dashes',
      ),
    ),
    propertiesMap: opt(
      Type.Record(
        Type.String({ maxLength: 255 }),
        object({
          value: Type.String({ maxLength: 8192 }),
          valueType: opt(oneOf(MAP_VALUE_TYPES, { nullable: false })),
        }),
        {
          maxProperties: 200,
          description: `Producer properties. The value of every property whose name says password, secret, jaas, token or credential is a secret: sealed, answered as the mask, kept when sent masked unless the servers changed.`,
        },
      ),
    ),
    enableSecure: opt(bool()),
    protocolTypes: opt(
      list(oneOf(['TLS_1_3', 'TLS_1_2', 'TLS_1_1', 'TLS_1_0', 'SSL_3_0'], { nullable: false }), 5),
    ),
    keyStoreName: opt(text(100)),
    trustStoreName: opt(text(100)),
    bootstrapServers: opt(
      Type.String({
        maxLength: 2048,
        ...matching(
          '^[^\\s,]+:[0-9]{1,5}(,[^\\s,]+:[0-9]{1,5})*$',
          'must be host:port pairs separated by commas, like k1:9092,k2:9092',
        ),
        description: "Shorthand for propertiesMap's bootstrap.servers (the create page's example)",
      }),
    ),
  },
  target: { servers: (_v, body) => serverSet(servers(body), body) },
  nestedSecrets,
  check,
}
