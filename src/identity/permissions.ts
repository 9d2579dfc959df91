import { errors } from '../errors.ts'
import type { Role } from './roles.ts'

/** Who is calling, as judged on this request (never frozen into the token). */
export interface Principal {
  readonly userId: string
  readonly username: string
  readonly roles: ReadonlySet<Role>
  /** The token this request presented; undefined for a console session. */
  readonly tokenId: string | undefined
  readonly via: 'token' | 'session'
}

/** ROLE_ADMIN is "full administrative access": it satisfies every role check. */
export function hasRole(principal: Principal, role: Role): boolean {
  return principal.roles.has('ROLE_ADMIN') || principal.roles.has(role)
}

export function requireRole(principal: Principal, ...roles: Role[]): void {
  for (const role of roles) if (!hasRole(principal, role)) throw errors.missingRole(role)
}

export function isAdmin(principal: Principal): boolean {
  return principal.roles.has('ROLE_ADMIN')
}
