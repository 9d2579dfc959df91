import type { ProjectRow } from '../../db/schema.ts'
import type { Queryable } from '../../db/types.ts'
import { type ApiError, errors } from '../../errors.ts'
import { projectSeenBy } from '../users/memberships.repository.ts'
import type { Role } from '../users/roles.ts'

/** Who is calling, as judged on this request (never frozen into the token). */
export interface Principal {
  readonly userId: string
  readonly username: string
  readonly roles: ReadonlySet<Role>
  /** The token this request presented; undefined for a console session. */
  readonly tokenId: string | undefined
  readonly via: 'token' | 'session'
  /** What a narrowed token takes away (roles already intersected above); absent: nothing. */
  readonly limits?: TokenLimits | undefined
}

/** A narrowed token's limits, worked out once per token row (tokens/token-limits.ts). */
export interface TokenLimits {
  /** The roles it was created with; `Principal.roles` holds those its owner still has. */
  readonly roles: readonly Role[] | null
  readonly projectIds: ReadonlySet<string> | null
  readonly projectNames: readonly string[]
  readonly readOnly: boolean
  readonly allowFrom: readonly string[] | null
  readonly allows: ((address: string) => boolean) | null
}

/** What one action needs. ROLE_ADMIN satisfies every role and every membership. */
export interface Rule {
  /** Every one of these roles (a 403 names the first one missing). */
  readonly roles: readonly Role[]
  /** Done inside a project: the caller must be a member of it. */
  readonly inProject: boolean
  /**
   * Only a console session, opened with the password, may do it: what would let a token
   * outlive or multiply itself. The refusal a token gets instead (403).
   */
  readonly sessionOnly?: () => ApiError
}

const inProject = (...roles: Role[]) => ({ roles, inProject: true as const })
const consoleOnly = (refusal: () => ApiError) => ({
  roles: [] as Role[],
  inProject: false as const,
  sessionOnly: refusal,
})

/**
 * THE authorization policy: may this principal do this action (in this project)? Routes
 * declare their action (`config.action`, checked before validation); services call
 * `authorizeInProject` for the membership; the OpenAPI document and the permission
 * matrix test read this same table.
 */
export const POLICY = {
  'project.read': inProject(),
  'proxy.write': inProject('ROLE_MANAGE_PROXIES'),
  /** A proxy's endpoints: the docs require ROLE_MANAGE_PROXIES even to read them. */
  'endpoint.read': inProject('ROLE_MANAGE_PROXIES'),
  /** A proxy's policies: the docs require ROLE_MANAGE_PROXIES for every operation. */
  'policy.read': inProject('ROLE_MANAGE_PROXIES'),
  'proxy.delete': inProject('ROLE_MANAGE_PROXIES', 'ROLE_DEPLOY_UNDEPLOY_PROXIES'),
  'proxy.deploy': inProject('ROLE_MANAGE_PROXIES', 'ROLE_DEPLOY_UNDEPLOY_PROXIES'),
  /** Groups: the docs require ROLE_MANAGE_PROXY_GROUPS even to read them. */
  'group.read': inProject('ROLE_MANAGE_PROXY_GROUPS'),
  'group.write': inProject('ROLE_MANAGE_PROXY_GROUPS'),
  'group.members': inProject('ROLE_MANAGE_PROXY_GROUPS', 'ROLE_MANAGE_PROXIES'),
  /**
   * Deploying a group deploys its proxies, so it needs what deploying each of them needs
   * (both proxy roles) besides the group role the docs name: a group is no way around them.
   */
  'group.deploy': inProject(
    'ROLE_MANAGE_PROXY_GROUPS',
    'ROLE_MANAGE_PROXIES',
    'ROLE_DEPLOY_UNDEPLOY_PROXIES',
  ),
  /** IP groups: the docs require ROLE_MANAGE_PROXIES for every operation, reads included. */
  'ipGroup.read': inProject('ROLE_MANAGE_PROXIES'),
  'ipGroup.write': inProject('ROLE_MANAGE_PROXIES'),
  /** RLCLs: the docs require ROLE_MANAGE_PROXIES for every operation, reads included. */
  'rlcl.read': inProject('ROLE_MANAGE_PROXIES'),
  'rlcl.write': inProject('ROLE_MANAGE_PROXIES'),
  'security.write': inProject('ROLE_API_SECURITY'),
  /** A read, but of stored secrets (a webhook's header and query values): audited. */
  'security.reveal': inProject('ROLE_API_SECURITY'),
  /**
   * Environment variables, as the Apinizer docs have it: ROLE_API_SECURITY even to read
   * (values may be secrets), and every write also deploys, so it needs
   * ROLE_DEPLOY_UNDEPLOY_PROXIES too.
   */
  'variable.read': inProject('ROLE_API_SECURITY'),
  'variable.write': inProject('ROLE_API_SECURITY', 'ROLE_DEPLOY_UNDEPLOY_PROXIES'),
  /**
   * Keys and keystores, as documented: ROLE_API_SECURITY even to read them, and a write
   * deploys them, so it also needs ROLE_DEPLOY_UNDEPLOY_PROXIES.
   */
  'keyMaterial.read': inProject('ROLE_API_SECURITY'),
  'keyMaterial.write': inProject('ROLE_API_SECURITY', 'ROLE_DEPLOY_UNDEPLOY_PROXIES'),
  administer: { roles: ['ROLE_ADMIN'], inProject: false },
  /** RFC 7662: whether a token is active and whose; for resource servers, not for people. */
  'token.introspect': { roles: ['ROLE_TOKEN_INTROSPECTION'], inProject: false },
  'token.create': consoleOnly(errors.tokenCannotCreateTokens),
  /** A token may rotate itself only: another token could outlive it. */
  'token.rotateOther': consoleOnly(errors.tokenCannotRotateOthers),
  'password.changeOwn': consoleOnly(errors.tokenCannotChangePassword),
  /** The console's own session (read it back, log out): meaningless for a token. */
  'session.own': consoleOnly(errors.notASession),
} as const satisfies Record<string, Rule>

