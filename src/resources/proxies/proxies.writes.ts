import { randomUUID } from 'node:crypto'
import type { ApiProxyRow, ProjectRow } from '../../db/schema.ts'
import { isUniqueViolation, type Queryable } from '../../db/types.ts'
import { errors } from '../../errors.ts'
import { authorizeInProject, type Principal } from '../../identity/policy/permissions.ts'
import { reparsed, specRecords } from './endpoints/endpoints.model.ts'
import { endpointsOf, replaceEndpoints } from './endpoints/endpoints.repository.ts'
import { assertAddressesResolve } from './proxies.addresses.ts'
import { type ClientRoute, type ProxyInput, resolveDefinition } from './proxies.definition.ts'
import {
  deployEverywhere,
  history,
  outcome,
  requireDeployTargets,
  settle,
} from './proxies.deployment.ts'
import * as repo from './proxies.repository.ts'
import { type ProxiesDeps, present, requireProxy } from './proxies.service.ts'
import { bumpConfigVersion } from './proxies.snapshot.ts'
import { storeBodySettings } from './settings/settings.body.ts'
import { storeSpecDocument } from './spec-document.ts'
import type { DebugLog, SpecUpload } from './spec-import.ts'

/** Creating, changing and deleting proxies. */

const routeTaken = (holder: repo.RouteHolder) =>
  errors.conflict(
    `Relative path '${holder.path}' is already used by ${holder.kind} '${holder.name}'.`,
  )

/** Thrown inside the transaction when the database refused a path: another write won it. */
export class RouteRace extends Error {}

/**
 * A client route must not collide with another proxy's in the same project: one index
 * lookup, and the primary key of proxy_routes for two writes racing past it.
 */
export async function claimRoute(
  trx: Queryable,
  project: ProjectRow,
  proxy: { id: string; name: string },
  route: ClientRoute,
): Promise<void> {
  await repo.lockProjectRoutes(trx, project.id)
  const holder = await repo.routeHolder(trx, project.id, route.relativePathList, proxy.name)
  if (holder) throw routeTaken(holder)
  try {
    await repo.replaceRoutes(trx, project.id, proxy.id, route.relativePathList)
  } catch (error) {
    if (isUniqueViolation(error)) throw new RouteRace()
    throw error
  }
}

/** The answer to a lost race, read again after the transaction rolled back. */
export async function raceLost(
  deps: ProxiesDeps,
  project: ProjectRow,
  name: string,
  route: ClientRoute,
) {
  const holder = await repo.routeHolder(deps.db, project.id, route.relativePathList, name)
  return holder
    ? routeTaken(holder)
    : errors.conflict('A relative path of this proxy was just taken by another API proxy.')
}

export async function createProxy(
  deps: ProxiesDeps,
  principal: Principal,
  projectName: string,
  input: ProxyInput,
  log: DebugLog,
  upload?: SpecUpload,
) {
  const project = await authorizeInProject(deps, principal, 'proxy.write', projectName)
  const targets = input.deploy
    ? await requireDeployTargets(deps, project, input.deployTargetEnvironmentNameList)
    : []
  const definition = await resolveDefinition(deps.specImport, input, log, upload)
  // Checked before anything is stored, so a deploy that cannot happen changes nothing.
  for (const target of targets) {
    await assertAddressesResolve(deps, project, definition.routing, target)
  }
  const now = deps.clock.now().toISOString()
  const row: ApiProxyRow = {
    id: randomUUID(),
    project_id: project.id,
    name: input.apiProxyName,
    description: input.apiProxyDescription ?? '',
    creation_type: input.apiProxyCreationType,
    spec_url: input.specUrl ?? null,
    client_route: JSON.stringify(definition.clientRoute),
    routing: JSON.stringify(definition.routing),
    revision: 1,
    created_at: now,
    updated_at: now,
    relative_path: definition.clientRoute.relativePathList[0] ?? '',
  }
  try {
    await deps.db.transaction().execute(async (trx) => {
      const holder = await repo.routeHolder(
        trx,
        project.id,
        definition.clientRoute.relativePathList,
        row.name,
      )
      if (holder) throw routeTaken(holder)
      await repo.insertProxy(trx, row)
      await replaceEndpoints(trx, row.id, specRecords(definition.endpoints, now))
      await claimRoute(trx, project, row, definition.clientRoute)
      await storeBodySettings(trx, deps.atRestKey, row.id, input, true)
      await storeSpecDocument(trx, row.id, definition.document, now)
    })
  } catch (error) {
    if (error instanceof RouteRace)
      throw await raceLost(deps, project, row.name, definition.clientRoute)
    if (isUniqueViolation(error))
      throw errors.duplicateName(`API proxy '${row.name}' in project '${projectName}'`)
    throw error
  }
  deps.audit.record('proxy.created', { project: project.name, proxy: row.name })
  return answerWrite(deps, principal, project, row, input)
}

