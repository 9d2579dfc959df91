import { type Static, Type } from 'typebox'
import { errors } from '../../../errors.ts'
import { documentChecker } from '../../../http/validation.ts'
import { ClientRouteSchema, ProxyFromUrlBody } from '../proxies.schemas.ts'
import { enumOf } from '../settings/settings.fields.ts'
import { type SpecDocument, safeFileName, sha256Hex } from '../spec-document.ts'
import { ZIP_LIMITS, type ZipOptions } from '../spec-zip.ts'

/*
 * The proxy export archive, version 2. A manifest names the format and its version,
 * the entries and what was left out; beside it the proxy's documented create body
 * (proxy.json), its whole settings document (settings.json), its endpoints, its
 * policies and the spec document it was made from, byte for byte, under spec/.
 * Secrets are never written: the manifest lists which ones were set. Version 1 (whose
 * policies.json was always empty) still reads.
 */

export const FORMAT = 'apiops-proxy-export'
export const FORMAT_VERSION = 2
const READABLE_VERSIONS: readonly unknown[] = [1, FORMAT_VERSION]

export const ENTRY = {
  manifest: 'manifest.json',
  proxy: 'proxy.json',
  settings: 'settings.json',
  endpoints: 'endpoints.json',
  policies: 'policies.json',
} as const
const SPEC_DIR = 'spec/'

/** The export's own limits: a spec may be as large as one fetched, plus room for the JSON. */
export function exportZipOptions(specMaxBytes: number): ZipOptions {
  return {
    limits: {
      ...ZIP_LIMITS,
      entries: Object.keys(ENTRY).length + 1,
      entryBytes: Math.max(ZIP_LIMITS.entryBytes, specMaxBytes),
      totalBytes: specMaxBytes + ZIP_LIMITS.totalBytes,
    },
    archivesUnder: SPEC_DIR,
  }
}

const {
  deploy: _deploy,
  deployTargetEnvironmentNameList: _targets,
  reParse: _reParse,
  specAuthorizationValueList: _secrets,
  clientRoute: _route,
  ...createFields
} = ProxyFromUrlBody.properties

/**
 * The create body as exported: no deploy request, no secret; and a client route may
 * have no path (a route by host, method or header only, which settings allow).
 */