export type Action = keyof typeof POLICY
export type ProjectAction = {
  [A in Action]: (typeof POLICY)[A]['inProject'] extends true ? A : never
}[Action]

export function isAdmin(principal: Principal): boolean {
  return principal.roles.has('ROLE_ADMIN')
}

/** ROLE_ADMIN is "full administrative access": it satisfies every role check. */
export function hasRole(principal: Principal, role: Role): boolean {
  return isAdmin(principal) || principal.roles.has(role)
}

/**
 * The checks that need no database: the session, then the roles (a 403 naming the first
 * role the action needs and the caller lacks). Membership is `authorizeInProject`'s.
 */
export function authorize(principal: Principal, action: Action): void {
  const rule: Rule = POLICY[action]
  if (rule.sessionOnly && principal.via !== 'session') throw rule.sessionOnly()
  for (const role of rule.roles) if (!hasRole(principal, role)) throw missingRole(principal, role)
}

/** Names the token when the owner has the role and the token was made without it. */
function missingRole(principal: Principal, role: Role): ApiError {
  const carried = principal.limits?.roles
  return carried && !carried.includes(role) && !carried.includes('ROLE_ADMIN')
    ? errors.tokenLacksRole(role, carried)
    : errors.missingRole(role)
}

const READ_METHODS = new Set(['GET', 'HEAD'])

/** A read-only token may GET and HEAD, nothing else (403 naming the rule). */
export function checkReadOnly(principal: Principal, method: string): void {
  if (principal.limits?.readOnly && !READ_METHODS.has(method)) throw errors.tokenReadOnly()
}

/** A token limited to some projects acts in those only, whatever the owner may elsewhere. */
function checkProjectLimit(principal: Principal, projectId: string | undefined): void {
  const only = principal.limits?.projectIds
  if (only && (projectId === undefined || !only.has(projectId))) {
    throw errors.tokenLimitedToProjects(principal.limits?.projectNames ?? [])
  }
}

/**
 * Every route with a {projectName}: a token limited to other projects is refused before
 * the route runs, whatever the route then checks (administrators' project routes too).
 * Costs a query only for such a token.
 */
export async function checkProjectParam(
  deps: { db: Queryable },
  principal: Principal,
  projectName: string,
): Promise<void> {
  if (!principal.limits?.projectIds) return
  const seen = await projectSeenBy(deps.db, projectName, principal.userId)
  checkProjectLimit(principal, seen?.project.id)
}

/**
 * `authorize`, then membership: answers the project. A project the caller is not a
 * member of is reported exactly like one that does not exist, so its existence is not
 * confirmed. Administrators are members of every project.
 */
export async function authorizeInProject(
  deps: { db: Queryable },
  principal: Principal,
  action: ProjectAction,
  projectName: string,
): Promise<ProjectRow> {
  authorize(principal, action)
  const seen = await projectSeenBy(deps.db, projectName, principal.userId)
  // Outside the token's projects is refused alike whether the project exists or not.
  checkProjectLimit(principal, seen?.project.id)
  if (seen && (seen.member || isAdmin(principal))) return seen.project
  throw errors.notFound(`Project '${projectName}'`)
}
