import { type DebugLog, fetchSpec, type SpecFetchOptions } from './spec-fetch.ts'
import type { ImportedSpec, SpecKind } from './spec-parse.ts'
import type { SpecParser } from './spec-parser.ts'

export type { DebugLog } from './spec-fetch.ts'
export type { ImportedSpec, SpecEndpoint, SpecKind } from './spec-parse.ts'

/**
 * How specs reach a proxy: fetched (from allowed addresses only) and parsed in a worker.
 * Every way a spec arrives goes through the same parser, so an uploaded file gets the
 * same limits as a fetched one.
 */
export interface SpecImport {
  fetch: SpecFetchOptions
  parser: SpecParser
}

export async function importSpecFromUrl(
  specs: SpecImport,
  url: string,
  kind: SpecKind,
  log: DebugLog,
): Promise<ImportedSpec> {
  const bytes = await fetchSpec(url, specs.fetch, log)
  return specs.parser.parse(bytes, kind, 'specUrl')
}
