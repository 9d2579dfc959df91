import { CONNECTION_TYPES, typeDef } from './types/index.ts'

/*
 * Bodies as clients send them, made documented ones before validation: the shape apiops
 * had before the documented one (fields nested under `settings`, six types), and two
 * quirks of the docs' own examples. One function, so validation, sealing and storage
 * only ever see the documented shape.
 */

type Json = Record<string, unknown>
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v)

/** Drops undefined, which a JSON body never holds and validation would read as a value. */
const defined = (o: Json): Json =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined))

function hostsOf(url: unknown) {
  // Only a plain scheme://host[:port]: anything else (user info, say) is left for validation to refuse.
  const match = /^(https?):\/\/([^/:?#@]+)(?::(\d{1,5}))?(?:[/?#]|$)/i.exec(String(url))
  if (!match) return url
  const scheme = (match[1] as string).toLowerCase()
  return [{ scheme, host: match[2], port: Number(match[3] ?? (scheme === 'https' ? 443 : 80)) }]
}

/** The old `settings` of each of the six old types, as documented fields. */
const FROM_SETTINGS: Record<string, (s: Json) => Json> = {
  database: ({ poolMaxSize, connectTimeoutMs, ...rest }) => ({
    ...rest,
    maxPoolSize: poolMaxSize,
    connectionTimeout: connectTimeoutMs,
  }),
  ldap: ({ url, bindDn, ...rest }) => ({ ...rest, serverAddress: url, username: bindDn }),
  email: ({ useTls, ...rest }) => ({
    ...rest,
    enableStartTls: useTls,
    auth: typeof rest.password === 'string' ? true : undefined,
  }),
  kafka: ({ topic, saslUsername, password, ...rest }) => ({
    ...rest,
    topicName: topic,
    propertiesMap:
      saslUsername === undefined && typeof password !== 'string'
        ? undefined
        : defined({
            'sasl.username':
              saslUsername === undefined ? undefined : { value: saslUsername, valueType: 'STRING' },
            'sasl.password':
              typeof password === 'string' ? { value: password, valueType: 'STRING' } : undefined,
          }),
  }),
  webhook: ({ url, method, headers, ...rest }) => ({
    ...rest,
    fullUrl: url,
    httpMethod: method,
    headerList: isObject(headers)
      ? Object.entries(headers).map(([name, value]) => ({ name, value }))
      : headers,
  }),
  elasticsearch: ({ url, index, username, password, ...rest }) => ({
    ...rest,
    elasticHostList: url === undefined ? undefined : hostsOf(url),
    indexName: index,
    elasticUsername: username,
    elasticPassword: password,
    authenticate: username === undefined ? undefined : true,
  }),
}

export function documentedBody(body: unknown): unknown {
  if (!isObject(body)) return body
  let next: Json = body
  const old = typeof next.type === 'string' ? FROM_SETTINGS[next.type] : undefined
  if (old && isObject(next.settings)) {
    const { settings, ...rest } = next
    next = defined({ ...rest, ...old(settings) })
  }
  // The elasticsearch examples have a second `type` (READ_WRITE/READ) that JSON parsing
  // keeps in place of the discriminator: such a body is an elasticsearch connection.
  if ((next.type === 'READ_WRITE' || next.type === 'READ') && 'elasticHostList' in next) {
    next = { ...next, type: 'elasticsearch', elasticsearchType: next.type }
  }
  if (typeof next.type === 'string' && CONNECTION_TYPES.includes(next.type)) {
    for (const [alias, field] of Object.entries(typeDef(next.type).aliases ?? {})) {
      if (!(alias in next) || field in next) continue
      const { [alias]: value, ...rest } = next
      next = { ...rest, [field]: value }
    }
  }
  return next
}
