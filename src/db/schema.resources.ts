/*
 * Row types of the tables added for the documented API's resources (endpoints, spec files, IP
 * groups, credential access), split from schema.ts to keep each file short; the same
 * portability rules apply (see there).
 */

/**
 * A proxy's endpoints (0014): from its spec (origin 'spec') or made by hand ('manual'),
 * unique per proxy by method and name, listed by position.
 */
export interface ProxyEndpointsTable {
  id: string
  proxy_id: string
  /** GET, POST, PUT, DELETE, PATCH, OPTIONS, HEAD, TRACE or ALL */
  http_method: string
  /** The endpoint's path (its documented name) */
  name: string
  description: string
  backend_resource_url: string
  backend_http_method: string
  /** 1 or 0 (portable boolean) */
  active: number
  /** spec | manual */
  origin: string
  operation_id: string | null
  summary: string | null
  /** SOAP operations only: the SOAPAction of their binding */
  soap_action: string | null
  /** JSON: the documented CacheSettings object; null when never set */
  cache_settings: string | null
  /** JSON: the documented WSA settings object; null when never set */
  wsa_settings: string | null
  position: number
  created_at: string
  updated_at: string
}

/** A credential's grant to call one API proxy or one proxy group (exactly one is set). */
export interface CredentialAccessTable {
  id: string
  credential_id: string
  proxy_id: string | null
  group_id: string | null
  granted_at: string
  granted_by: string
}

export interface IpGroupsTable {
  id: string
  project_id: string
  name: string
  description: string
  created_at: string
  updated_at: string
}

export interface IpGroupEntriesTable {
  group_id: string
  /** An IPv4/IPv6 address or CIDR range in canonical text (see src/ip-entries.ts). */
  entry: string
  position: number
}

/** The MaxMind database gateways locate clients with (0022): one row, id 'current'. */
export interface GeolocationDatabaseTable {
  id: string
  file_name: string
  content: Buffer
  size: number
  sha256: string
  database_type: string
  ip_version: number
  build_epoch: string
  uploaded_at: string
  uploaded_by: string
}

/** The spec document a proxy was made from (0015), kept byte for byte for export. */
export interface ProxySpecFilesTable {
  proxy_id: string
  file_name: string
  content_type: string
  /** OPEN_API | SWAGGER | WSDL | ZIP (a WSDL with its imports) */
  kind: string
  /** Hex SHA-256 of content */
  sha256: string
  size: number
  content: Uint8Array
  stored_at: string
}

/**
 * A proxy's policies (0019): in one pipeline of the whole proxy (endpoint_id null) or of
 * one endpoint, ordered by position there; names unique per proxy ignoring case.
 */
export interface ProxyPoliciesTable {
  id: string
  proxy_id: string
  endpoint_id: string | null
  name: string
  /** The name lower-cased: what uniqueness and look-ups use. */
  name_key: string
  /** REQUEST, RESPONSE or ERROR */
  pipeline: string
  /** The documented policy type, e.g. policy-black-ip */
  type: string
  position: number
  /** JSON: the policy object as sent (name excluded), secrets sealed */
  policy: string
  created_at: string
  updated_at: string
}

/** A rate limit control list (0025): documented settings and condition as JSON text. */
export interface RlclsTable {
  id: string
  project_id: string
  name: string
  description: string
  settings: string
  condition: string | null
  created_at: string
  updated_at: string
}

export interface RlclCredentialsTable {
  rlcl_id: string
  credential_id: string
  position: number
}

export interface RlclEndpointsTable {
  rlcl_id: string
  proxy_id: string
  /** null: every endpoint of the proxy (endpoint_key 'ALL') */
  endpoint_id: string | null
  endpoint_key: string
  /** JSON: the documented endpoint rate limit, without the names that locate it */
  limits: string
  position: number
}

/** JWKs (0023): the public members as JSON, the private ones sealed (src/sealed.ts). */
export interface JwksTable {
  id: string
  project_id: string
  name: string
  description: string
  /** URL, COPY_PASTE, CERTIFICATE, PUBLIC_KEY, PRIVATE_KEY, KEYSTORE or GENERATE */
  source_type: string
  source_id: string | null
  source_url: string | null
  /** RSA, EC, OCT or OKP */
  type: string
  kid: string | null
  use_type: string | null
  algorithm: string | null
  public_jwk: string
  /** AES-256-GCM envelope of the private members' JSON, or null for a public key */
  private_jwk: string | null
  not_before: string | null
  expires_at: string | null
  created_at: string
  updated_at: string
  /** What a JWK made from a stored source was derived with (0028), as JSON; null otherwise */
  source_inputs: string | null
}

/**
 * Keys (0024): `environments` is JSON, one entry per environment:
 * { environmentId, publicKey (SPKI PEM) | null, privateKey (sealed PKCS#8 PEM) | null }.
 */
export interface CryptoKeysTable {
  id: string
  project_id: string
  name: string
  description: string
  /** RSA or EC */
  key_type: string
  environments: string
  created_at: string
  updated_at: string
}

/**
 * Keystores (0024): `environments` is JSON, one entry per environment:
 * { environmentId, type, file (sealed base64), password (sealed), entries (aliases...) }.
 */
export interface KeystoresTable {
  id: string
  project_id: string
  name: string
  description: string
  environments: string
  created_at: string
  updated_at: string
}

/** Per environment, the version of what its gateways serve (0026); moved on by every (un)deploy. */
export interface GatewayConfigVersionsTable {
  environment_id: string
  version: number
  changed_at: string
}

/** A gateway node that announced itself (0026), kept fresh by its heartbeat. */
export interface GatewayNodesTable {
  id: string
  environment_id: string
  address: string
  started_at: string
  last_seen_at: string
  config_version: number
}
export interface ProxyGroupDeploymentsTable {
  group_id: string
  environment_id: string
  /** The group revision deployed; behind the group's means redeploy required. */
  revision: number
  deployed_at: string
  deployed_by: string
  /** The group and its members as deployed (0031), JSON; null for older rows. */
  snapshot: string | null
}
export type { TrafficTable } from './schema.traffic.ts'

/**
 * api_tokens.limits (0029): JSON of what narrows a token below its owner (identity/tokens/
 * token-limits.ts reads and writes it); null = everything the owner has.
 */
export interface TokenLimitsColumn {
  limits: string | null
}
