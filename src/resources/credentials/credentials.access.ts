import { randomUUID } from 'node:crypto'
import type { Insertable } from 'kysely'
import type { Database, ProjectRow } from '../../db/schema.ts'
import { isUniqueViolation, type Queryable } from '../../db/types.ts'
import { errors } from '../../errors.ts'
import { authorizeInProject, type Principal } from '../../identity/policy/permissions.ts'
import { listEnvironmentsOfProject } from '../environments/environments.repository.ts'
import { type DeploymentResult, inEffectEverywhere } from '../environments/in-effect.ts'
import { findProxy } from '../proxies/proxies.repository.ts'
import { findGroup } from '../proxy-groups/proxy-groups.repository.ts'
import * as repo from './credentials.repository.ts'
import { type CredentialsDeps, requireCredential } from './credentials.service.ts'

/*
 * Which API proxies and proxy groups of its project a credential may call: the grants
 * the gateway's authentication policies will check. A grant names its target by name
 * and kind, as the docs do; it is stored by id, so renaming a proxy keeps it and
 * deleting one removes it.
 */

export interface AccessItem {
  name: string
  type: repo.AccessType
}

const KIND: Record<repo.AccessType, string> = {
  API_PROXY: 'API proxy',
  API_PROXY_GROUP: 'API proxy group',
}
const label = (item: AccessItem) => `${KIND[item.type]} '${item.name}'`
const key = (item: AccessItem) => `${item.type}\u0000${item.name}`

function sorted(items: AccessItem[]): AccessItem[] {
  return items.sort((a, b) => a.type.localeCompare(b.type) || a.name.localeCompare(b.name))
}

export async function listAccess(
  deps: Pick<CredentialsDeps, 'db'>,
  principal: Principal,
  projectName: string,
  username: string,
): Promise<AccessItem[]> {
  const project = await authorizeInProject(deps, principal, 'project.read', projectName)
  const credential = await requireCredential(deps, project, username)
  const rows = await repo.accessOf(deps.db, credential.id)
  return sorted(rows.map(({ name, type }) => ({ name, type })))
}

/** The id of the proxy or group an item names in this project, or a 404 naming it. */
async function targetOf(db: Queryable, project: ProjectRow, item: AccessItem) {
  const found =
    item.type === 'API_PROXY'
      ? await findProxy(db, project.id, item.name)
      : await findGroup(db, project.id, item.name)
  if (!found) throw errors.notFound(`${label(item)} in project '${project.name}'`)
  return item.type === 'API_PROXY'
    ? { proxy_id: found.id, group_id: null }
    : { proxy_id: null, group_id: found.id }
}

/** The items once each, in the order given: a repeat in one request is not a conflict. */
function distinct(items: readonly AccessItem[]): AccessItem[] {
  const seen = new Map<string, AccessItem>()
  for (const item of items) if (!seen.has(key(item))) seen.set(key(item), item)
  return [...seen.values()]
}

/** All or nothing: an unknown target or an existing grant refuses the whole request. */
export async function grantAccess(
  deps: CredentialsDeps,
  principal: Principal,
  projectName: string,
  username: string,
  items: readonly AccessItem[],
): Promise<DeploymentResult> {
  const project = await authorizeInProject(deps, principal, 'security.write', projectName)
  const credential = await requireCredential(deps, project, username)
  const wanted = distinct(items)
  const held = new Set((await repo.accessOf(deps.db, credential.id)).map(key))
  const already = wanted.find((item) => held.has(key(item)))
  const conflict = (item: AccessItem) =>
    errors.conflict(`Credential '${username}' already has access to ${label(item)}.`)
  if (already) throw conflict(already)
  const now = deps.clock.now().toISOString()
  const rows: Insertable<Database['credential_access']>[] = []
  for (const item of wanted) {
    rows.push({
      id: randomUUID(),
      credential_id: credential.id,
      ...(await targetOf(deps.db, project, item)),
      granted_at: now,
      granted_by: principal.username,
    })
  }
  try {
    await deps.db.transaction().execute((trx) => repo.insertAccess(trx, rows))
  } catch (error) {
    // Another request granted one of them since we looked.
    if (isUniqueViolation(error))
      throw errors.conflict(`Credential '${username}' already has one of these grants.`)
    throw error
  }
  deps.audit.record('credential.accessGranted', {
    project: project.name,
    credential: username,
    targets: wanted.map(label),
  })
  return inEffectEverywhere(await listEnvironmentsOfProject(deps.db, project.id))
}

/** All or nothing: a target the credential has no grant for refuses the whole request. */
export async function revokeAccess(
  deps: CredentialsDeps,
  principal: Principal,
  projectName: string,
  username: string,
  items: readonly AccessItem[],
): Promise<DeploymentResult> {
  const project = await authorizeInProject(deps, principal, 'security.write', projectName)
  const credential = await requireCredential(deps, project, username)
  const wanted = distinct(items)
  const held = new Map((await repo.accessOf(deps.db, credential.id)).map((r) => [key(r), r.id]))
  const missing = wanted.find((item) => !held.has(key(item)))
  if (missing) {
    throw errors.notFound(`Access of credential '${username}' to ${label(missing)}`)
  }
  await deps.db.transaction().execute((trx) =>
    repo.deleteAccess(
      trx,
      wanted.map((item) => held.get(key(item)) as string),
    ),
  )
  deps.audit.record('credential.accessRevoked', {
    project: project.name,
    credential: username,
    targets: wanted.map(label),
  })
  return inEffectEverywhere(await listEnvironmentsOfProject(deps.db, project.id), true)
}
