/**
 * Errors that mean "the database cannot be reached right now" rather than "this query
 * is wrong": the client should retry (503), not report a bug (500).
 */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
])
// PostgreSQL SQLSTATE classes 08 (connection exception) and 57P (operator intervention).
const PG_STATES = /^(08\d{3}|57P0[1-4]|53300)$/
const SQLITE_CODES = new Set(['SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_IOERR', 'SQLITE_CANTOPEN'])
const MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|connection is closed|Cannot use a pool after calling end/i

export function isDatabaseUnavailable(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown; errors?: unknown[] } | null
  if (!e || typeof e !== 'object') return false
  const code = typeof e.code === 'string' ? e.code : ''
  if (NETWORK_CODES.has(code) || PG_STATES.test(code) || SQLITE_CODES.has(code)) return true
  if (typeof e.message === 'string' && MESSAGES.test(e.message)) return true
  // AggregateError from a connection attempt to several addresses.
  return Array.isArray(e.errors) && e.errors.some(isDatabaseUnavailable)
}
