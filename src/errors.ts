/**
 * The one error catalogue. Every error apiops answers is built here, so the set of
 * codes a client can see is this table and nothing else (a test holds docs/api.md's
 * error table to it). Descriptions say what went wrong and what to do about it.
 */
export const ERROR_STATUS = {
  bad_request: 400,
  validation_failed: 400,
  invalid_parameter: 400,
  invalid_request: 400,
  unsupported_grant_type: 400,
  unauthorized_client: 401,
  invalid_token: 401,
  token_expired: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  duplicate_name: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limit_exceeded: 429,
  internal_error: 500,
  not_implemented: 501,
  service_unavailable: 503,
} as const

export type ErrorCode = keyof typeof ERROR_STATUS

export interface ValidationIssue {
  field: string
  message: string
}

export class ApiError extends Error {
  readonly status: number
  constructor(
    readonly code: ErrorCode,
    readonly description: string,
    readonly extra: {
      validationErrors?: ValidationIssue[]
      retryAfter?: number
      headers?: Record<string, string>
    } = {},
  ) {
    super(description)
    this.name = 'ApiError'
    this.status = ERROR_STATUS[code]
  }

  toJSON(): Record<string, unknown> {
    const body: Record<string, unknown> = { error: this.code, error_description: this.description }
    if (this.extra.validationErrors) body.validation_errors = this.extra.validationErrors
    if (this.extra.retryAfter !== undefined) body.retry_after = this.extra.retryAfter
    return body
  }
}

const unfetchable = (what: string) =>
  `could not be fetched from that URL. The server fetches ${what} only from public addresses (or internal hosts its operator allows), follows no redirect, and needs a 2xx answer within its time limit: check the URL, or ask the operator to allow an internal host.`

/** RFC 6750 §3: every Bearer failure names the realm and the error. */
const BEARER_CHALLENGE = 'Bearer realm="apiops", error="invalid_token"'

function bearerFailure(code: 'invalid_token' | 'token_expired', description: string): ApiError {
  return new ApiError(code, description, { headers: { 'www-authenticate': BEARER_CHALLENGE } })
}

function validationFailed(issues: ValidationIssue[]): ApiError {
  return new ApiError(
    'validation_failed',
    `Validation failed: ${issues.map((i) => `${i.field} ${i.message}`).join('; ')}`,
    { validationErrors: issues },
  )
}

/**
 * Named failures. Each Bearer message maps to one troubleshooting step of the seed, so
 * a caller reading error_description knows which step to take.
 */
