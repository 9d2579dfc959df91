import { randomUUID } from 'node:crypto'
import type { ProxyEndpointRow } from '../../../db/schema.ts'
import type { SpecEndpoint } from '../spec-types.ts'
import type { EndpointRecord } from './endpoints.repository.ts'

/*
 * What an endpoint is, whoever made it: how one is shown, how a spec's operations become
 * endpoints, and what a re-parse keeps.
 */

export type Origin = 'spec' | 'manual'

/** The documented endpoint object, plus what apiops keeps besides (origin, spec facts, settings). */
export function presentEndpoint(row: ProxyEndpointRow) {
  return {
    id: row.id,
    endpoint: row.name,
    description: row.description,
    active: row.active === 1,
    httpMethod: row.http_method,
    backendResourceUrl: row.backend_resource_url,
    backendHttpMethod: row.backend_http_method,
    origin: row.origin as Origin,
    operationId: row.operation_id,
    summary: row.summary,
    soapAction: row.soap_action,
    cacheSettings: row.cache_settings === null ? null : JSON.parse(row.cache_settings),
    wsaSettings: row.wsa_settings === null ? null : JSON.parse(row.wsa_settings),
  }
}

export type EndpointView = ReturnType<typeof presentEndpoint>

const keyOf = (method: string, name: string) => `${method} ${name}`

/**
 * A spec's operations as new endpoints: the path is the name and, until someone edits
 * it, the backend resource too; the summary is the description. A document that
 * declares one method and path twice gives one endpoint.
 */
export function specRecords(operations: readonly SpecEndpoint[], now: string): EndpointRecord[] {
  const seen = new Set<string>()
  const records: EndpointRecord[] = []
  for (const op of operations) {
    const key = keyOf(op.method, op.path)
    if (seen.has(key)) continue
    seen.add(key)
    records.push({
      id: randomUUID(),
      http_method: op.method,
      name: op.path,
      description: op.summary ?? '',
      backend_resource_url: op.path,
      backend_http_method: op.method,
      active: 1,
      origin: 'spec',
      operation_id: op.operationId,
      summary: op.summary,
      soap_action: op.soapAction ?? null,
      cache_settings: null,
      wsa_settings: null,
      created_at: now,
      updated_at: now,
    })
  }
  return records
}

/**
 * The endpoints after a re-parse: the new spec's operations in its order, each that
 * already existed (same method and name) keeping its id and edits (active, description,
 * backend, cache, WSA, and its origin: a hand-made one stays hand-made) with the spec's
 * facts refreshed; then every hand-made endpoint the spec does not declare. Spec
 * endpoints the new spec no longer declares are gone.
 */
export function reparsed(
  existing: readonly ProxyEndpointRow[],
  operations: readonly SpecEndpoint[],
  now: string,
): EndpointRecord[] {
  const byKey = new Map(existing.map((row) => [keyOf(row.http_method, row.name), row]))
  const kept = new Set<string>()
  const fromSpec = specRecords(operations, now).map((fresh) => {
    const key = keyOf(fresh.http_method, fresh.name)
    const old = byKey.get(key)
    if (!old) return fresh
    kept.add(key)
    const { proxy_id: _proxy, position: _position, ...stored } = old
    const facts = {
      operation_id: fresh.operation_id,
      summary: fresh.summary,
      soap_action: fresh.soap_action,
    }
    const changed = Object.entries(facts).some(([k, v]) => stored[k as keyof typeof facts] !== v)
    return { ...stored, ...facts, updated_at: changed ? now : stored.updated_at }
  })
  const manual = existing
    .filter((row) => row.origin === 'manual' && !kept.has(keyOf(row.http_method, row.name)))
    .map(({ proxy_id: _proxy, position: _position, ...stored }) => stored)
  return [...fromSpec, ...manual]
}

/**
 * Imported endpoints that the proxy already has (same method and name) take the stored
 * row's id and creation time, so replacing the list updates those rows in place and what
 * refers to them (rate-limit entries) survives an override. Answers the records and the
 * id each imported record now has.
 */
export function keepStoredIdentity(
  existing: readonly ProxyEndpointRow[],
  records: readonly EndpointRecord[],
): { records: EndpointRecord[]; idOf: (importedId: string) => string } {
  const byKey = new Map(existing.map((row) => [keyOf(row.http_method, row.name), row]))
  const ids = new Map<string, string>()
  const kept = records.map((record) => {
    const old = byKey.get(keyOf(record.http_method, record.name))
    if (!old) return record
    ids.set(record.id, old.id)
    return { ...record, id: old.id, created_at: old.created_at }
  })
  return { records: kept, idOf: (id) => ids.get(id) ?? id }
}

/** The documented defaults of the WSA settings object; a PATCH names what differs. */
export const WSA_DEFAULTS = {
  wsaEnabled: false,
  wsaMustUnderstand: 'NONE',
  wsaVersion: 'V200508',
  wsaAddDefaultAction: false,
  wsaAction: null,
  wsaAddDefaultTo: false,
  wsaTo: null,
  wsaReplyTo: null,
  wsaGenerateMessageId: false,
  wsaMessageId: null,
  wsaFrom: null,
  wsaFaultTo: null,
  wsaRelatesTo: null,
  wsaRelationShipType: null,
} as const
