import type { FastifyInstance } from 'fastify'
import { API_PREFIX, OPENAPI_PREFIX } from './paths.ts'

/**
 * The security headers every answer carries, computed once. This replaces
 * @fastify/helmet, which rebuilt the same header values on every request: measured
 * with `npm run bench`, that was a large share of the authenticated route's cost, and
 * these values never change. The set matches what helmet sent with our options.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join(';')

export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'origin-agent-cluster': '?1',
  'referrer-policy': 'no-referrer',
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-dns-prefetch-control': 'off',
  'x-download-options': 'noopen',
  'x-frame-options': 'DENY',
  'x-permitted-cross-domain-policies': 'none',
  'x-xss-protection': '0',
})

/**
 * API answers (JSON and text under /apiops/, never rendered as pages) need only the
 * headers that stop a browser from sniffing or framing them; each header costs time on
 * every call a pipeline makes.
 */
export const API_SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
})

/** Set first, so every answer has them (routes with their own page policy may override). */
export function installSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onRequest', (request, reply, done) => {
    const page = !request.url.startsWith(API_PREFIX) || request.url.startsWith(OPENAPI_PREFIX)
    reply.headers(page ? SECURITY_HEADERS : API_SECURITY_HEADERS)
    done()
  })
}
