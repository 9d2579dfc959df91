import { type TSchema, Type } from 'typebox'
import type { ApiProxyRow } from '../../../db/schema.ts'
import { errors } from '../../../errors.ts'
import { Label } from '../../../http/schemas.ts'
import { documentChecker } from '../../../http/validation.ts'
import type { ClientRoute, Routing } from '../proxies.definition.ts'
import * as edits from '../settings/settings.edits.ts'
import { MaintenanceModeSchema } from '../settings/settings.fields.ts'
import { defaultSettings, type StoredSettings } from '../settings/settings.model.ts'
import * as s from '../settings/settings.schemas.ts'
import type { Edit, Editing } from '../settings/settings.store.ts'
import type { ExportedProxyBody } from './transfer.format.ts'

/*
 * A proxy's settings in and out of an export. Out: the stored document with every
 * secret left out (and named, so the importer knows what to set again). In: each
 * setting checked by the schema of its own PATCH and applied by the same edit, so an
 * archive cannot store a setting the API would refuse. The secrets' own rules (NTLM
 * enabled needs a password, ...) are not applied: an imported proxy has no secrets
 * until they are set again, which the import's answer says.
 */

type Section = Record<string, unknown>

/** Each secret: where it sits, and how to clear it. */
const SECRETS = [
  { name: 'settings.apiKeys.secretKey', section: 'apiKeys', field: 'secretKey' },
  { name: 'settings.ntlm.password', section: 'ntlm', field: 'password' },
  { name: 'settings.proxyServer.proxyPassword', section: 'proxyServer', field: 'proxyPassword' },
] as const

/** The settings document without its secrets, and the names of those that were set. */
export function exportedSettings(stored: StoredSettings) {
  const document = structuredClone(stored)
  const omitted: string[] = []
  for (const secret of SECRETS) {
    const section = document[secret.section] as Section
    if (section[secret.field]) omitted.push(secret.name)
    section[secret.field] = null
  }
  for (const v of document.specAuthorizationValueList) {
    omitted.push(`specAuthorizationValueList.${v.headerName}.headerValue`)
  }
  document.specAuthorizationValueList = []
  return { document, omitted }
}

/** The documented create body of the proxy, as proxy.json holds it (no secret). */
export function createBodyOf(row: ApiProxyRow, stored: StoredSettings): ExportedProxyBody {
  const route = JSON.parse(row.client_route) as ClientRoute
  const routing = JSON.parse(row.routing) as Routing
  const { virtualHostList, ...routeRest } = route
  const connection: Section = {}
  for (const field of [
    'connectTimeout',
    'readTimeout',
    'retryCount',
    'failoverRetryCount',
    'ignoreRoutingError',
  ] as const) {
    if (stored.connection[field] != null) connection[field] = stored.connection[field]
  }
  return {
    apiProxyName: row.name,
    apiProxyDescription: row.description,
    apiProxyCreationType: row.creation_type as ExportedProxyBody['apiProxyCreationType'],
    specUrl: row.spec_url,
    clientRoute: { ...routeRest, virtualHostList } as ExportedProxyBody['clientRoute'],
    routingInfo: { ...routing, ...connection } as ExportedProxyBody['routingInfo'],
    soapToRest: stored.soapToRest,
    enableWSA: stored.enableWSA,
    enableWSRM: stored.enableWSRM,
    backendApiVersion: stored.backendApiVersion,
    maintenanceModeSetting: stored.maintenanceModeSetting,
  }
}

const withoutNulls = (section: Section, drop?: string): Section =>
  Object.fromEntries(
    Object.entries(section).filter(([key, value]) => value !== null && key !== drop),
  )

/** The settings that hold a secret: their other fields as given (their secret rules wait for it). */
const assign =
  (name: 'apiKeys' | 'ntlm' | 'proxyServer'): ((body: Section) => Edit) =>
  (body) =>
  (t) => {
    t.settings[name] = { ...t.settings[name], ...body } as never
  }

/** Each setting of the document, the schema of its PATCH, and the edit that applies it. */
const SECTIONS: Record<
  string,
  { schema: TSchema; edit: (body: Section) => Edit; secret?: string }
