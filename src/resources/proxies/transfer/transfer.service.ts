import { randomUUID } from 'node:crypto'
import type { ApiProxyRow, ProjectRow } from '../../../db/schema.ts'
import { isUniqueViolation } from '../../../db/types.ts'
import { errors } from '../../../errors.ts'
import {
  authorize,
  authorizeInProject,
  type Principal,
} from '../../../identity/policy/permissions.ts'
import { keepStoredIdentity } from '../endpoints/endpoints.model.ts'
import { type EndpointRecord, endpointsOf } from '../endpoints/endpoints.repository.ts'
import { replacePolicies } from '../policies/policies.repository.ts'
import { assertAddressesResolve } from '../proxies.addresses.ts'
import { defineFrom, type ProxyInput } from '../proxies.definition.ts'
import {
  type DeploymentOutcome,
  deployEverywhere,
  requireDeployTargets,
} from '../proxies.deployment.ts'
import * as repo from '../proxies.repository.ts'
import { type ProxiesDeps, present, requireProxy } from '../proxies.service.ts'
import { claimRoute, RouteRace, raceLost } from '../proxies.writes.ts'
import type { StoredSettings } from '../settings/settings.model.ts'
import { loadSettings, saveSettings } from '../settings/settings.store.ts'
import { specDocumentOf, storeSpecDocument } from '../spec-document.ts'
import { isZip } from '../spec-zip.ts'
import { exportedEndpoints, importedEndpoints, replaceEndpoints } from './transfer.endpoints.ts'
import type { ImportMetadataBody } from './transfer.form.ts'
import { exportZipOptions, pack, type Snapshot, unpack } from './transfer.format.ts'
import {
  exportedPolicies,
  type ImportedPolicy,
  importedPolicies,
  policyRecords,
} from './transfer.policies.ts'
import { createBodyOf, exportedSettings, importedSettings } from './transfer.settings.ts'
import { writeZip } from './transfer.zip.ts'

/** Exporting a proxy to a ZIP and importing one, in this project or on another server. */

export const EXPORT_FILE_NAME = 'apiProxyExportFile.zip'
const FIELD = 'apiProxyExportFile'

export async function exportProxy(
  deps: ProxiesDeps,
  principal: Principal,
  projectName: string,
  name: string,
): Promise<Buffer> {
  const project = await authorizeInProject(deps, principal, 'proxy.write', projectName)
  const row = await requireProxy(deps, project, name)
  const stored = await loadSettings(deps.db, row.id)
  const { document, omitted } = exportedSettings(stored)
  const policies = await exportedPolicies(deps.db, row.id)
  const snapshot: Snapshot = {
    proxy: createBodyOf(row, stored),
    settings: document,
    endpoints: await exportedEndpoints(deps.db, row.id),
    policies: policies.document,
    spec: await specDocumentOf(deps.db, row.id),
    omittedSecrets: [...omitted, ...policies.omitted],
  }
  const now = deps.clock.now()
  const at = now.toISOString()
  const zip = await writeZip(pack(snapshot, { project: project.name, proxy: row.name, at }), now)
  deps.audit.record('proxy.exported', { project: project.name, proxy: row.name })
  return zip
}

/** The documented import metadata (every field optional). */
export type ImportMetadata = ImportMetadataBody

export interface ImportRequest {
  bytes: Uint8Array
  /** PUT names the proxy (and overrides one of that name); POST takes the archive's name. */
  name?: string | undefined
  override: boolean
  metadata: ImportMetadata
}

/** The archive's create body with what the metadata changes (routing), under the target name. */
function inputOf(snapshot: Snapshot, request: ImportRequest): ProxyInput {
  const input: ProxyInput = {
    ...snapshot.proxy,
    apiProxyName: request.name ?? snapshot.proxy.apiProxyName,
  }
  const routing = request.metadata.routing
  if (routing?.addressList && routing.addressList.length > 0) {
    input.routingInfo = {
      ...input.routingInfo,
      routingAddressList: routing.addressList.map((a) => ({
        address: a.address,
        ...(a.weight !== undefined ? { weight: a.weight } : {}),
        ...(a.soapType ? { soapType: a.soapType as 'SOAP11' | 'SOAP12' } : {}),
      })),
    }
  }
  if (routing?.algorithm && input.routingInfo) {
    input.routingInfo.loadBalanceAlgorithm = routing.algorithm as never
  }
  return input
}

async function readArchive(deps: ProxiesDeps, bytes: Uint8Array): Promise<Snapshot> {
  if (bytes.byteLength === 0) {
    throw errors.validationFailed([
      { field: FIELD, message: 'is empty; send the ZIP an export produced' },
    ])
  }
  if (!isZip(bytes)) {
    throw errors.validationFailed([
      {
        field: FIELD,
        message: 'is not a ZIP archive (it does not start with a ZIP local file header)',
      },
    ])
  }
  const options = exportZipOptions(deps.specImport.fetch.maxBytes)
  return unpack(await deps.specImport.parser.readArchive(bytes, options, FIELD))
}

/** The spec in the archive, read by the spec parser: a corrupt one is refused, its backend is known. */
async function parsedSpec(deps: ProxiesDeps, snapshot: Snapshot) {
  const kind = snapshot.proxy.apiProxyCreationType
  if (snapshot.spec && kind === 'REVERSE_PROXY') {
    throw errors.validationFailed([
      { field: `${FIELD}:manifest.json.spec`, message: 'must be null for a REVERSE_PROXY' },
    ])
  }
  if (!snapshot.spec || kind === 'REVERSE_PROXY') return { backendUrl: null }
  return deps.specImport.parser.parse(new Uint8Array(snapshot.spec.bytes), kind, `${FIELD}:spec`)
}