export const errors = {
  // --- Bearer authentication
  authorizationMissing: () =>
    bearerFailure(
      'invalid_token',
      'The Authorization header is missing. Send "Authorization: Bearer <token>" with every request.',
    ),
  tokenInWrongPlace: (where: string) =>
    bearerFailure(
      'invalid_token',
      `Tokens are never read from ${where}, where they leak into logs and history. Send "Authorization: Bearer <token>" instead.`,
    ),
  authorizationTooLong: (max: number) =>
    bearerFailure(
      'invalid_token',
      `The Authorization header is longer than ${max} characters, so it cannot hold an apiops token. Verify the token was copied correctly.`,
    ),
  schemeNotBearer: () =>
    bearerFailure(
      'invalid_token',
      'The Authorization header does not use the Bearer scheme. Use the "Bearer" prefix followed by one space: "Authorization: Bearer <token>".',
    ),
  tokenHasSpaces: () =>
    bearerFailure(
      'invalid_token',
      'The token contains extra spaces. Send exactly "Bearer", one space, then the token, with nothing after it.',
    ),
  tokenMalformed: () =>
    bearerFailure(
      'invalid_token',
      'The token is malformed: an apiops token is three base64url parts separated by dots. Check for typos and verify the token was copied completely.',
    ),
  tokenSignatureInvalid: () =>
    bearerFailure(
      'invalid_token',
      'The token signature is invalid or its signing key is unknown to this server. Verify the token was copied completely, or create a new token.',
    ),
  tokenClaimsInvalid: (what: string) =>
    bearerFailure('invalid_token', `The token was not issued for this server (${what}).`),
  tokenNotYetValid: () =>
    bearerFailure('invalid_token', 'The token is not valid yet (its nbf claim is in the future).'),
  tokenUnknown: () =>
    bearerFailure(
      'invalid_token',
      'The token is not known to this server (it may have been deleted after expiring). Create a new token.',
    ),
  tokenRevoked: () =>
    bearerFailure(
      'invalid_token',
      'The token has been revoked and can no longer be used. Create a new token.',
    ),
  tokenExpired: (expiredAt: Date) =>
    bearerFailure(
      'token_expired',
      `The token expired at ${expiredAt.toISOString()}. Create a new token.`,
    ),
  ownerDisabled: () =>
    bearerFailure(
      'invalid_token',
      "The token's owner account is disabled, so none of its tokens are accepted. Ask an administrator to enable the account.",
    ),

  // --- Console sessions
  sessionInvalid: () =>
    new ApiError('invalid_token', 'Your console session has ended or is not valid. Log in again.'),
  csrfMissing: () =>
    new ApiError(
      'forbidden',
      'This request changes state with a console session but lacks its X-CSRF-Token header (the csrfToken from GET /apiops/session/). Nothing was changed.',
    ),
  csrfWrong: () =>
    new ApiError(
      'forbidden',
      "The X-CSRF-Token header does not match this session's token (get it again from GET /apiops/session/). Nothing was changed.",
    ),
  crossOrigin: () =>
    new ApiError(
      'forbidden',
      'This request comes from another origin; a console session only accepts changes from its own pages. Nothing was changed.',
    ),
  crossOriginLogin: () =>
    new ApiError(
      'forbidden',
      "This login comes from another site's page; the console accepts logins only from its own login page. Nobody was logged in.",
    ),
  notASession: () =>
    new ApiError(
      'forbidden',
      'This endpoint describes a console session; this request used a token instead.',
    ),

  // --- What a token may not do: anything that would outlive or multiply it
  tokenCannotCreateTokens: () =>
    new ApiError(
      'forbidden',
      'A token cannot create tokens. Create personal API access tokens in the Management Console (My Profile), or with POST /apiops/auth/token and your username and password.',
    ),
  tokenCannotRotateOthers: () =>
    new ApiError(
      'forbidden',
      'A token can rotate only itself: send this request with the token being rotated. A token cannot replace your other tokens, or a short-lived token could turn into a never-expiring one. To replace another token, sign in to the Management Console, open My Profile > Personal API Access Tokens, create a new token and revoke the old one. Revoking your other tokens with a token stays allowed.',
    ),
  tokenCannotChangePassword: () =>
    new ApiError(
      'forbidden',
      "A token cannot change its own user's password: with the new password it could mint new tokens and outlive itself. Change your password in the Management Console (My Profile > Change password), signed in with your current password.",
    ),
  currentPasswordWrong: () =>
    validationFailed([
      {
        field: 'currentPassword',
        message:
          'is not your current password; nothing was changed (wrong attempts count as failed logins)',
      },
    ]),

  // --- Token endpoint (messages fixed by the seed)
  badCredentials: () => new ApiError('unauthorized_client', 'Bad credentials'),
  unsupportedGrantType: () =>
    new ApiError('unsupported_grant_type', 'GrantType value must be client_credentials!'),

  // --- Permissions and lookups
  missingRole: (role: string) =>
    new ApiError(
      'forbidden',
      `This action requires the ${role} role, which your user does not have.`,
    ),
  forbidden: (description: string) => new ApiError('forbidden', description),
  tokenLacksRole: (role: string, carried: readonly string[]) =>
    new ApiError(
      'forbidden',
      `This action requires the ${role} role, which this token does not carry: it was created with ${carried.length > 0 ? carried.join(', ') : 'no role'} only.`,
    ),
  tokenReadOnly: () =>
    new ApiError(
      'forbidden',
      'This token is read-only: it may only GET and HEAD. Use a token created without readOnly for changes.',
    ),
  tokenLimitedToProjects: (projects: readonly string[]) =>
    new ApiError(
      'forbidden',
      `This token is limited to other projects (${projects.join(', ')}); it cannot act in this one.`,
    ),
  tokenAddressNotAllowed: (address: string, allowFrom: readonly string[]) =>
    bearerFailure(
      'invalid_token',
      `This token may be used only from ${allowFrom.join(', ')} (its allowFrom rule); this call came from ${address}.`,
    ),
  notFound: (what: string) => new ApiError('not_found', `${what} was not found.`),
  routeNotFound: (method: string, url: string) =>
    new ApiError(
      'not_found',
      `No route ${method} ${url}. See /apiops/openapi for the available routes.`,
    ),
  nothingToReveal: (what: string, type: string) =>
    new ApiError(
      'not_found',
      `${what} is a ${type} connection, which keeps no values that can be revealed: only a webhook's header and URL query values can be. Passwords are never answered.`,
    ),
  duplicateName: (what: string) => new ApiError('duplicate_name', `${what} already exists.`),
  conflict: (description: string) => new ApiError('conflict', description),

  // --- Request shape
  malformedUrl: () =>
    new ApiError(
      'bad_request',
      'The URL is malformed: every % must start a percent-encoded UTF-8 byte (%XX). Encode path segments with encodeURIComponent.',
    ),
  pathParameterTooLong: (max: number) =>
    new ApiError(
      'invalid_parameter',
      `A path parameter is longer than ${max} characters; no name here is that long.`,
    ),
  invalidRequest: (description: string) => new ApiError('invalid_request', description),
  invalidParameter: (description: string) => new ApiError('invalid_parameter', description),
  badRequest: (description: string) => new ApiError('bad_request', description),
  validationFailed,
  payloadTooLarge: (limit: number) =>
    new ApiError('payload_too_large', `The request body is larger than the ${limit}-byte limit.`),
  unsupportedMediaType: (contentType: string, expected: string) =>
    new ApiError(
      'unsupported_media_type',
      `Content-Type "${contentType}" is not supported here; send ${expected}.`,
    ),

  // --- Importing specs
  /**
   * Every way fetching a spec can fail past the URL's syntax (a refused address, a
   * connection or TLS error, a status, a redirect, a timeout) answers exactly this, so
   * the answers cannot be used to map what the server can reach.
   */
  specUnfetchable: () => errors.urlUnfetchable('specUrl', 'specs'),
  /** The one answer to every failed fetch of a caller's URL (what: "specs", "JWK sets"). */
  urlUnfetchable: (field: string, what: string) => {
    const message = unfetchable(what)
    return new ApiError('validation_failed', `Validation failed: ${field} ${message}`, {
      validationErrors: [{ field, message }],
    })
  },
  specImportsBusy: () =>
    new ApiError(
      'service_unavailable',
      'Too many specs are being read at once; retry in a few seconds.',
      { headers: { 'retry-after': '5' } },
    ),

  // --- Brute force and abuse
  /** 429 with retry_after in the body and a Retry-After header, in whole seconds (>= 1). */
  rateLimited: (retryAfter: number, reason = 'Too many requests') => {
    const seconds = Math.max(1, Math.ceil(retryAfter))
    return new ApiError(
      'rate_limit_exceeded',
      `${reason}. Retry after ${seconds} second${seconds === 1 ? '' : 's'}.`,
      { retryAfter: seconds },
    )
  },

  /** More password checks at once than the thread pool runs and its queue holds. */
  passwordChecksBusy: () =>
    new ApiError(
      'service_unavailable',
      'Too many logins are being checked at once; retry in a second.',
      { headers: { 'retry-after': '1' } },
    ),

  // --- Server side
  internal: () =>
    new ApiError(
      'internal_error',
      'An unexpected error occurred. It has been logged; please try again later.',
    ),
  /**
   * One member of a group could not be (un)deployed, so the whole group change was rolled
   * back; the cause is logged, never answered (it may be SQL).
   */
  groupMemberFailed: (what: string, cause: unknown) =>
    Object.assign(
      new ApiError(
        'internal_error',
        `${what} failed, so the whole group change was rolled back: no member and no group deployment changed. The cause has been logged; please try again later.`,
      ),
      { cause },
    ),
  /** A documented route whose groundwork is not in this build yet; says what is missing. */
  notImplemented: (description: string) => new ApiError('not_implemented', description),
  serviceUnavailable: (what: string) =>
    new ApiError('service_unavailable', `${what} is unavailable right now; please retry shortly.`, {
      headers: { 'retry-after': '5' },
    }),
} as const
