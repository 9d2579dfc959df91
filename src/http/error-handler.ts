import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { isDatabaseUnavailable } from '../db/unavailable.ts'
import { ApiError, type ErrorCode, errors, type ValidationIssue } from '../errors.ts'
import { wantsConsolePage } from './console.ts'
import { PATTERN_MESSAGE } from './schemas.ts'

/** The longest path parameter the router accepts (longer ones answer 400 before routing). */
export const MAX_PARAM_LENGTH = 500

/** Ajv's instancePath ("/roles/0") or missingProperty, as the field a client sent. */
function fieldOf(
  v: { instancePath?: string; params?: Record<string, unknown> },
  context?: string,
): string {
  const path = (v.instancePath ?? '').replace(/^\//, '').replaceAll('/', '.')
  const missing = v.params?.missingProperty ?? v.params?.additionalProperty
  const field = [path, missing].filter((s) => typeof s === 'string' && s !== '').join('.')
  return field || context || 'body'
}

type AjvIssue = NonNullable<FastifyError['validation']>[number]

/**
 * A nullable field (`anyOf: [X, null]`) that fails X also fails "must be null" and the
 * anyOf itself; those two say nothing the client can act on when X's own error is there.
 */
function withoutUnionNoise(issues: AjvIssue[]): AjvIssue[] {
  const specific = (i: AjvIssue) =>
    i.keyword !== 'anyOf' && !(i.keyword === 'type' && i.params?.type === 'null')
  const explained = new Set(issues.filter(specific).map((i) => i.instancePath))
  return issues.filter((i) => specific(i) || !explained.has(i.instancePath))
}

function validationIssues(error: FastifyError): ValidationIssue[] {
  return ajvIssues(error.validation ?? [], error.validationContext)
}

/** Ajv's errors as the fields and words a client reads (also for documents that are not bodies). */
export function ajvIssues(validation: readonly AjvIssue[], context?: string): ValidationIssue[] {
  return withoutUnionNoise([...validation]).map((v) => {
    const field = fieldOf(v as never, context)
    let message = v.message ?? 'is invalid'
    if (v.keyword === 'additionalProperties') message = 'is not a known field'
    if (v.keyword === 'required') message = 'is required'
    const allowed = v.params?.allowedValues
    if (v.keyword === 'enum' && Array.isArray(allowed))
      message = `must be equal to one of the allowed values: ${allowed.map((a) => (a === null ? 'null' : String(a))).join(', ')}`
    // The words the schema keeps beside its pattern (validation.ts makes Ajv verbose).
    const parent = (v as { parentSchema?: Record<string, unknown> }).parentSchema
    const words = parent?.[PATTERN_MESSAGE]
    if (v.keyword === 'pattern' && typeof words === 'string') message = words
    return { field, message }
  })
}

/** Turns whatever was thrown into a catalogue error; nothing else reaches the client. */
export function toApiError(error: unknown, request: FastifyRequest): ApiError {
  if (error instanceof ApiError) return error
  const e = error as FastifyError
  if (e.validation) return errors.validationFailed(validationIssues(e))
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return errors.payloadTooLarge(request.routeOptions.bodyLimit ?? 0)
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return errors.unsupportedMediaType(
        String(request.headers['content-type'] ?? ''),
        'application/json',
      )
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return errors.badRequest(
        'The body is empty but Content-Type says JSON: send a JSON document, or no Content-Type.',
      )
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return errors.badRequest('The Content-Length header does not match the body.')
  }
  // Fastify's parser drops the cause, so one message covers both refusals it makes.
  if (e instanceof SyntaxError || e.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
    return errors.badRequest(
      'The body is not valid JSON, or has a "__proto__" or "constructor.prototype" key (refused: prototype poisoning).',
    )
  }
  if (isDatabaseUnavailable(error)) return errors.serviceUnavailable('The database')
  // PostgreSQL text cannot hold NUL (SQLite can): whatever field let one through, the
  // client gets a 400 naming the problem instead of a 500.
  if ((error as { code?: string }).code === '22021') {
    return errors.badRequest('Text fields must not contain NUL (\\u0000) characters.')
  }
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return errors.badRequest('The request could not be understood.')
  }
  return errors.internal()
}

/**
 * Errors Fastify raises before routing (a bad percent-encoding, an over-long path
 * parameter): they would otherwise answer Fastify's own body, outside the catalogue.
 */
export function frameworkErrors(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  if (error.code === 'FST_ERR_BAD_URL') return sendError(reply, errors.malformedUrl())
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    return sendError(reply, errors.pathParameterTooLong(MAX_PARAM_LENGTH))
  }
  request.log.error({ err: error }, 'request failed before routing')
  return sendError(reply, errors.internal())
}

/** The error code each failed request was answered with, for the audit log. */
const answered = new WeakMap<FastifyRequest, ErrorCode>()

export function answeredErrorCode(request: FastifyRequest): ErrorCode | undefined {
  return answered.get(request)
}

export function sendError(reply: FastifyReply, error: ApiError): FastifyReply {
  answered.set(reply.request, error.code)
  if (error.extra.headers) reply.headers(error.extra.headers)
  if (error.extra.retryAfter !== undefined)
    reply.header('retry-after', String(error.extra.retryAfter))
  return reply.code(error.status).type('application/json; charset=utf-8').send(error.toJSON())
}

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => {
    const apiError = toApiError(error, request)
    if (apiError.status === 503) request.log.warn({ err: error }, 'dependency unavailable')
    else if (apiError.status >= 500) request.log.error({ err: error }, 'request failed')
    return sendError(reply, apiError)
  })
  app.setNotFoundHandler((request, reply) => {
    if (wantsConsolePage(request.method, request.url, request.headers.accept)) {
      if ((app as unknown as { consoleIndex?: boolean }).consoleIndex) {
        return reply
          .header('cache-control', 'no-cache')
          .sendFile('index.html', { cacheControl: false })
      }
      return reply
        .code(503)
        .type('text/plain; charset=utf-8')
        .send(
          'The console is not built. Run `npm run build` (npm start does it when it is missing).\n',
        )
    }
    return sendError(
      reply,
      errors.routeNotFound(request.method, (request.url.split('?')[0] ?? '').slice(0, 200)),
    )
  })
}