export const ExportedProxy = Type.Object(
  {
    ...createFields,
    clientRoute: Type.Optional(
      Type.Object(
        {
          ...ClientRouteSchema.properties,
          relativePathList: Type.Array(ClientRouteSchema.properties.relativePathList.items, {
            maxItems: 50,
            uniqueItems: true,
          }),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
)
export type ExportedProxyBody = Static<typeof ExportedProxy>

const SpecEntry = Type.Object(
  {
    fileName: Type.String({
      minLength: 1,
      maxLength: 200,
      pattern: '^[A-Za-z0-9_-][A-Za-z0-9._-]*$',
    }),
    contentType: Type.String({ minLength: 1, maxLength: 200 }),
    kind: enumOf(['OPEN_API', 'SWAGGER', 'WSDL', 'ZIP'] as const),
    sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
    size: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
)

const Manifest = Type.Object(
  {
    format: Type.Literal(FORMAT),
    formatVersion: Type.Union([Type.Literal(1), Type.Literal(FORMAT_VERSION)]),
    exportedAt: Type.String({ maxLength: 40 }),
    exportedFrom: Type.Object({ project: Type.String(), proxy: Type.String() }),
    spec: Type.Union([SpecEntry, Type.Null()]),
    omittedSecrets: Type.Array(Type.String({ maxLength: 300 }), { maxItems: 100 }),
  },
  { additionalProperties: false },
)
export type ManifestBody = Static<typeof Manifest>

/** What an archive holds, read and checked; settings.json is checked by transfer.settings.ts. */
export interface Snapshot {
  proxy: ExportedProxyBody
  settings: unknown
  /** Checked by transfer.endpoints.ts, which makes them rows. */
  endpoints: unknown
  /** Checked by transfer.policies.ts, against the importing project. */
  policies: unknown
  spec: SpecDocument | null
  omittedSecrets: string[]
}

const json = (value: unknown) => new TextEncoder().encode(`${JSON.stringify(value, null, 2)}\n`)

/** The archive's entries, in a fixed order, so one proxy always exports the same way. */
export function pack(
  snapshot: Snapshot,
  from: { project: string; proxy: string; at: string },
): Map<string, Uint8Array> {
  const spec = snapshot.spec
  const manifest: ManifestBody = {
    format: FORMAT,
    formatVersion: FORMAT_VERSION,
    exportedAt: from.at,
    exportedFrom: { project: from.project, proxy: from.proxy },
    spec: spec && {
      fileName: safeFileName(spec.fileName, 'spec'),
      contentType: spec.contentType,
      kind: spec.kind,
      sha256: sha256Hex(spec.bytes),
      size: spec.bytes.byteLength,
    },
    omittedSecrets: snapshot.omittedSecrets,
  }
  const entries = new Map<string, Uint8Array>([
    [ENTRY.manifest, json(manifest)],
    [ENTRY.proxy, json(snapshot.proxy)],
    [ENTRY.settings, json(snapshot.settings)],
    [ENTRY.endpoints, json(snapshot.endpoints)],
    [ENTRY.policies, json(snapshot.policies)],
  ])
  if (spec && manifest.spec) entries.set(`${SPEC_DIR}${manifest.spec.fileName}`, spec.bytes)
  return entries
}

const FIELD = 'apiProxyExportFile'
const refused = (why: string) =>
  errors.validationFailed([{ field: FIELD, message: `is not an apiops proxy export: ${why}` }])

function parseEntry(files: Map<string, Uint8Array>, name: string): unknown {
  const bytes = files.get(name)
  if (!bytes) throw refused(`it has no ${name}`)
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes))
  } catch (error) {
    throw refused(`${name} is not valid JSON (${(error as Error).message.slice(0, 200)})`)
  }
}

const checkManifest = documentChecker<ManifestBody>(Manifest)
const checkProxy = documentChecker<ExportedProxyBody>(ExportedProxy)

/** The version first, alone, so an archive from a newer apiops says just that. */
function readManifest(files: Map<string, Uint8Array>): ManifestBody {
  const manifest = parseEntry(files, ENTRY.manifest) as Record<string, unknown> | null
  if (manifest?.format !== FORMAT) {
    throw refused(`${ENTRY.manifest} does not say "format": "${FORMAT}"`)
  }
  if (!READABLE_VERSIONS.includes(manifest.formatVersion)) {
    throw errors.validationFailed([
      {
        field: `${FIELD}:${ENTRY.manifest}.formatVersion`,
        message: `is ${JSON.stringify(manifest.formatVersion)}; this server reads format versions ${READABLE_VERSIONS.join(' and ')} only (export again from a server of the same version)`,
      },
    ])
  }
  return checkManifest(manifest, `${FIELD}:${ENTRY.manifest}`)
}

function readSpec(files: Map<string, Uint8Array>, manifest: ManifestBody): SpecDocument | null {
  const entry = manifest.spec
  if (!entry) return null
  const bytes = files.get(`${SPEC_DIR}${entry.fileName}`)
  if (!bytes)
    throw refused(`the manifest names spec ${entry.fileName} but ${SPEC_DIR} does not hold it`)
  if (sha256Hex(bytes) !== entry.sha256) {
    throw refused(`${SPEC_DIR}${entry.fileName} does not match the SHA-256 the manifest gives`)
  }
  return { bytes, fileName: entry.fileName, contentType: entry.contentType, kind: entry.kind }
}

/** Reads an unpacked archive; every problem is a 400 naming the entry and the field. */
export function unpack(files: Map<string, Uint8Array>): Snapshot {
  const manifest = readManifest(files)
  const known = new Set<string>(Object.values(ENTRY))
  if (manifest.spec) known.add(`${SPEC_DIR}${manifest.spec.fileName}`)
  for (const name of files.keys()) {
    if (!known.has(name)) throw refused(`it holds ${name}, which is no part of the format`)
  }
  return {
    proxy: checkProxy(parseEntry(files, ENTRY.proxy), `${FIELD}:${ENTRY.proxy}`),
    settings: parseEntry(files, ENTRY.settings),
    endpoints: parseEntry(files, ENTRY.endpoints),
    // An archive of version 1 may lack it: no policies.
    policies: files.has(ENTRY.policies) ? parseEntry(files, ENTRY.policies) : [],
    spec: readSpec(files, manifest),
    omittedSecrets: manifest.omittedSecrets,
  }
}
