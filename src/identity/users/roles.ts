import { Type } from 'typebox'

/** The roles the seed names. A token carries none of them: each request reads the owner's. */
export const ROLES = [
  'ROLE_MANAGE_PROXIES',
  'ROLE_DEPLOY_UNDEPLOY_PROXIES',
  'ROLE_MANAGE_PROXY_GROUPS',
  'ROLE_API_SECURITY',
  'ROLE_ADMIN',
  /** Not the seed's: lets a resource server (a gateway) ask whether a token is active (RFC 7662). */
  'ROLE_TOKEN_INTROSPECTION',
] as const

export type Role = (typeof ROLES)[number]

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value)
}

/** The role list as a JSON schema enum (one schema, so OpenAPI lists the roles once). */
export const RoleSchema = Type.Unsafe<Role>({ type: 'string', enum: [...ROLES] })
