import { errors } from '../../../errors.ts'

/*
 * An endpoint's backendResourceUrl is a path under the proxy's routing address, or an
 * absolute http(s) URL that replaces the routing address for that endpoint. The write
 * path refuses an absolute URL the gateway could not honour, and the gateway skips a
 * deployment holding one (stored before this check), so none is ever sent elsewhere.
 */

const ABSOLUTE = /^[a-z][a-z0-9+.-]*:\/\//i

export const isAbsoluteBackendUrl = (text: string) => ABSOLUTE.test(text)

/** Why an absolute backend resource URL cannot be used; null when it can, or is a path. */
export function absoluteBackendUrlProblem(text: string): string | null {
  if (!isAbsoluteBackendUrl(text)) return null
  // Routing addresses are resolved (and sealed) at the deploy; an endpoint's URL is not.
  if (text.includes('${')) {
    return 'an absolute URL cannot hold environment variables: put that backend in a routing address, or give a path'
  }
  let url: URL
  try {
    url = new URL(text)
  } catch {
    return 'is not a valid URL'
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return 'an absolute URL must start with http:// or https://'
  }
  // Stored and shown in clear: a password in it would be a secret anyone with read access sees.
  if (url.username !== '' || url.password !== '') {
    return 'must not carry a user name or password'
  }
  return null
}

/** The write paths' check (the endpoint routes, a proxy import): 400 naming the field. */
export function checkBackendResourceUrl(text: string, field = 'backendResourceUrl'): void {
  const problem = absoluteBackendUrlProblem(text)
  if (problem !== null) throw errors.validationFailed([{ field, message: problem }])
}
