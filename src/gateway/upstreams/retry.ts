import type { StoredSettings } from '../../resources/proxies/settings/settings.model.ts'
import type { AttemptPolicy, Outcome } from './types.ts'

/*
 * When a failed attempt may be tried again. A request that never left the gateway is
 * safe to send again whatever its method. Once bytes were written, the upstream may have
 * acted on it: only an idempotent method (RFC 9110 9.2.2) may be re-sent, and only after
 * a connection error (typically a keep-alive socket the upstream had already closed). A
 * read timeout or a 5xx is an answer of sorts: never retried, so a slow upstream is not
 * hit twice by the same request.
 */

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE'])

export function mayRetry(method: string, sentBytes: boolean, outcome: Outcome): boolean {
  if (outcome === 'ok' || outcome === 'status-5xx') return false
  if (!sentBytes) return true
  return outcome === 'connect-error' && IDEMPOTENT.has(method.toUpperCase())
}

/** The documented defaults of routingInfo's timeouts (seconds). */
const CONNECT_TIMEOUT_S = 30
const READ_TIMEOUT_S = 60

/**
 * The attempt budget of one request. A value that is set applies whatever
 * connectionSettingsEnabled says: the proxy body's routingInfo stores these fields
 * without touching the flag. An unset failoverRetryCount tries every other address once,
 * which costs nothing when the first one answers and is what an operator with two
 * addresses expects when one is down.
 */
export function attemptPolicy(
  connection: StoredSettings['connection'],
  addressCount: number,
): AttemptPolicy {
  return {
    sameAddressRetries: connection.retryCount ?? 0,
    failovers: connection.failoverRetryCount ?? Math.max(0, addressCount - 1),
    connectTimeoutMs: (connection.connectTimeout ?? CONNECT_TIMEOUT_S) * 1000,
    readTimeoutMs: (connection.readTimeout ?? READ_TIMEOUT_S) * 1000,
  }
}
