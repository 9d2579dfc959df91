import { parse as parseYaml } from 'yaml'

/*
 * Reading an OpenAPI 3 / Swagger 2 document into the little a proxy keeps of it. Runs
 * inside the spec-parse worker (see spec-parser.ts), never on the event loop: a large
 * YAML document takes seconds to parse. Plain functions and data only, so the result
 * crosses the thread boundary as it is.
 */

export type SpecKind = 'OPEN_API' | 'SWAGGER'

export interface SpecEndpoint {
  method: string
  path: string
  operationId: string | null
  summary: string | null
}

export interface ImportedSpec {
  endpoints: SpecEndpoint[]
  /** The backend the spec names (servers[0] or host+basePath), if any. */
  backendUrl: string | null
}

/**
 * The most operations one spec may declare. GitHub's published description, among the
 * largest public ones, has 1,223; this leaves room for four times that.
 */
export const MAX_OPERATIONS = 5000
/** YAML aliases expand; a few hundred of them nested can be a billion-laughs bomb. */
const MAX_YAML_ALIASES = 100

/** What is wrong with a document, in words for the caller (no stack, no internals). */
export class SpecProblem extends Error {}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']

function asRecord(value: unknown): Record<string, unknown> | null {
  return value && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : null
}

function readDocument(bytes: Uint8Array): Record<string, unknown> {
  // TextDecoder drops a UTF-8 byte order mark, which JSON.parse would choke on.
  const text = new TextDecoder().decode(bytes)
  let doc: Record<string, unknown> | null
  try {
    doc = asRecord(
      text.trimStart().startsWith('{')
        ? JSON.parse(text)
        : parseYaml(text, { maxAliasCount: MAX_YAML_ALIASES }),
    )
  } catch {
    throw new SpecProblem('the document is neither valid JSON nor valid YAML')
  }
  if (!doc) throw new SpecProblem('the document is not an object')
  return doc
}

function checkKind(doc: Record<string, unknown>, kind: SpecKind): void {
  if (kind === 'OPEN_API' && !(typeof doc.openapi === 'string' && doc.openapi.startsWith('3.'))) {
    throw new SpecProblem(
      'is not an OpenAPI 3 document (no "openapi: 3.x" field); use SWAGGER for Swagger 2.0',
    )
  }
  if (kind === 'SWAGGER' && doc.swagger !== '2.0') {
    throw new SpecProblem(
      'is not a Swagger 2.0 document (no "swagger: 2.0" field); use OPEN_API for OpenAPI 3',
    )
  }
}

function endpointsOf(doc: Record<string, unknown>): SpecEndpoint[] {
  const paths = asRecord(doc.paths)
  if (!paths) throw new SpecProblem('the document has no "paths" object')
  const endpoints: SpecEndpoint[] = []
  for (const [path, item] of Object.entries(paths)) {
    const operations = asRecord(item)
    if (!operations) continue
    for (const method of METHODS) {
      const op = asRecord(operations[method])
      if (!op) continue
      endpoints.push({
        method: method.toUpperCase(),
        path: path.slice(0, 500),
        operationId: typeof op.operationId === 'string' ? op.operationId.slice(0, 200) : null,
        summary: typeof op.summary === 'string' ? op.summary.slice(0, 500) : null,
      })
      if (endpoints.length > MAX_OPERATIONS) {
        throw new SpecProblem(
          `the spec has more than ${MAX_OPERATIONS} operations, the most one proxy may have`,
        )
      }
    }
  }
  if (endpoints.length === 0) throw new SpecProblem('the spec declares no operations')
  return endpoints
}

function backendOf(doc: Record<string, unknown>, kind: SpecKind): string | null {
  if (kind === 'OPEN_API') {
    const first = asRecord(Array.isArray(doc.servers) ? doc.servers[0] : null)
    const url = typeof first?.url === 'string' ? first.url : null
    return url && /^https?:\/\//.test(url) ? url : null
  }
  if (typeof doc.host !== 'string') return null
  const scheme = Array.isArray(doc.schemes) && doc.schemes.includes('https') ? 'https' : 'http'
  return `${scheme}://${doc.host}${typeof doc.basePath === 'string' ? doc.basePath : ''}`
}

/** Reads the operations of an OpenAPI 3 or Swagger 2 document (JSON or YAML, UTF-8). */
export function parseSpec(bytes: Uint8Array, kind: SpecKind): ImportedSpec {
  const doc = readDocument(bytes)
  checkKind(doc, kind)
  return { endpoints: endpointsOf(doc), backendUrl: backendOf(doc, kind) }
}
