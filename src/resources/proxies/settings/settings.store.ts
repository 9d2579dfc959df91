import type { Kysely } from 'kysely'
import type { AuditSink } from '../../../audit/audit.recorder.ts'
import type { Clock } from '../../../clock.ts'
import type { ApiProxyRow, Database, ProjectRow } from '../../../db/schema.ts'
import { isUniqueViolation, type Queryable } from '../../../db/types.ts'
import { errors } from '../../../errors.ts'
import { authorizeInProject, type Principal } from '../../../identity/policy/permissions.ts'
import { MASK, seal } from '../../../sealed.ts'
import { lockProjectRoutes, replaceRoutes, routeHolder } from '../proxies.repository.ts'
import { type ProxyChanges, reviseProxy } from '../proxies.revision.ts'
import { type StoredSettings, withDefaults } from './settings.model.ts'

/*
 * Reading and writing a proxy's settings document; every setting changes through
 * reviseProxy, so the proxy's revision moves on with it.
 */

export interface SettingsDeps {
  db: Kysely<Database>
  clock: Clock
  atRestKey: Buffer
  atRestKeys: readonly Buffer[]
  audit: AuditSink
}

export async function loadSettings(db: Queryable, proxyId: string): Promise<StoredSettings> {
  const row = await db
    .selectFrom('proxy_settings')
    .select('settings')
    .where('proxy_id', '=', proxyId)
    .executeTakeFirst()
  return withDefaults(row ? (JSON.parse(row.settings) as Partial<StoredSettings>) : {})
}

export async function saveSettings(
  db: Queryable,
  proxyId: string,
  settings: StoredSettings,
): Promise<void> {
  const text = JSON.stringify(settings)
  await db
    .insertInto('proxy_settings')
    .values({ proxy_id: proxyId, settings: text })
    .onConflict((oc) => oc.column('proxy_id').doUpdateSet({ settings: text }))
    .execute()
}

/** Bound to the proxy and the field, so a sealed value copied elsewhere does not open. */
export const secretContext = (proxyId: string, field: string) =>
  `api-proxy-settings:${proxyId}:${field}`

/**
 * The stored form of a secret field: a new value sealed, MASK (what a read showed) or
 * an omitted value keeps what is stored.
 */
export function sealedOrKept(
  key: Buffer,
  proxyId: string,
  field: string,
  given: string | null | undefined,
  stored: string | null,
): string | null {
  if (given === undefined || given === MASK) return stored
  if (given === null) return null
  return seal(key, given, secretContext(proxyId, field))
}

export interface Editing {
  trx: Queryable
  project: ProjectRow
  proxy: ApiProxyRow
  settings: StoredSettings
  /** Columns of api_proxies to change besides revision and updated_at. */
  changes: ProxyChanges
}

export type Edit = (target: Editing) => void | Promise<void>

/**
 * One setting changes; nothing else does, and the revision moves on. `setting` names it
 * in the audit log (its path, e.g. `cors`): the event never holds a value.
 */
export async function editProxy(
  deps: SettingsDeps,
  principal: Principal,
  params: { projectName: string; apiProxyName: string },
  setting: string,
  edit: Edit,
): Promise<void> {
  const project = await authorizeInProject(deps, principal, 'proxy.write', params.projectName)
  let renamed: string | undefined
  try {
    renamed = await reviseProxy(deps, project, params.apiProxyName, async (trx, proxy) => {
      const target: Editing = {
        trx,
        project,
        proxy,
        settings: await loadSettings(trx, proxy.id),
        changes: {},
      }
      await edit(target)
      await saveSettings(trx, proxy.id, target.settings)
      return { changes: target.changes, result: target.changes.name }
    })
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw errors.duplicateName(`API proxy in project '${params.projectName}' with that name`)
    }
    throw error
  }
  const proxy = renamed ?? params.apiProxyName
  const previous = renamed === undefined ? {} : { previousName: params.apiProxyName }
  deps.audit.record('proxy.settingChanged', { project: project.name, proxy, setting, ...previous })
}

/** A 400 naming the field, in the shape schema failures have. */
export const invalid = (field: string, message: string) =>
  errors.validationFailed([{ field, message }])

/**
 * Makes these the proxy's client-route paths, refusing one another proxy of the project
 * holds (the primary key of proxy_routes catches two writes racing past the check).
 */
export async function claimPaths(target: Editing, paths: readonly string[]): Promise<void> {
  const { trx, project, proxy } = target
  await lockProjectRoutes(trx, project.id)
  // No paths (a route by host, method or header only): `in ()` is not SQL PostgreSQL takes.
  const holder =
    paths.length > 0 ? await routeHolder(trx, project.id, paths, proxy.name) : undefined
  if (holder) {
    throw errors.conflict(
      `Relative path '${holder.path}' is already used by ${holder.kind} '${holder.name}'.`,
    )
  }
  try {
    await replaceRoutes(trx, project.id, proxy.id, paths)
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw errors.conflict('A relative path of this proxy was just taken by another API proxy.')
    }
    throw error
  }
  target.changes.relative_path = paths[0] ?? ''
}
