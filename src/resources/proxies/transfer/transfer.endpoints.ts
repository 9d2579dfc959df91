import { randomUUID } from 'node:crypto'
import { Type } from 'typebox'
import type { Queryable } from '../../../db/types.ts'
import { errors } from '../../../errors.ts'
import { documentChecker } from '../../../http/validation.ts'
import { checkBackendResourceUrl } from '../endpoints/backend-url.ts'
import { WSA_DEFAULTS } from '../endpoints/endpoints.model.ts'
import { type EndpointRecord, endpointsOf } from '../endpoints/endpoints.repository.ts'
import { CreateEndpointBody, WsaSettings } from '../endpoints/endpoints.schemas.ts'
import { enumOf, nullable, strict } from '../settings/settings.fields.ts'
import { withDefaults } from '../settings/settings.model.ts'
import { CacheBody } from '../settings/settings.schemas.ts'
import { MAX_OPERATIONS } from '../spec-types.ts'

/*
 * A proxy's endpoints in an export (endpoints.json): every one, those its spec gave and
 * those made by hand, in list order, with their state (active, cache, WS-Addressing).
 * Ids and timestamps stay behind; an import gives new ones.
 */

const Text = (maxLength: number) => nullable(Type.String({ maxLength }))
const Section = Type.Object({}, { additionalProperties: true })

export const ExportedEndpoint = Type.Object(
  {
    ...CreateEndpointBody.properties,
    description: Type.String({ maxLength: 1000 }),
    active: Type.Boolean(),
    origin: enumOf(['spec', 'manual'] as const),
    operationId: Text(1000),
    summary: Text(10_000),
    soapAction: Text(2048),
    cacheSettings: nullable(Section),
    wsaSettings: nullable(Section),
  },
  strict,
)
interface ExportedEndpointBody {
  name: string
  httpMethod: string
  description: string
  backendResourceUrl: string
  backendHttpMethod: string
  active: boolean
  origin: 'spec' | 'manual'
  operationId: string | null
  summary: string | null
  soapAction: string | null
  cacheSettings: Record<string, unknown> | null
  wsaSettings: Record<string, unknown> | null
}

const checkList = documentChecker<ExportedEndpointBody[]>(
  Type.Array(ExportedEndpoint, { maxItems: MAX_OPERATIONS }),
)
const checkCache = documentChecker<Record<string, unknown>>(CacheBody)
const checkWsa = documentChecker<Record<string, unknown>>(WsaSettings)

const parseSection = (text: string | null) =>
  text === null ? null : (JSON.parse(text) as Record<string, unknown>)

export async function exportedEndpoints(
  db: Queryable,
  proxyId: string,
): Promise<ExportedEndpointBody[]> {
  return (await endpointsOf(db, proxyId)).map((row) => ({
    name: row.name,
    httpMethod: row.http_method,
    description: row.description,
    backendResourceUrl: row.backend_resource_url,
    backendHttpMethod: row.backend_http_method,
    active: row.active === 1,
    origin: row.origin as 'spec' | 'manual',
    operationId: row.operation_id,
    summary: row.summary,
    soapAction: row.soap_action,
    cacheSettings: parseSection(row.cache_settings),
    wsaSettings: parseSection(row.wsa_settings),
  }))
}

const withoutNulls = (section: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(section).filter(([, value]) => value !== null))

/**
 * endpoints.json as rows to store, each checked as the endpoint routes check it: the
 * cache by the cache PATCH's schema over its defaults, WS-Addressing by its own.
 */
export function importedEndpoints(document: unknown, where: string, now: string): EndpointRecord[] {
  const list = checkList(document, where)
  const seen = new Set<string>()
  return list.map((e, i) => {
    const key = `${e.httpMethod} ${e.name}`
    if (seen.has(key)) {
      throw errors.validationFailed([
        { field: `${where}.${i}`, message: `lists ${key} a second time` },
      ])
    }
    seen.add(key)
    checkBackendResourceUrl(e.backendResourceUrl, `${where}.${i}.backendResourceUrl`)
    const cache = e.cacheSettings && {
      ...withDefaults({}).cache,
      ...checkCache(withoutNulls(e.cacheSettings), `${where}.${i}.cacheSettings`),
    }
    const wsa = e.wsaSettings && {
      ...WSA_DEFAULTS,
      ...checkWsa(e.wsaSettings, `${where}.${i}.wsaSettings`),
    }
    return {
      id: randomUUID(),
      http_method: e.httpMethod,
      name: e.name,
      description: e.description,
      backend_resource_url: e.backendResourceUrl,
      backend_http_method: e.backendHttpMethod,
      active: e.active ? 1 : 0,
      origin: e.origin,
      operation_id: e.operationId,
      summary: e.summary,
      soap_action: e.soapAction,
      cache_settings: cache ? JSON.stringify(cache) : null,
      wsa_settings: wsa ? JSON.stringify(wsa) : null,
      created_at: now,
      updated_at: now,
    }
  })
}

export { replaceEndpoints } from '../endpoints/endpoints.repository.ts'
export type { ExportedEndpointBody }
