import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { answeredErrorCode } from '../http/error-handler.ts'
import { isApiPath } from '../http/paths.ts'
import {
  type AuditActor,
  AuditRecorder,
  type AuditSink,
  type HttpFacts,
  RequestScope,
} from './audit.recorder.ts'
import { type AuditEvent, redactTokens } from './audit.service.ts'
import { renderFields } from './events.ts'

/**
 * What only HTTP knows, added to the audit log after the response has been sent.
 *
 * Services record the events of the catalogue (events.ts) themselves, whichever way the
 * action came in. During a request they wait in the request's scope; when it is
 * answered this hook gives them the actor (the request's principal), client address,
 * user agent, request id and status, and writes them. It records on its own only what no
 * service can see:
 *
 * - every 401 and 403 answer, whatever the method (request.denied), except a read that
 *   presented no credentials at all;
 * - a write that failed before any service recorded an event (request.failed).
 *
 * Successful reads are not recorded: they would drown the log, and the hot path must
 * not write. Nor are reads without any credentials that answer 401: the console asks
 * "am I logged in?" (GET /apiops/session/) on every page load, and anonymous scanners
 * would otherwise write a row per request; such a request names no one and tried no
 * secret, so the row would say nothing. The request itself never waits: writing only
 * queues, and repeated failures fold (audit.fold.ts).
 */

const READS = new Set(['GET', 'HEAD', 'OPTIONS'])

declare module 'fastify' {
  interface FastifyRequest {
    /** What this request's services record through; made by audited(), on first use. */
    auditScope: RequestScope | null
  }
}

/**
 * The services' dependencies for one request, with the audit log replaced by the
 * request's scope: what they record waits for the answer, then gets what HTTP knows.
 * A route hands this to the services it calls; only those that may record need it.
 */
export function audited<D extends { audit: AuditSink }>(request: FastifyRequest, deps: D): D {
  if (!(deps.audit instanceof AuditRecorder)) return deps
  request.auditScope ??= new RequestScope(deps.audit)
  return { ...deps, audit: request.auditScope }
}

export function installAuditHook(app: FastifyInstance, audit: AuditRecorder): void {
  // Null until a route asks for it: reads pay nothing, and every request has the same shape.
  app.decorateRequest('auditScope', null)

  const answered = (request: FastifyRequest, reply: FastifyReply) => {
    try {
      const http = httpFacts(request, reply.statusCode)
      const scope = request.auditScope
      const serviceRecorded = (scope?.events.length ?? 0) > 0
      scope?.finish(http)
      if (!serviceRecorded && recorded(request, http.status)) {
        audit.write(requestEvent(request, http))
      }
    } catch (error) {
      request.log.warn({ err: error }, 'could not build an audit event')
    }
  }
  app.addHook('onResponse', (request, reply, done) => {
    answered(request, reply)
    done()
  })
  // A client that leaves before the answer: what its request did is still written.
  app.addHook('onRequestAbort', (request, done) => {
    request.auditScope?.finish(httpFacts(request, 0))
    done()
  })
}

function httpFacts(request: FastifyRequest, status: number): HttpFacts {
  const principal = request.principal
  const actor: AuditActor | null = principal
    ? { userId: principal.userId, username: principal.username, tokenId: principal.tokenId ?? null }
    : null
  return {
    actor,
    clientIp: request.ip,
    userAgent: String(request.headers['user-agent'] ?? ''),
    requestId: request.id,
    status,
    reason: status >= 400 ? answeredErrorCode(request) : undefined,
  }
}

function recorded(request: FastifyRequest, status: number): boolean {
  if (!isApiPath(request.url)) return false
  if (status === 401 || status === 403) {
    return (
      !READS.has(request.method) ||
      status === 403 ||
      request.headers.authorization !== undefined ||
      request.headers.cookie !== undefined
    )
  }
  return status >= 400 && !READS.has(request.method)
}

/** A denial, or a write that failed before changing anything: named by its operation. */
function requestEvent(request: FastifyRequest, http: HttpFacts): AuditEvent {
  const denied = http.status === 401 || http.status === 403
  const route = request.routeOptions
  const operation =
    route.schema?.operationId ?? (route.url ? `${request.method} ${route.url}` : 'unknownRoute')
  return {
    actorUserId: http.actor?.userId ?? null,
    actorUsername: http.actor?.username ?? null,
    tokenId: http.actor?.tokenId ?? null,
    clientIp: http.clientIp,
    userAgent: http.userAgent,
    requestId: http.requestId,
    action: denied ? 'request.denied' : 'request.failed',
    target: renderFields({ operation, ...routeParams(request) }),
    outcome: denied ? 'denied' : 'failure',
    status: http.status,
    reason: http.reason,
  }
}

/** The route's parameters (the path, where no route matched), tokens redacted, bounded. */
function routeParams(request: FastifyRequest): Record<string, string> {
  const out: Record<string, string> = {}
  // Tokens out before anything is cut short, so no piece of one survives a cut.
  const add = (key: string, value: string) => {
    out[key] = redactTokens(value).slice(0, 200)
  }
  const params = request.params
  if (!request.routeOptions.url) add('path', request.url.split('?')[0] ?? '')
  else if (params && typeof params === 'object') {
    for (const [key, value] of Object.entries(params as Record<string, unknown>)) {
      if (typeof value === 'string') add(key, value)
    }
  }
  return out
}
