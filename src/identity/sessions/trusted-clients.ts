import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { Clock } from '../../clock.ts'
import type { Database } from '../../db/schema.ts'
import { addressKey } from '../throttling/throttle.ts'
import { USERNAME_PATTERN } from '../users/users.service.ts'
import * as repo from './known-addresses.repository.ts'

/**
 * Clients a user has already proven, so that a username locked by strangers does not
 * lock its owner out (OWASP, "Slow down online guessing attacks with device cookies").
 * A trusted login is judged by its own failure count (a key of the throttle) instead
 * of the username's lock and the address's:
 *
 * - Console: a device cookie, set at every successful console login. It names no one:
 *   its HMAC covers the username with a random nonce and an expiry, so it proves
 *   "this browser logged in as <the username typed> before" and nothing else; a cookie
 *   for another username fails the same check as a forged one. Its failures count
 *   under `device:<nonce>`, so a stolen cookie gets the username's few tries and is
 *   then locked itself.
 * - Token endpoint (scripts keep no cookies): the addresses (IPv4, or IPv6 /64) the
 *   user logged in from successfully in the last 30 days, at most 10, in the database
 *   so every node sees them. Failures count under `known:<username>:<address>`; an
 *   address known for one user is worth nothing for another.
 */

export const DEVICE_COOKIE = 'apiops_device'
/** The browser sends it to the login only (and the rest of /apiops/session). */
export const DEVICE_COOKIE_PATH = '/apiops/session'
export const DEVICE_COOKIE_MAX_AGE_SECONDS = 365 * 24 * 3600
export const KNOWN_ADDRESS_DAYS = 30
export const KNOWN_ADDRESSES_PER_USER = 10

// --- Device cookies: `<nonce>.<expires, unix seconds>.<HMAC-SHA-256>`, base64url parts.

const NONCE_SHAPE = /^[A-Za-z0-9_-]{22}$/
const EXPIRES_SHAPE = /^[0-9]{1,12}$/

function deviceMac(key: Buffer, username: string, nonce: string, expires: string): Buffer {
  return createHmac('sha256', key).update(`device\0${username}\0${nonce}\0${expires}`).digest()
}

/** A new device cookie's value for `username`, valid for a year. */
export function newDeviceCookie(key: Buffer, username: string, now: Date): string {
  const nonce = randomBytes(16).toString('base64url')
  const expires = String(Math.floor(now.getTime() / 1000) + DEVICE_COOKIE_MAX_AGE_SECONDS)
  return `${nonce}.${expires}.${deviceMac(key, username, nonce, expires).toString('base64url')}`
}

/**
 * The throttle key of a device cookie that is valid now for `username`, else undefined
 * (absent, malformed, forged, expired, or issued for another username: all the same).
 */
export function deviceKey(
  key: Buffer,
  cookie: string | undefined,
  username: string,
  now: Date,
): string | undefined {
  const [nonce = '', expires = '', mac = '', extra] = (cookie ?? '').split('.')
  if (extra !== undefined || !NONCE_SHAPE.test(nonce) || !EXPIRES_SHAPE.test(expires)) return
  if (Number(expires) * 1000 <= now.getTime()) return
  const given = Buffer.from(mac, 'base64url')
  const expected = deviceMac(key, username, nonce, expires)
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return
  return `device:${nonce}`
}

// --- Known addresses

interface KnownAddressDeps {
  db: Kysely<Database>
  clock: Clock
}

/** The address key without its `ip:` prefix, as stored. */
const storedAddress = (ip: string | undefined) => addressKey(ip).slice('ip:'.length)

const cutoff = (clock: Clock) =>
  new Date(clock.now().getTime() - KNOWN_ADDRESS_DAYS * 86_400_000).toISOString()

/** The throttle key of `ip` if `username` logged in from it lately, else undefined. */
export async function knownAddressKey(
  deps: KnownAddressDeps,
  username: string,
  ip: string | undefined,
): Promise<string | undefined> {
  // Whatever cannot be a username (up to 8 KiB of it) never had a success.
  if (!USERNAME_PATTERN.test(username)) return
  const address = storedAddress(ip)
  const known = await repo.isKnownAddress(deps.db, username, address, cutoff(deps.clock))
  return known ? `known:${username}:${address}` : undefined
}

/**
 * Remembers a successful login's address and forgets the user's oldest beyond the
 * bound. The login is sound whether or not this lands: a failure here only means the
 * next login from there is judged as a stranger's, so it is logged, not thrown.
 */
export async function rememberAddress(
  deps: KnownAddressDeps,
  userId: string,
  ip: string | undefined,
  log: { warn(obj: object, msg: string): void },
): Promise<void> {
  try {
    await repo.touchAddress(deps.db, userId, storedAddress(ip), deps.clock.now().toISOString())
    await repo.trimAddresses(deps.db, userId, KNOWN_ADDRESSES_PER_USER, cutoff(deps.clock))
  } catch (error) {
    log.warn({ err: error }, 'could not remember the address of a successful login')
  }
}

/**
 * A console session is a trusted client too: it was opened with the password. Its key
 * is the session's id (a hash of the cookie, never the cookie itself).
 */
export function sessionKey(sessionId: string): string {
  return `session:${sessionId}`
}
