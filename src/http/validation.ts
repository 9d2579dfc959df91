import { Ajv, type Options } from 'ajv'
import addFormats from 'ajv-formats'
import type { FastifyInstance, FastifyRequest, FastifySchemaCompiler } from 'fastify'
import { errors } from '../errors.ts'
import { ajvIssues } from './error-handler.ts'

const common: Options = {
  allErrors: true,
  removeAdditional: false,
  useDefaults: true,
  strict: false,
  // Errors carry the schema they failed, for the message kept beside each pattern.
  verbose: true,
}

/**
 * Two validators: query strings and path parameters arrive as text, so their numbers
 * are coerced; a JSON body is taken as sent, so `"description": 5` is an error rather
 * than silently becoming "5".
 */
export function installValidation(app: FastifyInstance): void {
  const strict = new Ajv({ ...common, coerceTypes: false })
  const coercing = new Ajv({ ...common, coerceTypes: 'array' })
  for (const ajv of [strict, coercing]) addFormats.default(ajv)
  app.setValidatorCompiler(({ schema, httpPart }) =>
    httpPart === 'body' ? strict.compile(schema) : coercing.compile(schema),
  )
  // Every route that takes a body, whatever its schema says of each field.
  app.addHook('onRoute', (route) => {
    if (!route.schema?.body) return
    route.preValidation = [refuseNul, ...[route.preValidation ?? []].flat()]
  })
}

/**
 * NUL is refused in every string of every body, secrets included: PostgreSQL text
 * cannot hold it (SQLite can, so the engines would disagree), and in a name or a log
 * line it truncates what a person or a C library reads. The walk is iterative, so a
 * deeply nested body cannot exhaust the stack.
 */
async function refuseNul(request: FastifyRequest): Promise<void> {
  const field = nulField(request.body)
  if (field !== undefined) {
    throw errors.validationFailed([{ field, message: 'must not contain NUL (\\u0000) characters' }])
  }
}

/** The path of the first string (value or key) holding NUL, if any. */
export function nulField(body: unknown): string | undefined {
  const pending: [unknown, string][] = [[body, '']]
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [value, path] = next
    if (typeof value === 'string') {
      if (value.includes('\u0000')) return path || 'body'
    } else if (Array.isArray(value)) {
      value.forEach((item, i) => {
        pending.push([item, path ? `${path}.${i}` : String(i)])
      })
    } else if (value !== null && typeof value === 'object' && isPlain(value)) {
      for (const [key, item] of Object.entries(value)) {
        const at = path ? `${path}.${key}` : key
        if (key.includes('\u0000')) return at
        pending.push([item, at])
      }
    }
  }
  return undefined
}

/** JSON and form bodies are plain objects; uploaded files and buffers are not walked. */
function isPlain(value: object): boolean {
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

const documents = new Ajv({ ...common, coerceTypes: false, useDefaults: false })
addFormats.default(documents)

/**
 * A checker for a JSON document that is no request body (an entry of an uploaded
 * archive): the same words as a body's 400, each field prefixed with where it was read.
 */
export function documentChecker<T>(schema: object): (value: unknown, where: string) => T {
  const validate = documents.compile(schema)
  return (value, where) => {
    if (validate(value)) return value as T
    const issues = ajvIssues(validate.errors ?? [], 'body')
    throw errors.validationFailed(
      issues.map((i) => ({
        field: i.field === 'body' ? where : `${where}.${i.field}`,
        message: i.message,
      })),
    )
  }
}

/**
 * A body validator compiled exactly as the routes' (useDefaults, no coercion), for a
 * caller with a body but no request: the CLI checks a JSON file as the route would.
 */
export function bodyCompiler(): FastifySchemaCompiler<unknown> {
  const strict = new Ajv({ ...common, coerceTypes: false })
  addFormats.default(strict)
  return ({ schema }) => strict.compile(schema as object)
}
