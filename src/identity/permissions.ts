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

/**
 * The role -> action table: what each write needs. Reads need only membership of the
 * project (checked by the resource), which administrators always have.
 */
export const PERMISSIONS = {
  'proxy.write': ['ROLE_MANAGE_PROXIES'],
  'proxy.delete': ['ROLE_MANAGE_PROXIES', 'ROLE_DEPLOY_UNDEPLOY_PROXIES'],
  'proxy.deploy': ['ROLE_MANAGE_PROXIES', 'ROLE_DEPLOY_UNDEPLOY_PROXIES'],
  'security.write': ['ROLE_API_SECURITY'],
  /** A read, but of stored secrets (a webhook's header and query values): audited. */
  'security.reveal': ['ROLE_API_SECURITY'],
  administer: ['ROLE_ADMIN'],
} as const satisfies Record<string, readonly Role[]>

export type Action = keyof typeof PERMISSIONS

/** ROLE_ADMIN is "full administrative access": it satisfies every role check. */
export function hasRole(principal: Principal, role: Role): boolean {
  return principal.roles.has('ROLE_ADMIN') || principal.roles.has(role)
}

export function requireRole(principal: Principal, ...roles: Role[]): void {
  for (const role of roles) if (!hasRole(principal, role)) throw errors.missingRole(role)
}

/** Throws 403 naming the first role the action needs and the caller lacks. */
export function authorize(principal: Principal, action: Action): void {
  requireRole(principal, ...PERMISSIONS[action])
}

export function isAdmin(principal: Principal): boolean {
  return principal.roles.has('ROLE_ADMIN')
}
