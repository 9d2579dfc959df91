/** Where the API lives, and the documents about it that are open to anyone. */
export const API_PREFIX = '/apiops/'
export const OPENAPI_PREFIX = '/apiops/openapi'

/** A URL (path, possibly with a query) of the API, including the bare /apiops. */
export function isApiPath(url: string): boolean {
  return url.startsWith(API_PREFIX) || url === '/apiops' || url.startsWith('/apiops?')
}
