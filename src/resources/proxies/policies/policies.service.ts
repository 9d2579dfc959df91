import { randomUUID } from 'node:crypto'
import type { ApiProxyRow, ProjectRow, ProxyPolicyRow } from '../../../db/schema.ts'
import { isUniqueViolation, type Queryable } from '../../../db/types.ts'
import { errors, type ValidationIssue } from '../../../errors.ts'
import { authorizeInProject, type Principal } from '../../../identity/policy/permissions.ts'
import { findEndpoint } from '../endpoints/endpoints.repository.ts'
import { deployEverywhere, requireUsableEnvironment } from '../proxies.deployment.ts'
import { reviseProxy } from '../proxies.revision.ts'
import { type ProxiesDeps, requireProxy } from '../proxies.service.ts'
import { conditionIssues } from './policies.condition.ts'
import { referenceIssues } from './policies.references.ts'
import * as repo from './policies.repository.ts'
import {
  DEFINITIONS,
  type OperationMetadataInput,
  type PolicyBodyInput,
} from './policies.schemas.ts'
import { sealPolicy } from './policies.secrets.ts'
import { presentProxyPolicies } from './policies.view.ts'

/*
 * A proxy's policies. Every change runs through reviseProxy (a deployed proxy then
 * reports redeployRequired) and, when operationMetadata says deploy and names
 * environments, redeploys the new revision there afterwards.
 */

export type PoliciesDeps = ProxiesDeps
export interface ProxyRef {
  projectName: string
  apiProxyName: string
}
export interface PolicyRef extends ProxyRef {
  policyName: string
}
type Where = Omit<OperationMetadataInput, 'order'>

export async function listPolicies(deps: PoliciesDeps, principal: Principal, ref: ProxyRef) {
  const project = await authorizeInProject(deps, principal, 'policy.read', ref.projectName)
  const proxy = await requireProxy(deps, project, ref.apiProxyName)
  return {
    status: 'SUCCESS' as const,
    success: true as const,
    resultList: [await presentProxyPolicies(deps.db, proxy)],
    resultCount: 1,
  }
}

const scopeOf = (m: Where) =>
  m.targetScope === 'ALL' ? 'ALL' : `${m.targetEndpointHTTPMethod} ${m.targetEndpoint}`

/** Which list the metadata names; an endpoint it names must exist in the proxy. */
async function listOf(trx: Queryable, proxy: ApiProxyRow, m: Where): Promise<repo.PolicyList> {
  if (m.targetScope === 'ALL') return { endpointId: null, pipeline: m.targetPipeline }
  const endpoint = await findEndpoint(trx, proxy.id, {
    name: m.targetEndpoint as string,
    httpMethod: m.targetEndpointHTTPMethod as string,
  })
  if (!endpoint) {
    throw errors.validationFailed([
      {
        field: 'operationMetadata.targetEndpoint',
        message: `names no endpoint of API proxy '${proxy.name}': ${scopeOf(m)} does not exist`,
      },
    ])
  }
  return { endpointId: endpoint.id, pipeline: m.targetPipeline }
}

/**
 * What the schema cannot say about the metadata and the policy; all at once. The add
 * route and the proxy import (transfer.policies.ts) both check a body with it.
 */
export async function bodyIssues(
  deps: Pick<PoliciesDeps, 'db'>,
  project: ProjectRow,
  m: Where,
  policy: Record<string, unknown> | undefined,
): Promise<ValidationIssue[]> {
  const issues: ValidationIssue[] = []
  if (m.targetScope === 'ENDPOINT') {
    for (const field of ['targetEndpoint', 'targetEndpointHTTPMethod'] as const) {
      if (!m[field])
        issues.push({
          field: `operationMetadata.${field}`,
          message: 'is required when targetScope is ENDPOINT',
        })
    }
  }
  if (policy) {
    issues.push(...conditionIssues(policy.policyCondition))
    issues.push(...(DEFINITIONS.get(policy.type as string)?.check?.(policy) ?? []))
    issues.push(...(await referenceIssues(deps.db, project, policy)))
  }
  return issues
}

async function checkBody(
  deps: PoliciesDeps,
  project: ProjectRow,
  m: Where,
  policy: Record<string, unknown> | undefined,
) {
  const issues = await bodyIssues(deps, project, m, policy)
  if (issues.length > 0) throw errors.validationFailed(issues)
}

/**
 * Authorizes the change (and the deploy it asks for), checks what can be checked
 * before the transaction, runs `work` in it, then redeploys when asked.
 */
async function change(
  deps: PoliciesDeps,
  principal: Principal,
  ref: PolicyRef,
  m: Where,
  policy: Record<string, unknown> | undefined,
  work: (trx: Queryable, proxy: ApiProxyRow, project: ProjectRow) => Promise<string>,
) {
  const project = await authorizeInProject(deps, principal, 'proxy.write', ref.projectName)
  const targets = m.deploy === false ? [] : (m.deployTargetEnvironmentNameList ?? [])
  if (targets.length > 0) {
    await authorizeInProject(deps, principal, 'proxy.deploy', ref.projectName)
    for (const name of targets) await requireUsableEnvironment(deps, project, name)
  }
  await checkBody(deps, project, m, policy)
  const type = await reviseProxy(deps, project, ref.apiProxyName, async (trx, proxy) => ({
    result: await work(trx, proxy, project),
  }))
  const fields = {
    project: project.name,
    proxy: ref.apiProxyName,
    policy: ref.policyName,
    type,
    scope: scopeOf(m),
  }
  const ok = { status: 'SUCCESS' as const, success: true as const }
  if (targets.length === 0) return { answer: ok, fields }
  const proxy = await requireProxy(deps, project, ref.apiProxyName)
  const deploymentResult = await deployEverywhere(deps, principal, project, proxy, targets)
  return { answer: { ...ok, deploymentResult }, fields }
}

