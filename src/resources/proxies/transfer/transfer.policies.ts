import { randomUUID } from 'node:crypto'
import type { ProjectRow } from '../../../db/schema.ts'
import type { Queryable } from '../../../db/types.ts'
import { errors, type ValidationIssue } from '../../../errors.ts'
import { NameParam } from '../../../http/schemas.ts'
import { documentChecker } from '../../../http/validation.ts'
import { type EndpointRecord, endpointsOf } from '../endpoints/endpoints.repository.ts'
import { type PolicyRecord, policiesOf } from '../policies/policies.repository.ts'
import { checkPolicyDocument, DEFINITIONS, PIPELINES } from '../policies/policies.schemas.ts'
import { sealPolicy, withoutSecrets } from '../policies/policies.secrets.ts'
import { bodyIssues, type PoliciesDeps } from '../policies/policies.service.ts'

/*
 * A proxy's policies in an export (policies.json): each one as the add route's body
 * plus its name, the proxy's lists first, then each endpoint's in endpoint order, each
 * pipeline in order. Secrets are left out and named. In: each entry checked exactly as
 * the add route checks a body, its endpoint found among the imported ones.
 */

const MAX_POLICIES = 500

export interface ExportedPolicy {
  name: string
  operationMetadata: {
    targetScope: 'ALL' | 'ENDPOINT'
    targetEndpoint?: string
    targetEndpointHTTPMethod?: string
    targetPipeline: string
    order: number
  }
  policy: Record<string, unknown>
}

/** The entries of policies.json and the secrets left out of them. */
export async function exportedPolicies(db: Queryable, proxyId: string) {
  const [rows, endpoints] = await Promise.all([policiesOf(db, proxyId), endpointsOf(db, proxyId)])
  const place = new Map(endpoints.map((e, i) => [e.id, i]))
  const rank = (endpointId: string | null) =>
    endpointId === null ? -1 : (place.get(endpointId) ?? 0)
  const pipeline = (p: string) => PIPELINES.indexOf(p as never)
  const sorted = [...rows].sort(
    (a, b) =>
      rank(a.endpoint_id) - rank(b.endpoint_id) ||
      pipeline(a.pipeline) - pipeline(b.pipeline) ||
      a.position - b.position,
  )
  const omitted: string[] = []
  const document: ExportedPolicy[] = sorted.map((row) => {
    const endpoint = endpoints.find((e) => e.id === row.endpoint_id)
    const { policy, left } = withoutSecrets(DEFINITIONS.get(row.type), JSON.parse(row.policy))
    for (const path of left) omitted.push(`policy ${row.name}: ${path}`)
    return {
      name: row.name,
      operationMetadata: {
        targetScope: endpoint ? 'ENDPOINT' : 'ALL',
        ...(endpoint
          ? { targetEndpoint: endpoint.name, targetEndpointHTTPMethod: endpoint.http_method }
          : {}),
        targetPipeline: row.pipeline,
        order: row.position + 1,
      },
      policy: { ...policy, type: row.type },
    }
  })
  return { document, omitted }
}

/** A policy read from the archive, checked, before it belongs to a proxy. */
export interface ImportedPolicy {
  name: string
  endpointId: string | null
  pipeline: string
  order: number
  policy: Record<string, unknown> & { type: string }
}

const checkName = documentChecker<string>(NameParam)

const entryName = (entry: unknown, at: string) =>
  checkName((entry as { name?: unknown } | null)?.name ?? null, `${at}.name`)

const PLACEHOLDER = 'left-out-of-the-export'

/**
 * Stands a placeholder in for each secret the manifest says was left out of this policy,
 * so a type that requires the secret passes the add route's schema; the caller takes the
 * placeholders out again once checked (the policy is stored without them).
 */
function leftOut(policy: unknown, name: string, omitted: readonly string[]) {
  const prefix = `policy ${name}: `
  const filled: { parent: Record<string, unknown>; key: string }[] = []
  for (const entry of omitted) {
    if (!entry.startsWith(prefix)) continue
    const path = entry.slice(prefix.length).split('.')
    const key = path.pop() as string
    let parent: unknown = policy
    for (const part of path) parent = (parent as Record<string, unknown> | null)?.[part]
    if (parent === null || typeof parent !== 'object') continue
    const at = parent as Record<string, unknown>
    if (at[key] !== undefined) continue
    at[key] = PLACEHOLDER
    filled.push({ parent: at, key })
  }
  return filled
}