> = {
  apiKeys: {
    schema: s.ApiKeysBody,
    edit: assign('apiKeys'),
    secret: 'secretKey',
  },
  cache: { schema: s.CacheBody, edit: (b) => edits.cache(b as never) },
  circuitBreaker: { schema: s.CircuitBreakerBody, edit: (b) => edits.circuitBreaker(b) },
  connection: { schema: s.ConnectionBody, edit: (b) => edits.connection(b) },
  cors: { schema: s.CorsBody, edit: (b) => edits.cors(b as never) },
  forwardedIpHeader: {
    schema: s.ForwardedIpHeaderBody,
    edit: (b) => edits.plain('forwardedIpHeader', b),
  },
  jsonErrorTemplate: {
    schema: s.JsonErrorTemplateBody,
    edit: (b) => edits.plain('jsonErrorTemplate', b),
  },
  xmlErrorTemplate: {
    schema: s.XmlErrorTemplateBody,
    edit: (b) => edits.plain('xmlErrorTemplate', b),
  },
  mtls: { schema: s.MtlsBody, edit: (b) => edits.mtls(b) },
  ntlm: { schema: s.NtlmBody, edit: assign('ntlm'), secret: 'password' },
  proxyServer: { schema: s.ProxyServerBody, edit: assign('proxyServer'), secret: 'proxyPassword' },
  trafficLog: { schema: s.TrafficLogBody, edit: (b) => edits.trafficLog(b) },
}

const Flags = Type.Object(
  {
    categoryList: Type.Array(Label(100), { maxItems: 50, uniqueItems: true }),
    sharingType: s.MetadataBody.properties.sharingType,
    hideSpecFile: Type.Boolean(),
    soapToRest: Type.Boolean(),
    enableWSA: Type.Boolean(),
    enableWSRM: Type.Boolean(),
    backendApiVersion: Type.Union([Label(100), Type.Null()]),
    maintenanceModeSetting: MaintenanceModeSchema,
    specAuthorizationValueList: Type.Array(Type.Never(), { maxItems: 0 }),
  },
  { additionalProperties: true },
)
const checkFlags = documentChecker<Partial<StoredSettings>>(Type.Partial(Flags))
const checkers = Object.fromEntries(
  Object.entries(SECTIONS).map(([name, { schema }]) => [name, documentChecker<Section>(schema)]),
)

const WHERE = 'apiProxyExportFile:settings.json'

/** The settings an archive gives, over the defaults; a 400 names the first bad field. */
export async function importedSettings(document: unknown): Promise<StoredSettings> {
  if (!document || typeof document !== 'object' || Array.isArray(document)) {
    throw errors.validationFailed([{ field: WHERE, message: 'must be a JSON object' }])
  }
  const given = document as Section
  const flags = checkFlags(given, WHERE)
  const known = new Set([...Object.keys(SECTIONS), ...Object.keys(Flags.properties)])
  for (const key of Object.keys(given)) {
    if (!known.has(key)) {
      throw errors.validationFailed([
        { field: `${WHERE}.${key}`, message: 'is not a known setting' },
      ])
    }
  }
  const settings = defaultSettings()
  // Only the flags here: each section below starts from its defaults, never from the archive.
  for (const key of Object.keys(Flags.properties) as (keyof typeof Flags.properties)[]) {
    if (flags[key] !== undefined) (settings as unknown as Section)[key] = flags[key]
  }
  settings.specAuthorizationValueList = []
  // The edits used here read and write the settings only (no row, no transaction).
  const target = { settings, proxy: { id: '' }, changes: {} } as unknown as Editing
  for (const [name, section] of Object.entries(SECTIONS)) {
    const value = given[name]
    if (value === undefined) continue
    if (!value || typeof value !== 'object' || Array.isArray(value)) {
      throw errors.validationFailed([{ field: `${WHERE}.${name}`, message: 'must be an object' }])
    }
    const body = withoutNulls(value as Section, section.secret)
    if (Object.keys(body).length === 0) continue
    await section.edit(checkers[name]?.(body, `${WHERE}.${name}`) ?? body)(target)
  }
  return target.settings
}
