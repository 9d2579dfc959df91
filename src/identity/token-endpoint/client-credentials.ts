import type { FastifyRequest } from 'fastify'
import { type ApiError, errors } from '../../errors.ts'

/*
 * What the OAuth endpoints (token, introspection, revocation) share: form bodies only,
 * each parameter once, and client credentials as HTTP Basic or form fields.
 */

export const FORM = 'application/x-www-form-urlencoded'

export interface ClientCredentials {
  username: string
  password: string
}

/**
 * Before the body is parsed: a request that is not a form gets the same plain advice
 * as an empty form (a body without a Content-Type is never read), and a JSON body is
 * told so, instead of hearing a parser's or a schema's error.
 */
export function requireFormBody(missing: () => ApiError, advice: string) {
  return async (request: FastifyRequest): Promise<void> => {
    const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? ''
    if (type === FORM) return
    if (type === '') throw missing()
    if (type === 'application/json' || type.endsWith('+json')) {
      throw errors.invalidRequest(`This endpoint takes form fields, not JSON: ${advice}.`)
    }
    throw errors.unsupportedMediaType(type, FORM)
  }
}

/** Every parameter at most once; RFC 6749 §3.2 forbids repeats. Empty counts as absent. */
export function readFormParameters<N extends string>(
  body: unknown,
  names: readonly N[],
): Partial<Record<N, string>> {
  const form = (body ?? {}) as Record<string, unknown>
  const out: Partial<Record<N, string>> = {}
  for (const name of names) {
    const value = form[name]
    if (Array.isArray(value))
      throw errors.invalidRequest(`Parameter ${name} is repeated; send it once.`)
    if (typeof value === 'string' && value !== '') out[name] = value
  }
  return out
}

/** RFC 6749 §2.3.1: each half of a Basic header is form-urlencoded before base64. */
export function decodeBasic(header: string): ClientCredentials {
  const match = /^basic +([A-Za-z0-9+/]+={0,2})$/i.exec(header.trim())
  const decoded = match ? Buffer.from(match[1] as string, 'base64').toString('utf8') : ''
  const colon = decoded.indexOf(':')
  if (colon === -1) {
    throw errors.invalidRequest(
      'The Authorization header must be "Basic base64(client_id:client_secret)" on this endpoint.',
    )
  }
  const formDecode = (s: string) => decodeURIComponent(s.replaceAll('+', ' '))
  try {
    return {
      username: formDecode(decoded.slice(0, colon)),
      password: formDecode(decoded.slice(colon + 1)),
    }
  } catch {
    throw errors.invalidRequest(
      'The Basic credentials are not valid form-urlencoding (RFC 6749 §2.3.1).',
    )
  }
}

/** The client's credentials, from the Authorization header or the form, never both. */
export function resolveClientCredentials(
  authorization: string | undefined,
  params: { client_id?: string | undefined; client_secret?: string | undefined },
): ClientCredentials {
  const inBody = params.client_id !== undefined || params.client_secret !== undefined
  if (authorization !== undefined) {
    if (inBody) {
      throw errors.invalidRequest(
        'Client credentials were sent both in the Authorization header and in the body; use one.',
      )
    }
    return decodeBasic(authorization)
  }
  if (params.client_id === undefined)
    throw errors.invalidRequest('Missing parameter client_id (your username).')
  if (params.client_secret === undefined) {
    throw errors.invalidRequest('Missing parameter client_secret (your password).')
  }
  return { username: params.client_id, password: params.client_secret }
}