export async function importProxy(
  deps: ProxiesDeps,
  principal: Principal,
  projectName: string,
  request: ImportRequest,
) {
  const project = await authorizeInProject(deps, principal, 'proxy.write', projectName)
  const { metadata } = request
  if (metadata.deploy) authorize(principal, 'proxy.deploy')
  const targets = metadata.deploy
    ? await requireDeployTargets(
        deps,
        project,
        metadata.deployTargetEnvironmentNameList ?? undefined,
      )
    : []
  const snapshot = await readArchive(deps, request.bytes)
  const input = inputOf(snapshot, request)
  const spec = await parsedSpec(deps, snapshot)
  const definition = defineFrom(input, { endpoints: [], backendUrl: spec.backendUrl })
  const now = deps.clock.now().toISOString()
  const endpoints = importedEndpoints(snapshot.endpoints, `${FIELD}:endpoints.json`, now)
  const policies = await importedPolicies(
    deps,
    project,
    snapshot.policies,
    endpoints,
    snapshot.omittedSecrets,
    `${FIELD}:policies.json`,
  )
  for (const target of targets)
    await assertAddressesResolve(deps, project, definition.routing, target)
  const settings = await importedSettings(snapshot.settings)
  if (metadata.maintenanceMode != null)
    settings.maintenanceModeSetting.enabled = metadata.maintenanceMode
  const { row, overridden } = await store(deps, project, request, {
    input,
    definition,
    settings,
    endpoints,
    policies,
    snapshot,
  })
  deps.audit.record('proxy.imported', { project: project.name, proxy: row.name, overridden })
  const deploymentResult = metadata.deploy
    ? importDeployment(
        await deployEverywhere(
          deps,
          principal,
          project,
          row,
          metadata.deployTargetEnvironmentNameList ?? [],
        ),
      )
    : undefined
  return {
    apiProxy: await present(deps.db, project, row),
    secretsToSetAgain: snapshot.omittedSecrets,
    deploymentResult,
  }
}

/**
 * The import page's deploymentResult: with a message, its list named environmentResults
 * (the deploy pages name it deploymentResults; each answers as its own page says).
 */
function importDeployment({ success, deploymentResults }: DeploymentOutcome) {
  const count = `${deploymentResults.length} environment${deploymentResults.length === 1 ? '' : 's'}`
  return { success, message: `Deployed to ${count}`, environmentResults: deploymentResults }
}

interface Imported {
  input: ProxyInput
  definition: ReturnType<typeof defineFrom>
  settings: StoredSettings
  endpoints: EndpointRecord[]
  policies: ImportedPolicy[]
  snapshot: Snapshot
}

/** One transaction: the proxy row (new, or the overridden one), its route, settings, spec, endpoints, policies. */
async function store(
  deps: ProxiesDeps,
  project: ProjectRow,
  request: ImportRequest,
  { input, definition, settings, endpoints, policies, snapshot }: Imported,
): Promise<{ row: ApiProxyRow; overridden: boolean }> {
  const now = deps.clock.now().toISOString()
  const name = input.apiProxyName
  const fields = {
    description: input.apiProxyDescription ?? '',
    creation_type: input.apiProxyCreationType,
    spec_url: input.specUrl ?? null,
    client_route: JSON.stringify(definition.clientRoute),
    routing: JSON.stringify(definition.routing),
    updated_at: now,
    relative_path: definition.clientRoute.relativePathList[0] ?? '',
  }
  let row: ApiProxyRow | undefined
  let overridden = false
  try {
    await deps.db.transaction().execute(async (trx) => {
      const existing = await repo.findProxy(trx, project.id, name)
      if (existing && !request.override) {
        throw errors.duplicateName(
          `API proxy '${name}' in project '${project.name}' (PUT .../apiProxies/${name}/import/ overrides it)`,
        )
      }
      row = existing
        ? { ...existing, ...fields, revision: existing.revision + 1 }
        : {
            id: randomUUID(),
            project_id: project.id,
            name,
            ...fields,
            revision: 1,
            created_at: now,
          }
      overridden = existing !== undefined
      if (existing) await repo.updateProxy(trx, row.id, row)
      else await repo.insertProxy(trx, row)
      // A route without paths (by host, method or header) holds no path to claim.
      if (definition.clientRoute.relativePathList.length > 0) {
        await claimRoute(trx, project, row, definition.clientRoute)
      } else await repo.replaceRoutes(trx, project.id, row.id, [])
      await saveSettings(trx, row.id, settings)
      await storeSpecDocument(trx, row.id, snapshot.spec, now)
      const kept = keepStoredIdentity(existing ? await endpointsOf(trx, row.id) : [], endpoints)
      await replaceEndpoints(trx, row.id, kept.records)
      const placed = policies.map((p) => ({
        ...p,
        endpointId: p.endpointId === null ? null : kept.idOf(p.endpointId),
      }))
      const records = policyRecords(deps, row.id, placed, now, `${FIELD}:policies.json`)
      await replacePolicies(trx, row.id, records)
    })
  } catch (error) {
    if (error instanceof RouteRace)
      throw await raceLost(deps, project, name, definition.clientRoute)
    if (isUniqueViolation(error))
      throw errors.duplicateName(`API proxy '${name}' in project '${project.name}'`)
    throw error
  }
  const stored = row as ApiProxyRow
  return { row: stored, overridden }
}
