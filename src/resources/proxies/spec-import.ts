import { errors } from '../../errors.ts'
import { describeDocument, fileNameOfUrl, type SpecDocument } from './spec-document.ts'
import { type DebugLog, fetchSpec, type SpecFetchOptions } from './spec-fetch.ts'
import type { ImportedSpec, SpecKind } from './spec-parse.ts'
import type { SpecParser } from './spec-parser.ts'

export type { DebugLog } from './spec-fetch.ts'
export type { ImportedSpec, SpecEndpoint, SpecKind } from './spec-parse.ts'

/**
 * How specs reach a proxy: fetched (from allowed addresses only) or uploaded, and parsed
 * in a worker. Every way a spec arrives goes through the same parser, so an uploaded
 * file gets the same limits as a fetched one.
 */
export interface SpecImport {
  fetch: SpecFetchOptions
  parser: SpecParser
}

/** A spec that came as an uploaded file (apiProxies/file/); absent for apiProxies/url/. */
export interface SpecUpload {
  bytes: Uint8Array | undefined
  /** As the form part named them, kept with the stored document. */
  fileName?: string | undefined
  contentType?: string | undefined
}

/** A parsed spec and the document it was read from (kept for export); none for REVERSE_PROXY. */
export type ReadSpec = ImportedSpec & { document: SpecDocument | null }

/** What a proxy's definition says of its spec (the fields both create routes share). */
interface SpecRequest {
  apiProxyCreationType: SpecKind | 'REVERSE_PROXY'
  specUrl?: string | undefined
}

export async function importSpecFromUrl(
  specs: SpecImport,
  url: string,
  kind: SpecKind,
  log: DebugLog,
): Promise<ReadSpec> {
  const bytes = await fetchSpec(url, specs.fetch, log)
  const document = describeDocument(bytes, kind, { fileName: fileNameOfUrl(url) })
  return { ...(await specs.parser.parse(bytes, kind, 'specUrl')), document }
}

/** An uploaded spec file: the same worker, the same limits, problems reported on specFile. */
export async function importSpecFromFile(
  specs: SpecImport,
  bytes: Uint8Array,
  kind: SpecKind,
): Promise<ImportedSpec> {
  return specs.parser.parse(bytes, kind, 'specFile')
}

/**
 * The spec a proxy is made from: none for REVERSE_PROXY (which must not be given one),
 * else the uploaded file (apiProxies/file/) or the URL (apiProxies/url/), required.
 */
export async function readSpec(
  specs: SpecImport,
  input: SpecRequest,
  log: DebugLog,
  upload: SpecUpload | undefined,
): Promise<ReadSpec> {
  const field = upload ? 'specFile' : 'specUrl'
  const given = upload ? upload.bytes : input.specUrl
  const kind = input.apiProxyCreationType
  if (kind === 'REVERSE_PROXY') {
    if (given) {
      throw errors.validationFailed([
        { field, message: 'is only for OPEN_API, SWAGGER and WSDL proxies' },
      ])
    }
    return { endpoints: [], backendUrl: null, document: null }
  }
  if (!given) {
    throw errors.validationFailed([{ field, message: `is required for ${kind} proxies` }])
  }
  if (typeof given === 'string') return importSpecFromUrl(specs, given, kind, log)
  const document = describeDocument(given, kind, upload ?? {})
  return { ...(await importSpecFromFile(specs, given, kind)), document }
}
