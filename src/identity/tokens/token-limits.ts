import ipaddr from 'ipaddr.js'
import type { Queryable } from '../../db/types.ts'
import { errors } from '../../errors.ts'
import { canonicalList } from '../../ip-entries.ts'
import type { TokenLimits } from '../policy/permissions.ts'
import { projectSeenBy } from '../users/memberships.repository.ts'
import { isRole, ROLES, type Role } from '../users/roles.ts'
import { rolesOf } from '../users/users.repository.ts'

/*
 * Narrower tokens: what a token was created with (a subset of its owner's roles, some
 * projects, read-only, client addresses) and how that becomes the limits a request is
 * judged by. Limits only ever take access away: the owner's live roles still apply.
 */

/** api_tokens.limits as stored; each part absent when it does not narrow. */
interface StoredLimits {
  roles?: Role[]
  /** Ids judge (a project deleted and made again under the name is not the same); names show. */
  projects?: { id: string; name: string }[]
  readOnly?: true
  allowFrom?: string[]
}

/** What a client asks for at creation; every part optional. */
export interface TokenLimitsInput {
  roles?: readonly string[] | undefined
  projects?: readonly string[] | undefined
  readOnly?: boolean | undefined
  allowFrom?: readonly string[] | undefined
}

/**
 * The limits as one word for the audit log, e.g.
 * `roles:ROLE_MANAGE_PROXIES;projects:shop+billing;readOnly;allowFrom:10.0.0.0/8`;
 * undefined for a token as wide as its owner.
 */
export function limitsSummary(column: string | null): string | undefined {
  const limits = parse(column)
  if (limits === null) return undefined
  const parts: string[] = []
  if (limits.roles) parts.push(`roles:${limits.roles.join('+')}`)
  if (limits.projects) parts.push(`projects:${limits.projects.map((p) => p.name).join('+')}`)
  if (limits.readOnly) parts.push('readOnly')
  if (limits.allowFrom) parts.push(`allowFrom:${limits.allowFrom.join('+')}`)
  return parts.join(';')
}

/** The limits as the token list shows them: null = not narrowed there. */
export interface TokenLimitsView {
  roles: Role[] | null
  projects: string[] | null
  readOnly: boolean
  allowFrom: string[] | null
}

const parse = (column: string | null): StoredLimits | null =>
  column === null ? null : (JSON.parse(column) as StoredLimits)

export function limitsView(column: string | null): TokenLimitsView {
  const stored = parse(column)
  return {
    roles: stored?.roles ?? null,
    projects: stored?.projects?.map((p) => p.name) ?? null,
    readOnly: stored?.readOnly === true,
    allowFrom: stored?.allowFrom ?? null,
  }
}

/** The roles a token carries: those it was narrowed to, else all its owner holds now. */
export async function tokenRoles(
  db: Queryable,
  ownerId: string,
  column: string | null,
): Promise<Role[]> {
  return parse(column)?.roles ?? (await rolesOf(db, ownerId))
}

type Problem = { field: string; message: string }

function checkRoles(wanted: readonly string[], held: readonly Role[], problems: Problem[]): Role[] {
  const admin = held.includes('ROLE_ADMIN')
  const roles = new Set<Role>()
  wanted.forEach((role, index) => {
    if (!isRole(role)) {
      problems.push({ field: `roles.${index}`, message: `'${role}' is not a role` })
    } else if (!admin && !held.includes(role)) {
      problems.push({
        field: `roles.${index}`,
        message: `'${role}' is not one of the owner's roles (${held.join(', ') || 'none'}); a token can only be narrower than its owner`,
      })
    } else roles.add(role)
  })
  return ROLES.filter((r) => roles.has(r))
}

