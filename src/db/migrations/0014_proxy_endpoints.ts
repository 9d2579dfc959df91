import { randomUUID } from 'node:crypto'
import type { Kysely } from 'kysely'

// Frozen: never edit a migration that has shipped; add a new one instead.

const ts = 'varchar(24)'

/** What api_proxies.endpoints held before this migration (a spec's operations). */
interface LegacyEndpoint {
  method?: unknown
  path?: unknown
  operationId?: unknown
  summary?: unknown
  soapAction?: unknown
}

const text = (value: unknown): string | null => (typeof value === 'string' ? value : null)

/** Rows per insert: far below either engine's limit on bound parameters. */
const CHUNK = 500

/**
 * A proxy's endpoints become rows of their own (proxy_endpoints), so each can be
 * found, edited, enabled or deleted alone, and a hand-made one lives beside those a
 * spec gave. The JSON column they were kept in goes away once its rows are moved.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('proxy_endpoints')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('proxy_id', 'varchar(36)', (c) =>
      c.notNull().references('api_proxies.id').onDelete('cascade'),
    )
    .addColumn('http_method', 'varchar(10)', (c) => c.notNull())
    .addColumn('name', 'varchar(2048)', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('backend_resource_url', 'varchar(2048)', (c) => c.notNull())
    .addColumn('backend_http_method', 'varchar(10)', (c) => c.notNull())
    // 1 or 0: the portable boolean.
    .addColumn('active', 'integer', (c) => c.notNull())
    // 'spec' (from the proxy's spec; a re-parse may drop it) or 'manual' (always kept).
    .addColumn('origin', 'varchar(10)', (c) => c.notNull())
    .addColumn('operation_id', 'text')
    .addColumn('summary', 'text')
    .addColumn('soap_action', 'text')
    // JSON, the documented CacheSettings and WSA settings objects; null: never set.
    .addColumn('cache_settings', 'text')
    .addColumn('wsa_settings', 'text')
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('created_at', ts, (c) => c.notNull())
    .addColumn('updated_at', ts, (c) => c.notNull())
    .addUniqueConstraint('proxy_endpoints_method_name_uq', ['proxy_id', 'http_method', 'name'])
    .execute()
  // The list's order (and its page) straight from an index.
  await db.schema
    .createIndex('proxy_endpoints_position_idx')
    .on('proxy_endpoints')
    .columns(['proxy_id', 'position', 'id'])
    .execute()

  await moveEndpoints(db)
  await db.schema.alterTable('api_proxies').dropColumn('endpoints').execute()
}

async function moveEndpoints(db: Kysely<any>): Promise<void> {
  const proxies = await db
    .selectFrom('api_proxies')
    .select(['id', 'endpoints', 'updated_at'])
    .execute()
  for (const proxy of proxies) {
    let parsed: unknown
    try {
      parsed = JSON.parse(String(proxy.endpoints))
    } catch {
      parsed = []
    }
    const seen = new Set<string>()
    const rows = (Array.isArray(parsed) ? (parsed as LegacyEndpoint[]) : []).flatMap((e) => {
      const method = text(e.method)?.toUpperCase()
      const path = text(e.path)
      const key = `${method} ${path}`
      // A spec that declared one operation twice: the first one stays, as the unique key asks.
      if (!method || !path || seen.has(key)) return []
      seen.add(key)
      return [
        {
          id: randomUUID(),
          proxy_id: proxy.id,
          http_method: method,
          name: path,
          description: text(e.summary) ?? '',
          backend_resource_url: path,
          backend_http_method: method,
          active: 1,
          origin: 'spec',
          operation_id: text(e.operationId),
          summary: text(e.summary),
          soap_action: text(e.soapAction),
          cache_settings: null,
          wsa_settings: null,
          position: seen.size - 1,
          created_at: proxy.updated_at,
          updated_at: proxy.updated_at,
        },
      ]
    })
    for (let i = 0; i < rows.length; i += CHUNK) {
      await db
        .insertInto('proxy_endpoints')
        .values(rows.slice(i, i + CHUNK))
        .execute()
    }
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('api_proxies')
    .addColumn('endpoints', 'text', (c) => c.notNull().defaultTo('[]'))
    .execute()
  await db.schema.dropTable('proxy_endpoints').execute()
}
