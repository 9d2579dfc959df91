import { Type } from 'typebox'
import { FreeText, HttpUrl, matching } from '../../../../http/schemas.ts'
import { enumOf, HeaderName, HeaderValue, Secret, strict } from '../../settings/settings.fields.ts'
import type { PolicyIssue, PolicyTypeDefinition } from './definition.ts'
import {
  Flag,
  flag,
  has,
  isObject,
  list,
  maybe,
  need,
  optional,
  Text,
  TextMap,
} from './shared-b.ts'

const SIGNING_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'ES256',
  'ES384',
  'ES512',
  'PS256',
  'PS384',
  'PS512',
  'EdDSA',
] as const
const Url = HttpUrl()
const Scope = Type.String({
  minLength: 1,
  maxLength: 200,
  ...matching(
    '^[\\x21\\x23-\\x5B\\x5D-\\x7E]+$',
    'must be an OAuth scope: printable ASCII without spaces, quotes or backslashes',
  ),
})
const Seconds = (minimum: number) => optional(Type.Integer({ minimum, maximum: 604_800 }))

/**
 * The table names the role `roleName`; the page's own update example sends `role`.
 * Either is taken (one is required, see the check).
 */
const RoleMapping = Type.Object(
  {
    claimPath: Text(1000),
    claimValue: maybe(Text(1000)),
    roleName: optional(Text(200)),
    role: optional(Text(200)),
    required: Flag,
  },
  strict,
)
const HeaderMap = Type.Object(
  {},
  { additionalProperties: HeaderValue, propertyNames: HeaderName, maxProperties: 50 },
)

/** The provider and what the policy asks of it. */
const provider = {
  issuer: Url,
  authorizationEndpoint: Url,
  tokenEndpoint: Url,
  userInfoEndpoint: maybe(Url),
  jwksEndpoint: maybe(Url),
  introspectionEndpoint: maybe(Url),
  clientId: Text(500),
  clientSecret: maybe(Secret),
  redirectUri: Url,
  flowType: optional(
    enumOf(['AUTHORIZATION_CODE', 'IMPLICIT', 'HYBRID', 'OAUTH2_AUTHORIZATION_CODE']),
  ),
  enablePKCE: Flag,
  scopes: list(Scope, 50, 1),
  additionalAuthParams: optional(TextMap),
  authenticationMode: optional(enumOf(['EXTERNAL_ONLY', 'INTERNAL_ONLY', 'HYBRID'])),
  requireBothInHybrid: Flag,
}

/** How tokens are checked and who the user is. */
const validation = {
  validateIdToken: Flag,
  validateAccessToken: Flag,
  validateJwtLocally: Flag,
  validateJwtSignature: Flag,
  expectedJwtAuthSigningAlgs: optional(
    Type.Array(enumOf(SIGNING_ALGORITHMS), { maxItems: 10, uniqueItems: true }),
  ),
  callUserInfoEndpoint: Flag,
  tokenCacheTimeoutSeconds: Seconds(0),
  jwkCacheTimeoutSeconds: Seconds(0),
  usernameClaimPath: optional(Text(1000)),
  emailClaimPath: optional(Text(1000)),
  displayNameClaimPath: optional(Text(1000)),
  roleMappings: optional(list(RoleMapping)),
  validateIssuer: Flag,
  expectedIssuer: maybe(Text(1000)),
  validateAudience: Flag,
  expectedAudience: optional(list(Text(500))),
  maxClockSkewSeconds: Seconds(0),
  customClaimMappings: optional(TextMap),
}

/** Session, connection and error handling. */
const runtime = {
  sessionCookieName: optional(
    Type.String({
      minLength: 1,
      maxLength: 100,
      ...matching("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$", 'must be a cookie name (RFC 6265 token)'),
    }),
  ),
  sessionTimeoutMinutes: optional(Type.Integer({ minimum: 1, maximum: 525_600 })),
  enableStateValidation: Flag,
  enableNonceValidation: Flag,
  sessionCookieSecure: Flag,
  allowInsecureConnections: Flag,
  connectionTimeoutSeconds: Seconds(1),
  readTimeoutSeconds: Seconds(1),
  errorRedirectUrl: maybe(Url),
  errorMessageTemplate: maybe(FreeText(4000)),
  includeErrorDetails: Flag,
  customHeaders: optional(HeaderMap),
  userAgent: optional(HeaderValue),
  enableDebugLogging: Flag,
  disableUserinfoHeader: Flag,
  userinfoHeaderName: optional(HeaderName),
}

function oidcIssues(policy: Readonly<Record<string, unknown>>): PolicyIssue[] {
  const scopes = Array.isArray(policy.scopes) ? policy.scopes : []
  const oidc = policy.flowType !== 'OAUTH2_AUTHORIZATION_CODE'
  const mappings = Array.isArray(policy.roleMappings) ? policy.roleMappings : []
  return [
    ...(oidc && !scopes.includes('openid')
      ? [
          {
            field: 'policy.scopes',
            message: 'must include openid (every flow but OAUTH2_AUTHORIZATION_CODE)',
          },
        ]
      : []),
    ...need(
      policy,
      'policy',
      'jwksEndpoint',
      flag(policy, 'validateJwtSignature', false),
      'validateJwtSignature is true',
    ),
    ...need(
      policy,
      'policy',
      'expectedAudience',
      flag(policy, 'validateAudience', false),
      'validateAudience is true',
    ),
    ...mappings.flatMap((mapping, index) =>
      isObject(mapping) && !has(mapping.roleName) && !has(mapping.role)
        ? [{ field: `policy.roleMappings.${index}.roleName`, message: 'is required (or role)' }]
        : [],
    ),
  ]
}

export const oidc: PolicyTypeDefinition = {
  type: 'policy-oidc',
  label: 'OpenID Connect',
  fields: { ...provider, ...validation, ...runtime },
  secrets: ['clientSecret'],
  check: oidcIssues,
}