/** By name, else by id; a project the owner cannot see reads the same as one that does not exist. */
async function checkProjects(
  db: Queryable,
  ownerId: string,
  admin: boolean,
  wanted: readonly string[],
  problems: Problem[],
): Promise<{ id: string; name: string }[]> {
  if (wanted.length === 0) {
    problems.push({
      field: 'projects',
      message: 'must name at least one project; leave it out for every project',
    })
  }
  const found = new Map<string, string>()
  for (const [index, ref] of wanted.entries()) {
    const byId = await db
      .selectFrom('projects')
      .select('name')
      .where('id', '=', ref)
      .executeTakeFirst()
    const seen = await projectSeenBy(db, byId?.name ?? ref, ownerId)
    if (seen && (seen.member || admin)) found.set(seen.project.id, seen.project.name)
    else
      problems.push({
        field: `projects.${index}`,
        message: `'${ref}' is not a project the owner is a member of`,
      })
  }
  return [...found].map(([id, name]) => ({ id, name }))
}

function checkAddresses(wanted: readonly string[], problems: Problem[]): string[] {
  if (wanted.length === 0) {
    problems.push({
      field: 'allowFrom',
      message: 'must name at least one address or CIDR range; leave it out for any address',
    })
  }
  const result = canonicalList(wanted, 'allowFrom')
  if ('problems' in result) {
    problems.push(...result.problems)
    return []
  }
  return result.entries
}

/**
 * The limits a client asked for, checked against the owner as they are now, as the
 * column to store (null: not narrowed). Every bad part is named in one 400.
 */
export async function checkTokenLimits(
  db: Queryable,
  ownerId: string,
  input: TokenLimitsInput | undefined,
): Promise<string | null> {
  if (!input) return null
  const problems: Problem[] = []
  const stored: StoredLimits = {}
  const held = input.roles || input.projects ? await rolesOf(db, ownerId) : []
  if (input.roles) stored.roles = checkRoles(input.roles, held, problems)
  if (input.projects) {
    const admin = held.includes('ROLE_ADMIN')
    stored.projects = await checkProjects(db, ownerId, admin, input.projects, problems)
  }
  if (input.readOnly === true) stored.readOnly = true
  if (input.allowFrom) stored.allowFrom = checkAddresses(input.allowFrom, problems)
  if (problems.length > 0) throw errors.validationFailed(problems)
  return Object.keys(stored).length === 0 ? null : JSON.stringify(stored)
}

type Address = ipaddr.IPv4 | ipaddr.IPv6

function parseRange(entry: string): [Address, number] {
  if (entry.includes('/')) return ipaddr.parseCIDR(entry)
  const address = ipaddr.parse(entry)
  return [address, address.kind() === 'ipv4' ? 32 : 128]
}

/**
 * Whether an address is in the allowlist. IPv4 seen as IPv6 (::ffff:10.0.0.1, as a
 * dual-stack socket reports it) is compared as the IPv4 address it is. The last address
 * let in is remembered: one string comparison per request from a steady client.
 */
function addressMatcher(allowFrom: readonly string[]): (address: string) => boolean {
  const ranges = allowFrom.map(parseRange).map(([a, bits]) => {
    const plain = a.kind() === 'ipv6' && (a as ipaddr.IPv6).isIPv4MappedAddress()
    return plain
      ? ([(a as ipaddr.IPv6).toIPv4Address(), Math.max(0, bits - 96)] as [Address, number])
      : ([a, bits] as [Address, number])
  })
  let lastAllowed: string | undefined
  return (text) => {
    if (text === lastAllowed) return true
    if (!ipaddr.isValid(text)) return false
    const address = ipaddr.process(text)
    const ok = ranges.some(
      ([range, bits]) => range.kind() === address.kind() && address.match(range, bits),
    )
    if (ok) lastAllowed = text
    return ok
  }
}

/** The limits a request is judged by: worked out once per token row, never per request. */
export function effectiveLimits(column: string | null): TokenLimits | undefined {
  const stored = parse(column)
  if (!stored) return undefined
  return {
    roles: stored.roles ?? null,
    projectIds: stored.projects ? new Set(stored.projects.map((p) => p.id)) : null,
    projectNames: stored.projects?.map((p) => p.name) ?? [],
    readOnly: stored.readOnly === true,
    allowFrom: stored.allowFrom ?? null,
    allows: stored.allowFrom ? addressMatcher(stored.allowFrom) : null,
  }
}
