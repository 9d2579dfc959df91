/**
 * The cookies apiops sets and reads: the console session, and the device cookie the
 * login sets. Their values are base64url (with dots between parts), so no encoding is
 * needed; written here rather than through
 * @fastify/cookie, whose onSend hook ran on every answer, including every API call
 * that never touches a cookie.
 */

export interface CookieOptions {
  maxAgeSeconds: number
  secure: boolean
  /** Where the browser sends it back; the whole site unless narrower. */
  path?: string
}

const VALUE_SHAPE = /^[A-Za-z0-9_.-]*$/

/** A Set-Cookie value: host-only, script-proof, never sent cross-site. */
export function setCookie(name: string, value: string, options: CookieOptions): string {
  if (!VALUE_SHAPE.test(value)) throw new Error('cookie values are base64url, with dots')
  const parts = [
    `${name}=${value}`,
    `Max-Age=${Math.floor(options.maxAgeSeconds)}`,
    `Path=${options.path ?? '/'}`,
    'HttpOnly',
    'SameSite=Strict',
  ]
  if (options.maxAgeSeconds <= 0) parts.push('Expires=Thu, 01 Jan 1970 00:00:00 GMT')
  if (options.secure) parts.push('Secure')
  return parts.join('; ')
}

/** The value of cookie `name` in a Cookie header (the first, if a client sent several). */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=')
    if (eq === -1 || pair.slice(0, eq).trim() !== name) continue
    let value = pair.slice(eq + 1).trim()
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"'))
      value = value.slice(1, -1)
    return value
  }
  return undefined
}
