import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { Clock } from '../../clock.ts'
import type { Database, SessionRow, UserRow } from '../../db/schema.ts'
import { errors } from '../../errors.ts'
import type { AuthCache } from '../bearer/auth-cache.ts'
import type { Principal } from '../policy/permissions.ts'
import { ROLES } from '../users/roles.ts'
import { authenticatePassword, loadCachedUser } from '../users/users.service.ts'
import * as repo from './sessions.repository.ts'

export interface SessionsDeps {
  db: Kysely<Database>
  clock: Clock
  cache: AuthCache
  sessionPolicy: SessionPolicy
}

export interface SessionPolicy {
  idleMs: number
  absoluteMs: number
  /** Key for CSRF tokens, derived from the master secret. */
  csrfKey: Buffer
}

export const SESSION_COOKIE = 'apiops_session'
/** Last-seen is written at most this often, so browsing does not write on every click. */
const TOUCH_EVERY_MS = 60_000

export interface SessionView {
  username: string
  roles: string[]
  csrfToken: string
  expiresAt: string
}

/** The cookie value is 256 random bits; only its hash is stored. */
const sessionIdOf = (secret: string) => createHash('sha256').update(secret).digest('hex')

/**
 * The CSRF token is an HMAC of the session id: nothing to store, bound to one session,
 * and useless to anyone who cannot read the page (the cookie alone does not yield it).
 */
export function csrfTokenFor(policy: SessionPolicy, sessionId: string): string {
  return createHmac('sha256', policy.csrfKey).update(sessionId).digest('base64url')
}

export function csrfTokenMatches(
  policy: SessionPolicy,
  sessionId: string,
  presented: string | undefined,
): boolean {
  if (!presented) return false
  const expected = Buffer.from(csrfTokenFor(policy, sessionId))
  const given = Buffer.from(presented)
  return expected.length === given.length && timingSafeEqual(expected, given)
}

/**
 * Checks a console login's password and changes nothing, so the login throttle may
 * still refuse the attempt after it (see throttle.ts).
 */
export async function checkLogin(
  deps: Pick<SessionsDeps, 'db'>,
  username: string,
  password: string,
): Promise<UserRow> {
  const user = await authenticatePassword(deps, username, password)
  if (!user) throw errors.badCredentials()
  return user
}

/** A new session for `user`, whose password checkLogin accepted. */
export async function openSession(
  deps: SessionsDeps,
  user: UserRow,
  input: { ip: string; userAgent: string; previousSecret?: string | undefined },
): Promise<{ secret: string; view: SessionView; userId: string }> {
  // A fresh id at every login; the one the browser had before is dropped (no fixation).
  if (input.previousSecret) await repo.deleteSession(deps.db, sessionIdOf(input.previousSecret))
  const now = deps.clock.now()
  const secret = randomBytes(32).toString('base64url')
  const row: SessionRow = {
    id: sessionIdOf(secret),
    user_id: user.id,
    created_at: now.toISOString(),
    last_seen_at: now.toISOString(),
    expires_at: new Date(now.getTime() + deps.sessionPolicy.absoluteMs).toISOString(),
    ip: input.ip.slice(0, 64),
    user_agent: input.userAgent.slice(0, 512),
  }
  await repo.insertSession(deps.db, row)
  const owner = await loadCachedUser(deps, user.id)
  return {
    secret,
    view: sessionView(deps.sessionPolicy, row, owner?.username ?? user.username, owner?.roles),
    userId: user.id,
  }
}

function sessionView(
  policy: SessionPolicy,
  row: SessionRow,
  username: string,
  roles?: ReadonlySet<string>,
): SessionView {
  return {
    username,
    roles: ROLES.filter((r) => roles?.has(r)),
    csrfToken: csrfTokenFor(policy, row.id),
    expiresAt: row.expires_at,
  }
}

export interface AuthenticatedSession {
  principal: Principal
  sessionId: string
  view: SessionView
}

/**
 * The console's cookie, checked like a token: it must exist, be within both timeouts,
 * and belong to an enabled user, whose roles are read now.
 */
export async function authenticateSession(
  deps: SessionsDeps,
  secret: string,
): Promise<AuthenticatedSession> {
  const id = sessionIdOf(secret)
  const row = await repo.findSession(deps.db, id)
  const now = deps.clock.now()
  if (!row) throw errors.sessionInvalid()
  const idleEnd = new Date(row.last_seen_at).getTime() + deps.sessionPolicy.idleMs
  if (now.toISOString() >= row.expires_at || now.getTime() >= idleEnd) {
    await repo.deleteSession(deps.db, id)
    throw errors.sessionInvalid()
  }
  const owner = await loadCachedUser(deps, row.user_id)
  if (!owner || owner.disabled) throw errors.sessionInvalid()
  if (now.getTime() - new Date(row.last_seen_at).getTime() >= TOUCH_EVERY_MS) {
    await repo.touchSession(deps.db, id, now.toISOString())
  }
  return {
    principal: {
      userId: owner.id,
      username: owner.username,
      roles: owner.roles,
      tokenId: undefined,
      via: 'session',
    },
    sessionId: id,
    view: sessionView(deps.sessionPolicy, row, owner.username, owner.roles),
  }
}

export async function logout(deps: Pick<SessionsDeps, 'db'>, sessionId: string): Promise<void> {
  await repo.deleteSession(deps.db, sessionId)
}

export async function purgeExpiredSessions(
  deps: Pick<SessionsDeps, 'db' | 'clock'>,
): Promise<number> {
  return repo.deleteSessionsBefore(deps.db, deps.clock.now().toISOString())
}