/**
 * Checks policies.json (each entry as the add route checks its body, against the
 * importing project) and finds each ENDPOINT scope among the imported endpoints.
 */
export async function importedPolicies(
  deps: Pick<PoliciesDeps, 'db' | 'atRestKey'>,
  project: ProjectRow,
  document: unknown,
  endpoints: readonly EndpointRecord[],
  omitted: readonly string[],
  where: string,
): Promise<ImportedPolicy[]> {
  if (!Array.isArray(document) || document.length > MAX_POLICIES) {
    throw errors.validationFailed([
      { field: where, message: `must be a list of at most ${MAX_POLICIES} policies` },
    ])
  }
  const seen = new Set<string>()
  const out: ImportedPolicy[] = []
  for (const [index, entry] of document.entries()) {
    const name = entryName(entry, `${where}.${index}`)
    const at = `${where}.${index} (${name})`
    if (seen.has(name.toLowerCase())) {
      throw errors.validationFailed([{ field: `${at}.name`, message: 'names a policy twice' }])
    }
    seen.add(name.toLowerCase())
    const { name: _name, ...body } = structuredClone(entry) as Record<string, unknown>
    const left = leftOut(body.policy, name, omitted)
    const checked = checkPolicyDocument(body, at)
    for (const { parent, key } of left) delete parent[key]
    const m = checked.operationMetadata
    // A mask in place of a secret is refused here, before the transaction (nothing is
    // stored under it to keep); the value sealed now is dropped, sealed again to its proxy.
    const def = DEFINITIONS.get(checked.policy.type)
    const masks = def
      ? sealPolicy(deps.atRestKey, { proxyId: '', nameKey: '' }, def, checked.policy, null).issues
      : []
    const issues: ValidationIssue[] = [
      ...(await bodyIssues(deps, project, m, checked.policy)),
      ...masks,
    ].map((i) => ({ field: `${at}.${i.field}`, message: i.message }))
    if (issues.length > 0) throw errors.validationFailed(issues)
    let endpointId: string | null = null
    if (m.targetScope === 'ENDPOINT') {
      const endpoint = endpoints.find(
        (e) => e.name === m.targetEndpoint && e.http_method === m.targetEndpointHTTPMethod,
      )
      if (!endpoint) {
        throw errors.validationFailed([
          {
            field: `${at}.operationMetadata.targetEndpoint`,
            message: `names no endpoint in endpoints.json: ${m.targetEndpointHTTPMethod} ${m.targetEndpoint} is not there`,
          },
        ])
      }
      endpointId = endpoint.id
    }
    const order = m.order ?? Number.MAX_SAFE_INTEGER
    out.push({ name, endpointId, pipeline: m.targetPipeline, order, policy: checked.policy })
  }
  return out
}

/**
 * The rows to store for the proxy `proxyId`: each list ordered by `order` (archive order
 * breaks ties), positions 0..n-1. A secret an archive holds anyway is sealed to its new place.
 */
export function policyRecords(
  deps: Pick<PoliciesDeps, 'atRestKey'>,
  proxyId: string,
  policies: readonly ImportedPolicy[],
  now: string,
  where: string,
): PolicyRecord[] {
  const lists = new Map<string, ImportedPolicy[]>()
  for (const p of policies) {
    const key = `${p.endpointId ?? ''} ${p.pipeline}`
    lists.set(key, [...(lists.get(key) ?? []), p])
  }
  return [...lists.values()].flatMap((list) =>
    [...list]
      .sort((a, b) => a.order - b.order)
      .map((p, position) => {
        const { name: _name, ...policy } = p.policy
        const def = DEFINITIONS.get(p.policy.type)
        const at = { proxyId, nameKey: p.name.toLowerCase() }
        const sealed = def ? sealPolicy(deps.atRestKey, at, def, policy, null) : null
        if (sealed && sealed.issues.length > 0) {
          throw errors.validationFailed(
            sealed.issues.map((i) => ({
              field: `${where} (${p.name}).${i.field}`,
              message: i.message,
            })),
          )
        }
        return {
          id: randomUUID(),
          endpoint_id: p.endpointId,
          name: p.name,
          name_key: p.name.toLowerCase(),
          pipeline: p.pipeline,
          type: p.policy.type,
          position,
          policy: JSON.stringify(sealed?.policy ?? policy),
          created_at: now,
          updated_at: now,
        }
      }),
  )
}
