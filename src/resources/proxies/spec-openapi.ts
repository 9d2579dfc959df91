import SwaggerParser from '@apidevtools/swagger-parser'
import { parse as parseYaml } from 'yaml'
import {
  checkOperationCount,
  type ImportedSpec,
  type SpecEndpoint,
  type SpecKind,
  SpecProblem,
} from './spec-types.ts'

/*
 * OpenAPI 3.x and Swagger 2.0, read with @apidevtools/swagger-parser: it checks the
 * version and dereferences the $refs of path items and operations, so operations
 * reached through a reference count like written ones. It is not asked to validate the
 * document against the OpenAPI schema: a proxy needs the operations, and real-world
 * specs often break a schema rule (a missing `responses`) that changes nothing here.
 *
 * References are resolved inside the document only. The library can read files and
 * URLs; a spec naming either would have the server read its own disk or reach the
 * network for whoever uploaded it. So a document with any $ref that is not `#...` is
 * refused with the reference named, before the library sees it, and the library's
 * file, http and external resolvers are switched off as well.
 */

/** YAML aliases expand; a few hundred of them nested can be a billion-laughs bomb. */
const MAX_YAML_ALIASES = 100
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']
/**
 * Below an operation nothing is dereferenced: a proxy keeps no schema, and the library
 * recurses (500 levels at most) through schemas that chain deeper than that in large
 * real-world specs. Path items and operations reached through a $ref are resolved.
 */
const beyondOperations = (path: string) => !/^#(\/paths(\/[^/]*){0,2})?$/.test(path)
const PARSER_OPTIONS = {
  resolve: { external: false, file: false, http: false },
  dereference: { circular: true as const, excludedPathMatcher: beyondOperations },
}

function asRecord(value: unknown): Record<string, unknown> | null {
  return value && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : null
}

function readDocument(bytes: Uint8Array, kind: SpecKind): Record<string, unknown> {
  // TextDecoder drops a UTF-8 byte order mark, which JSON.parse would choke on.
  const text = new TextDecoder().decode(bytes).trimStart()
  if (text.startsWith('<')) {
    throw new SpecProblem(
      `is an XML document, not ${kind === 'SWAGGER' ? 'Swagger 2.0' : 'OpenAPI'} JSON or YAML; for a WSDL use apiProxyCreationType WSDL`,
    )
  }
  let doc: Record<string, unknown> | null
  try {
    doc = asRecord(
      text.startsWith('{')
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

/** A key as a JSON pointer segment (RFC 6901). */
const pointer = (key: string) => key.replaceAll('~', '~0').replaceAll('/', '~1')

/** The first $ref that leaves the document, with where it is; iterative, so depth cannot overflow the stack. */
function externalReference(doc: unknown): { ref: string; at: string } | null {
  const pending: [unknown, string][] = [[doc, '#']]
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [value, at] = next
    if (Array.isArray(value)) {
      value.forEach((item, i) => {
        pending.push([item, `${at}/${i}`])
      })
      continue
    }
    const record = asRecord(value)
    if (!record) continue
    const ref = record.$ref
    if (typeof ref === 'string' && !ref.startsWith('#')) return { ref, at }
    for (const [key, item] of Object.entries(record)) {
      if (item && typeof item === 'object') pending.push([item, `${at}/${pointer(key)}`])
    }
  }
  return null
}

async function dereference(doc: Record<string, unknown>): Promise<Record<string, unknown>> {
  const external = externalReference(doc)
  if (external) {
    throw new SpecProblem(
      `has a $ref to another document ("${external.ref.slice(0, 200)}" at ${external.at.slice(0, 200)}); only references inside the document (#/...) are read: bundle the spec into one file first`,
    )
  }
  try {
    return (await new SwaggerParser().dereference(doc as never, PARSER_OPTIONS)) as never
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    throw new SpecProblem(`could not be read: ${message.slice(0, 500)}`)
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
      checkOperationCount(endpoints.length)
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
export async function parseOpenApi(bytes: Uint8Array, kind: SpecKind): Promise<ImportedSpec> {
  const raw = readDocument(bytes, kind)
  checkKind(raw, kind)
  const doc = await dereference(raw)
  return { endpoints: endpointsOf(doc), backendUrl: backendOf(doc, kind) }
}