/** After a create or update: deploy where the body asked, then answer the stored proxy. */
async function answerWrite(
  deps: ProxiesDeps,
  principal: Principal,
  project: ProjectRow,
  row: ApiProxyRow,
  input: ProxyInput,
) {
  const deploymentResult = input.deploy
    ? await deployEverywhere(
        deps,
        principal,
        project,
        row,
        input.deployTargetEnvironmentNameList ?? [],
      )
    : undefined
  return { apiProxy: await present(deps.db, project, row), deploymentResult }
}

/**
 * Re-reads the definition (re-fetching the spec) and bumps the revision, so every
 * environment it is deployed to reports redeployRequired until it is redeployed. With
 * reParse (the documented default, true) the endpoints follow the new spec, keeping
 * the edits of those that remain and every hand-made one; reParse false keeps them as
 * they are.
 */
export async function updateProxy(
  deps: ProxiesDeps,
  principal: Principal,
  projectName: string,
  input: ProxyInput,
  log: DebugLog,
  upload?: SpecUpload,
) {
  const project = await authorizeInProject(deps, principal, 'proxy.write', projectName)
  const existing = await requireProxy(deps, project, input.apiProxyName)
  if (existing.creation_type !== input.apiProxyCreationType) {
    throw errors.conflict(
      `API proxy '${existing.name}' was created as ${existing.creation_type}; its creation type cannot change to ${input.apiProxyCreationType}.`,
    )
  }
  const targets = input.deploy
    ? await requireDeployTargets(deps, project, input.deployTargetEnvironmentNameList)
    : []
  const definition = await resolveDefinition(deps.specImport, input, log, upload)
  // Checked before anything is stored, so a deploy that cannot happen changes nothing.
  for (const target of targets) {
    await assertAddressesResolve(deps, project, definition.routing, target)
  }
  const now = deps.clock.now().toISOString()
  const changes = {
    description: input.apiProxyDescription ?? existing.description,
    spec_url: input.specUrl ?? null,
    client_route: JSON.stringify(definition.clientRoute),
    routing: JSON.stringify(definition.routing),
    revision: existing.revision + 1,
    updated_at: now,
    relative_path: definition.clientRoute.relativePathList[0] ?? '',
  }
  try {
    await deps.db.transaction().execute(async (trx) => {
      await claimRoute(trx, project, existing, definition.clientRoute)
      await repo.updateProxy(trx, existing.id, changes)
      if (input.reParse !== false) {
        const before = await endpointsOf(trx, existing.id)
        await replaceEndpoints(trx, existing.id, reparsed(before, definition.endpoints, now))
      }
      const specUrlChanged = changes.spec_url !== existing.spec_url
      await storeBodySettings(trx, deps.atRestKey, existing.id, input, specUrlChanged)
      await storeSpecDocument(trx, existing.id, definition.document, changes.updated_at)
    })
  } catch (error) {
    if (error instanceof RouteRace)
      throw await raceLost(deps, project, existing.name, definition.clientRoute)
    throw error
  }
  const row = { ...existing, ...changes }
  deps.audit.record('proxy.updated', { project: project.name, proxy: row.name })
  return answerWrite(deps, principal, project, row, input)
}

/** Deleting a proxy undeploys it from every environment first; history keeps the record. */
export async function deleteProxy(
  deps: ProxiesDeps,
  principal: Principal,
  projectName: string,
  name: string,
) {
  const project = await authorizeInProject(deps, principal, 'proxy.delete', projectName)
  const row = await requireProxy(deps, project, name)
  const deployed = await repo.deploymentsOf(deps.db, row.id)
  const now = deps.clock.now().toISOString()
  await deps.db.transaction().execute(async (trx) => {
    for (const d of deployed) {
      await repo.recordHistory(
        trx,
        history(
          project,
          row,
          d.environment_name,
          'UNDEPLOY',
          principal,
          now,
          'Undeployed (proxy deleted)',
        ),
      )
    }
    await repo.deleteProxy(trx, row.id)
    for (const d of deployed) await bumpConfigVersion(trx, d.environment_id, now)
  })
  const results = []
  for (const d of deployed) {
    const confirmation = await settle(deps, d.environment_id)
    results.push({ environmentName: d.environment_name, message: 'Undeployed', ...confirmation })
  }
  deps.audit.record('proxy.deleted', { project: project.name, proxy: row.name })
  return outcome(results)
}
