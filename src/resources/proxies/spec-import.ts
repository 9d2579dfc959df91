import { parse as parseYaml } from 'yaml'
import { errors } from '../../errors.ts'

/** Limits on fetching a spec: a slow or huge answer must not tie up the server. */
export interface SpecFetchLimits {
  timeoutMs: number
  maxBytes: number
}

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

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']
const MAX_ENDPOINTS = 2000

const specProblem = (message: string) => errors.validationFailed([{ field: 'specUrl', message }])

async function readLimited(response: Response, maxBytes: number): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? 0)
  if (declared > maxBytes) throw specProblem(`the spec is larger than ${maxBytes} bytes`)
  const reader = response.body?.getReader()
  if (!reader) return ''
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > maxBytes) {
      await reader.cancel()
      throw specProblem(`the spec is larger than ${maxBytes} bytes`)
    }
    chunks.push(value)
  }
  return Buffer.concat(chunks).toString('utf8')
}

/** Fetches a spec document over http(s), within the time and size limits. */
export async function fetchSpec(url: string, limits: SpecFetchLimits): Promise<string> {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw specProblem('is not a valid URL')
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw specProblem('must be an http or https URL')
  let response: Response
  try {
    // Redirects are not followed: the URL given is the one fetched, nothing it points on to.
    response = await fetch(parsed, {
      signal: AbortSignal.timeout(limits.timeoutMs),
      redirect: 'manual',
    })
  } catch (error) {
    const name = (error as Error).name
    if (name === 'TimeoutError' || name === 'AbortError') {
      throw specProblem(`fetching the spec took longer than ${limits.timeoutMs} ms`)
    }
    throw specProblem(
      `the spec could not be fetched (${(error as { cause?: { code?: string } }).cause?.code ?? 'network error'})`,
    )
  }
  if (response.status >= 300 && response.status < 400) {
    throw specProblem(`the spec URL answered a redirect (${response.status}); give the final URL`)
  }
  if (!response.ok) throw specProblem(`the spec URL answered HTTP ${response.status}`)
  try {
    return await readLimited(response, limits.maxBytes)
  } catch (error) {
    if ((error as Error).name === 'TimeoutError') {
      throw specProblem(`fetching the spec took longer than ${limits.timeoutMs} ms`)
    }
    throw error
  }
}

function asRecord(value: unknown): Record<string, unknown> | null {
  return value && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : null
}

/** Reads the operations of an OpenAPI 3 or Swagger 2 document (JSON or YAML). */
export function parseSpec(text: string, kind: 'OPEN_API' | 'SWAGGER'): ImportedSpec {
  let doc: Record<string, unknown> | null
  try {
    doc = asRecord(
      text.trimStart().startsWith('{') ? JSON.parse(text) : parseYaml(text, { maxAliasCount: 100 }),
    )
  } catch {
    throw specProblem('the document is neither valid JSON nor valid YAML')
  }
  if (!doc) throw specProblem('the document is not an object')
  if (kind === 'OPEN_API' && !(typeof doc.openapi === 'string' && doc.openapi.startsWith('3.'))) {
    throw specProblem(
      'is not an OpenAPI 3 document (no "openapi: 3.x" field); use SWAGGER for Swagger 2.0',
    )
  }
  if (kind === 'SWAGGER' && doc.swagger !== '2.0') {
    throw specProblem(
      'is not a Swagger 2.0 document (no "swagger: 2.0" field); use OPEN_API for OpenAPI 3',
    )
  }
  const paths = asRecord(doc.paths)
  if (!paths) throw specProblem('the document has no "paths" object')
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
      if (endpoints.length > MAX_ENDPOINTS)
        throw specProblem(`the spec has more than ${MAX_ENDPOINTS} operations`)
    }
  }
  if (endpoints.length === 0) throw specProblem('the spec declares no operations')
  return { endpoints, backendUrl: backendOf(doc, kind) }
}

function backendOf(doc: Record<string, unknown>, kind: 'OPEN_API' | 'SWAGGER'): string | null {
  if (kind === 'OPEN_API') {
    const first = asRecord(Array.isArray(doc.servers) ? doc.servers[0] : null)
    const url = typeof first?.url === 'string' ? first.url : null
    return url && /^https?:\/\//.test(url) ? url : null
  }
  if (typeof doc.host !== 'string') return null
  const scheme = Array.isArray(doc.schemes) && doc.schemes.includes('https') ? 'https' : 'http'
  return `${scheme}://${doc.host}${typeof doc.basePath === 'string' ? doc.basePath : ''}`
}
