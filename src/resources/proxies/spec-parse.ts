import { parseOpenApi } from './spec-openapi.ts'
import type { ImportedSpec, SpecKind } from './spec-types.ts'
import { SpecProblem } from './spec-types.ts'
import { parseWsdl } from './spec-wsdl.ts'
import { isZip, readZip } from './spec-zip.ts'

export type { ImportedSpec, SpecEndpoint, SpecKind } from './spec-types.ts'
export { MAX_OPERATIONS, SpecProblem } from './spec-types.ts'

/*
 * Reading a spec document into the little a proxy keeps of it: its operations and the
 * backend it names. Runs inside the spec-parse worker (see spec-parser.ts), never on the
 * event loop: a large document takes seconds, and every document here is untrusted
 * (JSON, YAML, XML and ZIP alike). Plain functions and data only, so the result crosses
 * the thread boundary as it is.
 */

/** Reads an OpenAPI 3 / Swagger 2 document (JSON or YAML), or a WSDL 1.1 (XML, or a ZIP of one with its imports). */
export async function parseSpec(bytes: Uint8Array, kind: SpecKind): Promise<ImportedSpec> {
  if (kind === 'WSDL') {
    const files = isZip(bytes) ? await readZip(bytes) : null
    return parseWsdl(files ?? new Map([['', bytes]]), files !== null)
  }
  if (isZip(bytes)) {
    throw new SpecProblem(
      `is a ZIP archive; archives are taken for WSDL only (an ${kind} spec is one JSON or YAML document)`,
    )
  }
  return parseOpenApi(bytes, kind)
}
