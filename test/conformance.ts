import type { ValidateFunction } from 'ajv'
import { Ajv2020 } from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'

/**
 * Checks every JSON answer a test receives against the schema the OpenAPI document
 * declares for that operation and status, so the whole suite doubles as a conformance
 * test of the document. Installed by buildTestApp around app.inject.
 */
interface Operation {
  method: string
  regex: RegExp
  params: number
  responses: Record<string, { content?: Record<string, { schema?: object }> }>
}

export class ResponseConformance {
  private readonly operations: Operation[] = []
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true })
  private readonly compiled = new Map<object, ValidateFunction>()

  constructor(document: {
    paths: Record<string, Record<string, { responses: Operation['responses'] }>>
  }) {
    addFormats.default(this.ajv)
    for (const [path, methods] of Object.entries(document.paths)) {
      const pattern = path
        .replace(/\/$/, '')
        .replace(/[.*+?^$()|[\]\\]/g, '\\$&')
        .replace(/\{[^}]+\}/g, '[^/]+')
      for (const [method, op] of Object.entries(methods)) {
        this.operations.push({
          method: method.toUpperCase(),
          regex: new RegExp(`^${pattern}/?$`),
          params: (path.match(/\{/g) ?? []).length,
          responses: op.responses,
        })
      }
    }
    // Static segments beat parameters: /apiProxies/url/ before /apiProxies/{name}/.
    this.operations.sort((a, b) => a.params - b.params)
  }

  /** Returns a description of the mismatch, or null when the answer conforms (or is not JSON). */
  check(
    method: string,
    url: string,
    status: number,
    contentType: string | undefined,
    body: string,
  ): string | null {
    if (!contentType?.includes('application/json')) return null
    const path = url.split('?')[0] ?? ''
    const op = this.operations.find((o) => o.method === method && o.regex.test(path))
    if (!op) return null // not in the document (unknown route: the 404 has its own tests)
    const response = op.responses[String(status)]
    if (!response)
      return `${method} ${path} answered ${status}, which its OpenAPI entry does not declare`
    const schema = response.content?.['application/json']?.schema
    if (!schema) return null
    let validate = this.compiled.get(schema)
    if (!validate) {
      validate = this.ajv.compile(schema)
      this.compiled.set(schema, validate)
    }
    if (validate(JSON.parse(body))) return null
    return `${method} ${path} ${status} does not match its declared schema: ${this.ajv.errorsText(validate.errors)}`
  }
}
