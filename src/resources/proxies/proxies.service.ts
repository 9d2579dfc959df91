import type { Kysely } from 'kysely'
import type { AuditSink } from '../../audit/audit.recorder.ts'
import type { Clock } from '../../clock.ts'
import type { EventBus } from '../../cluster/events.ts'
import type { ApiProxyRow, Database, ProjectRow } from '../../db/schema.ts'
import type { Queryable } from '../../db/types.ts'
import { errors } from '../../errors.ts'
import { type ListOrder, type ListQueryInput, pageInSql } from '../../http/lists.ts'
import { authorizeInProject, type Principal } from '../../identity/policy/permissions.ts'
import * as environments from '../environments/environments.repository.ts'
import type { ConfirmSettings } from '../environments/gateway-nodes.ts'
import { presentEndpoint } from './endpoints/endpoints.model.ts'
import { endpointsOf } from './endpoints/endpoints.repository.ts'
import { apiTypeOf, type ClientRoute, parseJson, type Routing } from './proxies.definition.ts'
import * as repo from './proxies.repository.ts'
import { settingsView } from './settings/settings.body.ts'
import type { SpecImport } from './spec-import.ts'

/** Reading proxies: the list, one proxy as clients see it. */

export interface ProxiesDeps {
  db: Kysely<Database>
  clock: Clock
  specImport: SpecImport
  /** To open secret environment variables that routing addresses refer to. */
  atRestKeys: readonly Buffer[]
  audit: AuditSink
  /** To seal the secrets a proxy's settings hold. */
  atRestKey: Buffer
  /** Tells gateway nodes that what an environment serves changed. */
  events: EventBus
  /** How a deploy's answer waits for those nodes to apply it. */
  gatewayConfirm: ConfirmSettings
}

// Names are unique in a project, so name alone makes the order total.
const PROXY_ORDER: ListOrder = {
  sortable: { name: 'name', relativePath: 'relative_path' },
  defaultSort: 'name',
}

export async function listProxies(
  deps: Pick<ProxiesDeps, 'db'>,
  principal: Principal,
  projectName: string,
  query: ListQueryInput,
) {
  const project = await authorizeInProject(deps, principal, 'project.read', projectName)
  const base = repo.proxiesOfProject(deps.db, project.id)
  const page = await pageInSql(deps.db, base, query, PROXY_ORDER, (row) => ({
    name: row.name,
    description: row.description,
    type: apiTypeOf(row.creation_type),
    creationType: row.creation_type,
    relativePath: row.relative_path,
  }))
  // soapToRest lives in the settings document: one lookup for the page, not one per row.
  const names = page.resultList.map((p) => p.name)
  const settings = await repo.settingsOfNamed(deps.db, project.id, names)
  const soapToRest = (name: string) => {
    const text = settings.get(name)
    return text ? (JSON.parse(text) as { soapToRest?: boolean }).soapToRest === true : false
  }
  return {
    ...page,
    resultList: page.resultList.map((p) => ({ ...p, soapToRest: soapToRest(p.name) })),
  }
}

export async function requireProxy(
  deps: Pick<ProxiesDeps, 'db'>,
  project: ProjectRow,
  name: string,
): Promise<ApiProxyRow> {
  const row = await repo.findProxy(deps.db, project.id, name)
  if (!row) throw errors.notFound(`API proxy '${name}' in project '${project.name}'`)
  return row
}

export async function present(db: Queryable, project: ProjectRow, row: ApiProxyRow) {
  const [usable, deployed, endpoints] = await Promise.all([
    environments.listEnvironmentsOfProject(db, project.id),
    repo.deploymentsOf(db, row.id),
    endpointsOf(db, row.id),
  ])
  const byEnvironment = new Map(deployed.map((d) => [d.environment_id, d]))
  // Environments the project may use, plus any it was deployed to before losing access.
  const names = new Map(usable.map((e) => [e.id, e.name]))
  for (const d of deployed) names.set(d.environment_id, d.environment_name)
  const deploymentList = [...names.entries()]
    .map(([id, environmentName]) => {
      const d = byEnvironment.get(id)
      return {
        environmentName,
        deployed: d !== undefined,
        // Behind the proxy's revision, or a variable it refers to changed here since.
        redeployRequired:
          d !== undefined && (d.revision < row.revision || d.variables_changed_at !== null),
        deployedAt: d?.deployed_at ?? null,
        deployedBy: d?.deployed_by ?? null,
      }
    })
    .sort((a, b) => (a.environmentName < b.environmentName ? -1 : 1))
  return {
    name: row.name,
    description: row.description,
    apiType: apiTypeOf(row.creation_type),
    creationType: row.creation_type,
    specUrl: row.spec_url,
    clientRoute: parseJson<ClientRoute>(row.client_route),
    routing: parseJson<Routing>(row.routing),
    endpoints: endpoints.map(presentEndpoint),
    ...(await settingsView(db, row.id)),
    deploymentList,
    revision: row.revision,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}

export async function getProxy(
  deps: Pick<ProxiesDeps, 'db'>,
  principal: Principal,
  projectName: string,
  name: string,
) {
  const project = await authorizeInProject(deps, principal, 'project.read', projectName)
  return present(deps.db, project, await requireProxy(deps, project, name))
}