/** Where `order` puts a policy in a list of `size` (documented: null or >= size is the end). */
function indexFor(order: number | null | undefined, size: number, fallback: number) {
  if (order === null || order === undefined) return fallback
  return order >= size ? size : order - 1
}

const notThere = (name: string) =>
  errors.badRequest(`A policy named '${name}' does not exist in this API proxy.`)

function sealed(
  deps: PoliciesDeps,
  proxy: ApiProxyRow,
  name: string,
  body: PolicyBodyInput,
  stored: ProxyPolicyRow | undefined,
) {
  const { name: _ignored, ...policy } = body.policy
  const def = DEFINITIONS.get(body.policy.type)
  if (!def) throw errors.badRequest(`Unknown policy type '${body.policy.type}'.`)
  const at = { proxyId: proxy.id, nameKey: name.toLowerCase() }
  const before = stored ? (JSON.parse(stored.policy) as Record<string, unknown>) : null
  const out = sealPolicy(deps.atRestKey, at, def, policy, before)
  if (out.issues.length > 0) throw errors.validationFailed(out.issues)
  return JSON.stringify(out.policy)
}

export async function addPolicy(
  deps: PoliciesDeps,
  principal: Principal,
  ref: PolicyRef,
  body: PolicyBodyInput,
) {
  const m = body.operationMetadata
  const duplicate = () =>
    errors.badRequest(`A policy named '${ref.policyName}' already exists in this API proxy.`)
  const now = deps.clock.now().toISOString()
  const done = await change(deps, principal, ref, m, body.policy, async (trx, proxy) => {
    if (await repo.findPolicy(trx, proxy.id, ref.policyName)) throw duplicate()
    const list = await listOf(trx, proxy, m)
    const ids = await repo.listIds(trx, proxy.id, list)
    const id = randomUUID()
    await repo.insertPolicy(trx, {
      id,
      proxy_id: proxy.id,
      endpoint_id: list.endpointId,
      name: ref.policyName,
      name_key: ref.policyName.toLowerCase(),
      pipeline: list.pipeline,
      type: body.policy.type,
      position: ids.length,
      policy: sealed(deps, proxy, ref.policyName, body, undefined),
      created_at: now,
      updated_at: now,
    })
    ids.splice(indexFor(m.order, ids.length, ids.length), 0, id)
    await repo.renumber(trx, ids)
    return body.policy.type
  }).catch((error) => {
    if (isUniqueViolation(error)) throw duplicate()
    throw error
  })
  deps.audit.record('policy.added', done.fields)
  return done.answer
}

export async function updatePolicy(
  deps: PoliciesDeps,
  principal: Principal,
  ref: PolicyRef,
  body: PolicyBodyInput,
) {
  const m = body.operationMetadata
  const now = deps.clock.now().toISOString()
  const done = await change(deps, principal, ref, m, body.policy, async (trx, proxy) => {
    const row = await repo.findPolicy(trx, proxy.id, ref.policyName)
    if (!row) throw notThere(ref.policyName)
    if (row.type !== body.policy.type) {
      throw errors.validationFailed([
        {
          field: 'policy.type',
          message: `is '${body.policy.type}' but the policy is a '${row.type}': a type cannot change (delete the policy and add it again)`,
        },
      ])
    }
    const from = { endpointId: row.endpoint_id, pipeline: row.pipeline }
    const to = await listOf(trx, proxy, m)
    const same = from.endpointId === to.endpointId && from.pipeline === to.pipeline
    const old = await repo.listIds(trx, proxy.id, from)
    const target = same ? old : await repo.listIds(trx, proxy.id, to)
    const size = target.length
    const kept = same ? old.indexOf(row.id) : size
    if (same) target.splice(kept, 1)
    else old.splice(old.indexOf(row.id), 1)
    target.splice(Math.min(indexFor(m.order, size, kept), target.length), 0, row.id)
    await repo.updatePolicy(trx, row.id, {
      endpoint_id: to.endpointId,
      pipeline: to.pipeline,
      policy: sealed(deps, proxy, row.name, body, row),
      updated_at: now,
    })
    if (!same) await repo.renumber(trx, old)
    await repo.renumber(trx, target)
    return row.type
  })
  deps.audit.record('policy.updated', done.fields)
  return done.answer
}

export async function deletePolicy(
  deps: PoliciesDeps,
  principal: Principal,
  ref: PolicyRef,
  body: { operationMetadata: Where },
) {
  const m = body.operationMetadata
  const done = await change(deps, principal, ref, m, undefined, async (trx, proxy) => {
    const row = await repo.findPolicy(trx, proxy.id, ref.policyName)
    if (!row) throw notThere(ref.policyName)
    const list = await listOf(trx, proxy, m)
    if (row.endpoint_id !== list.endpointId || row.pipeline !== list.pipeline) {
      throw errors.badRequest(
        `Policy '${row.name}' is not in the ${m.targetPipeline} pipeline of ${scopeOf(m) === 'ALL' ? 'the whole API proxy' : `endpoint ${scopeOf(m)}`}: name the scope and pipeline it is in.`,
      )
    }
    await repo.deletePolicy(trx, row.id)
    await repo.renumber(trx, await repo.listIds(trx, proxy.id, list))
    return row.type
  })
  deps.audit.record('policy.deleted', done.fields)
  return done.answer
}
