import type { Kysely } from 'kysely'

// Frozen: never edit a migration that has shipped; add a new one instead.

/*
 * Connections move from apiops' own shape (the type's fields nested under `settings`,
 * with its own names) to the documented one: the same fields under the names the
 * Apinizer docs give them, a secret field reading "********" when the row has a sealed
 * secret. The sealed column itself cannot be rewritten here (no key): the service reads
 * the old sealed shapes too. This is a copy of the service's alias mapping as it was,
 * so later changes there cannot change what this migration did.
 */

const MASK = '********'
type Json = Record<string, unknown>
const defined = (o: Json): Json =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined))

function hostsOf(url: unknown) {
  const match = /^(https?):\/\/([^/:?#]+)(?::(\d{1,5}))?/i.exec(String(url))
  if (!match) return []
  const scheme = (match[1] as string).toLowerCase()
  return [{ scheme, host: match[2], port: Number(match[3] ?? (scheme === 'https' ? 443 : 80)) }]
}

/** Old settings (never holding a password) and whether a secret is sealed -> documented fields. */
const CONVERT: Record<string, (s: Json, sealed: boolean) => Json> = {
  database: ({ poolMaxSize, connectTimeoutMs, ...rest }, sealed) => ({
    ...rest,
    maxPoolSize: poolMaxSize,
    connectionTimeout: connectTimeoutMs,
    password: sealed ? MASK : undefined,
  }),
  ldap: ({ url, bindDn, ...rest }, sealed) => ({
    ...rest,
    serverAddress: url,
    username: bindDn,
    password: sealed ? MASK : undefined,
  }),
  email: ({ useTls, ...rest }, sealed) => ({
    ...rest,
    enableStartTls: useTls,
    auth: sealed ? true : undefined,
    password: sealed ? MASK : undefined,
  }),
  kafka: ({ topic, saslUsername, ...rest }, sealed) => ({
    ...rest,
    topicName: topic,
    propertiesMap:
      saslUsername === undefined && !sealed
        ? undefined
        : defined({
            'sasl.username':
              saslUsername === undefined ? undefined : { value: saslUsername, valueType: 'STRING' },
            'sasl.password': sealed ? { value: MASK, valueType: 'STRING' } : undefined,
          }),
  }),
  webhook: ({ url, method, headers, ...rest }) => ({
    ...rest,
    fullUrl: url,
    httpMethod: method,
    headerList:
      headers && typeof headers === 'object'
        ? Object.entries(headers).map(([name, value]) => ({ name, value }))
        : undefined,
  }),
  elasticsearch: ({ url, index, username, ...rest }, sealed) => ({
    ...rest,
    elasticHostList: hostsOf(url),
    indexName: index,
    elasticUsername: username,
    authenticate: username === undefined ? undefined : true,
    elasticPassword: sealed ? MASK : undefined,
  }),
}

export async function up(db: Kysely<any>): Promise<void> {
  const rows: { id: string; type: string; settings: string; secret: string | null }[] = await db
    .selectFrom('connections')
    .select(['id', 'type', 'settings', 'secret'])
    .execute()
  for (const row of rows) {
    const convert = CONVERT[row.type]
    if (!convert) continue
    // Webhooks kept their values in the sealed column, not a password: nothing to mark.
    const sealed = row.secret !== null && row.type !== 'webhook'
    const settings = { deployToWorker: true, ...defined(convert(JSON.parse(row.settings), sealed)) }
    await db
      .updateTable('connections')
      .set({ settings: JSON.stringify(settings) })
      .where('id', '=', row.id)
      .execute()
  }
}

export async function down(): Promise<void> {
  // One way: the old shape had fewer fields than the documented one can hold.
}
