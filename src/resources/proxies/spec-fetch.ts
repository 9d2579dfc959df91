import { Agent, type Dispatcher, request } from 'undici'
import { ApiError, errors } from '../../errors.ts'
import type { OutboundAllowlist } from '../../outbound-address.ts'
import {
  checkedLiteral,
  type HostResolver,
  pinnedLookup,
  RefusedAddress,
} from '../../outbound-connect.ts'

/*
 * Fetching a spec from a URL the caller chose, without letting the caller use the
 * server to reach what only it can reach. Every address is checked before a socket is
 * opened, and the socket goes to the address that was checked: the name is resolved
 * once, inside the connection (a custom `lookup`), so a DNS answer that changes between
 * a check and a connect (rebinding) has nothing to slip through. Every failure past
 * the URL's syntax answers the same words; the reason goes to the debug log only, or
 * the answers would map the network for the caller (refused, closed port, TLS, status).
 */

export interface SpecFetchOptions {
  timeoutMs: number
  maxBytes: number
  allowlist: OutboundAllowlist
  resolve: HostResolver
}

/** Where the reason for a failed fetch goes: the request's logger. */
export interface DebugLog {
  debug(details: object, message: string): void
}

/**
 * What is being fetched, for the answers: the body field that named the URL, the words
 * for the document (in the generic error), the Accept header, and the debug log's line.
 * Specs by default; JWK sets (src/resources/jwks) fetch through here too.
 */
export interface FetchTarget {
  field: string
  what: string
  accept: string
  logMessage: string
  /** The document, in the answer to one too large ("the spec is larger than ..."). */
  document: string
}

export const SPEC_TARGET: FetchTarget = {
  field: 'specUrl',
  what: 'specs',
  accept: 'application/json, application/yaml, text/yaml, */*;q=0.5',
  logMessage: 'spec fetch failed',
  document: 'the spec',
}

/** A failure the caller hears about only as "could not be fetched". */
class Unfetchable extends Error {}

async function readLimited(
  body: Dispatcher.ResponseData['body'],
  declared: number,
  maxBytes: number,
  target: FetchTarget,
): Promise<Uint8Array> {
  const tooLarge = () =>
    errors.validationFailed([
      { field: target.field, message: `${target.document} is larger than ${maxBytes} bytes` },
    ])
  if (declared > maxBytes) throw tooLarge()
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of body as AsyncIterable<Buffer>) {
    size += chunk.byteLength
    if (size > maxBytes) throw tooLarge()
    chunks.push(chunk)
  }
  // One buffer of its own (not a slice of Node's pool), so it can be handed to the parse worker.
  const bytes = new Uint8Array(size)
  let at = 0
  for (const chunk of chunks) {
    bytes.set(chunk, at)
    at += chunk.byteLength
  }
  return bytes
}

function parseUrl(url: string, field: string): URL {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw errors.validationFailed([{ field, message: 'is not a valid URL' }])
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw errors.validationFailed([{ field, message: 'must be an http or https URL' }])
  }
  return parsed
}

async function download(
  url: URL,
  options: SpecFetchOptions,
  agent: Agent,
  target: FetchTarget,
): Promise<Uint8Array> {
  checkedLiteral(url.hostname, options.allowlist)
  // undici follows no redirect unless told to: the URL given is the one fetched.
  const response = await request(url, {
    dispatcher: agent,
    signal: AbortSignal.timeout(options.timeoutMs),
    headers: { accept: target.accept },
  })
  if (response.statusCode < 200 || response.statusCode > 299) {
    await response.body.dump()
    throw new Unfetchable(`HTTP ${response.statusCode}`)
  }
  const declared = Number(response.headers['content-length'] ?? 0)
  return readLimited(response.body, declared, options.maxBytes, target)
}

/** Why a fetch failed, for the debug log (a refusal may arrive wrapped by the socket). */
function reasonOf(error: unknown): string {
  if (error instanceof Unfetchable) return error.message
  const e = error as Error & { code?: string; cause?: { code?: string; message?: string } }
  if (e.cause instanceof Unfetchable || e.cause instanceof RefusedAddress) return e.cause.message
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return 'timeout'
  const code = e.code ?? e.cause?.code
  const text = e.cause?.message ?? e.message
  return code ? `${code}: ${text}` : text
}

/**
 * Downloads a spec over http(s) within the time and size limits, from an allowed
 * address only. Answers the document's bytes; throws the catalogue's errors.
 */
export async function fetchSpec(
  url: string,
  options: SpecFetchOptions,
  log: DebugLog,
  target: FetchTarget = SPEC_TARGET,
): Promise<Uint8Array> {
  const parsed = parseUrl(url, target.field)
  const agent = new Agent({
    connect: { lookup: pinnedLookup(options.allowlist, options.resolve) },
    connections: 1,
  })
  try {
    return await download(parsed, options, agent, target)
  } catch (error) {
    if (error instanceof ApiError) throw error
    log.debug({ specHost: parsed.host, reason: reasonOf(error) }, target.logMessage)
    throw errors.urlUnfetchable(target.field, target.what)
  } finally {
    void agent.destroy()
  }
}
