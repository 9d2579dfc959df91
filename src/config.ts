import { resolve } from 'node:path'
import { type OutboundAllowlist, parseAllowlist } from './outbound-address.ts'

/** How far below the event loop password checks run; argon2-threads.ts says what each means. */
export const VERIFY_PRIORITIES = ['idle', 'low', 'normal'] as const
export type VerifyPriority = (typeof VERIFY_PRIORITIES)[number]

/**
 * Every setting apiops has, read from the environment exactly once and validated up
 * front: a misconfigured node should refuse to start with the whole list of problems,
 * not fail on the first request that touches a bad value.
 */
export interface Config {
  readonly port: number
  readonly host: string
  readonly dataDir: string
  /** `postgres://...`, or undefined for the embedded SQLite file under dataDir. */
  readonly databaseUrl: string | undefined
  readonly redisUrl: string | undefined
  /** Prepended to every Redis key, so several deployments can share one Redis. */
  readonly redisPrefix: string
  /** Master secret (>= 32 bytes); undefined means "use or create the key file". */
  readonly secretKey: Buffer | undefined
  /** Former master secrets whose tokens must keep verifying during a rotation. */
  readonly previousSecretKeys: readonly Buffer[]
  readonly adminPassword: string | undefined
  /** Lifetime, in seconds, of tokens minted by POST /apiops/auth/token. */
  readonly apiTokenTtl: number
  readonly trustProxy: boolean | string | string[] | number
  readonly logLevel: string
  /** One `request completed` line per request at level info (APIOPS_ACCESS_LOG=off: none). */
  readonly accessLog: boolean
  /** Days an expired or revoked token row is kept (for the owner's list) before purge. */
  readonly tokenRetentionDays: number
  /** Days audit events are kept before the background job deletes them. */
  readonly auditRetentionDays: number
  /**
   * Repeated failures of one kind from one address are folded: the first
   * auditFoldFirst in a window of auditFoldWindowSeconds are recorded, the rest are
   * counted into one summary event. At most auditFoldMaxAddresses addresses are tracked
   * at once; beyond that, failures fold per kind across addresses.
   */
  readonly auditFoldWindowSeconds: number
  readonly auditFoldFirst: number
  readonly auditFoldMaxAddresses: number
  readonly issuer: string
  /** Console sessions end after this long without a request... */
  readonly sessionIdleMinutes: number
  /** ...and after this long in any case. */
  readonly sessionMaxHours: number
  /** Limits on downloading an OpenAPI/Swagger spec for a new proxy. */
  readonly specFetchTimeoutMs: number
  readonly specMaxBytes: number
  /** Internal networks and hosts specs may be fetched from; all else private is refused. */
  readonly specFetchAllowlist: OutboundAllowlist
  /** Private networks and hosts an SMTP relay or webhook may be on; all else private is refused. */
  readonly notificationAllowlist: OutboundAllowlist
  /** How long one email or webhook delivery may take. */
  readonly notificationTimeoutMs: number
  /** How often a node tries to take the reminder lease and send what is due. */
  readonly reminderIntervalSeconds: number
  /** Limits on parsing a spec (in a worker thread): wall time, heap, workers at once. */
  readonly specParseTimeoutMs: number
  readonly specParseMemoryMb: number
  readonly specParseConcurrency: number
  /** Failed logins per username before each further attempt must wait (progressively). */
  readonly loginMaxFailures: number
  /** The same per client address: higher, so one office behind NAT is not locked out. */
  readonly loginIpMaxFailures: number
  /** The longest a lockout grows to, in seconds. */
  readonly loginMaxLockoutSeconds: number
  /** Failures are forgotten after this long without one (counted from the lockout's end). */
  readonly loginFailureWindowSeconds: number
  /** Requests per minute per API token; 0 means no limit. */
  readonly tokenRateLimit: number
  /** libuv's thread pool size (UV_THREADPOOL_SIZE): password checks run at most this many at once. */
  readonly threadPoolSize: number
  /** How far below the event loop password checks run (argon2-threads.ts). */
  readonly passwordCheckPriority: VerifyPriority
  /** A separate, unauthenticated /metrics listener on this port; 0: none (docs/metrics.md). */
  readonly metricsPort: number
  readonly metricsHost: string
  /** GET /apiops/metrics on the public port: for ROLE_ADMIN ('admin') or not served ('off'). */
  readonly metricsPublic: 'admin' | 'off'
  /** Days a gateway's traffic records are kept before the background job deletes them. */
  readonly trafficRetentionDays: number
  /** The embedded gateway's port (`npm start`); 0 turns it off. */
  readonly gatewayPort: number
  /** The environment the embedded gateway serves (created on start when it is `development`). */
  readonly gatewayEnvironment: string
  /** The most a gateway holds of one body a proxy buffers (bufferRequest / bufferResponse). */
  readonly gatewayBufferMaxBytes: number
  /** How long a deploy's answer waits for live gateway nodes to apply it (ms); 0: no wait. */
  readonly deployConfirmMs: number
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`)
    this.name = 'ConfigError'
  }
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']
const MIN_SECRET_BYTES = 32

/** Accepts a secret as base64/base64url or hex; anything else is taken as raw UTF-8. */
export function decodeSecret(text: string): Buffer {
  const trimmed = text.trim()
  if (/^[0-9a-fA-F]+$/.test(trimmed) && trimmed.length % 2 === 0) return Buffer.from(trimmed, 'hex')
  if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed)) return Buffer.from(trimmed, 'base64')
  return Buffer.from(trimmed, 'utf8')
}

function integer(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: number,
  min: number,
  max: number,
  problems: string[],
): number {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!Number.isInteger(value) || value < min || value > max) {
    problems.push(`${name} must be a whole number from ${min} to ${max} (got "${raw}")`)
    return fallback
  }
  return value
}

function secret(name: string, raw: string, problems: string[]): Buffer | undefined {
  const key = decodeSecret(raw)
  if (key.length < MIN_SECRET_BYTES) {
    problems.push(
      `${name} is too short: it needs at least ${MIN_SECRET_BYTES} random bytes (e.g. \`openssl rand -base64 32\`)`,
    )
    return undefined
  }
  return key
}

function trustProxy(raw: string | undefined): Config['trustProxy'] {
  if (raw === undefined || raw === '' || raw === 'false') return false
  if (raw === 'true') return true
  if (/^\d+$/.test(raw)) return Number(raw)
  const list = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
  return list.length === 1 ? (list[0] as string) : list
}

/** The string settings, each checked; problems go to `problems` in the order of the docs. */
function stringSettings(env: NodeJS.ProcessEnv, problems: string[]) {
  const databaseUrl = env.DATABASE_URL || undefined
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    problems.push('DATABASE_URL must start with postgres:// or postgresql:// (unset it for SQLite)')
  }
  const redisUrl = env.REDIS_URL || undefined
  if (redisUrl && !/^rediss?:\/\//.test(redisUrl)) {
    problems.push('REDIS_URL must start with redis:// or rediss://')
  }
  const redisPrefix = env.APIOPS_REDIS_PREFIX ?? 'apiops:'
  if (!/^[A-Za-z0-9:._-]{0,64}$/.test(redisPrefix)) {
    problems.push('APIOPS_REDIS_PREFIX must be at most 64 letters, digits, ":", ".", "_" or "-"')
  }
  const logLevel = env.LOG_LEVEL || 'info'
  if (!LOG_LEVELS.includes(logLevel)) {
    problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')} (got "${logLevel}")`)
  }
  const accessLog = (env.APIOPS_ACCESS_LOG || 'on').toLowerCase()
  if (accessLog !== 'on' && accessLog !== 'off') {
    problems.push(`APIOPS_ACCESS_LOG must be on or off (got "${env.APIOPS_ACCESS_LOG}")`)
  }
  const adminPassword = env.APIOPS_ADMIN_PASSWORD || undefined
  if (adminPassword !== undefined && adminPassword.length < 8) {
    problems.push('APIOPS_ADMIN_PASSWORD must be at least 8 characters')
  }
  return { databaseUrl, redisUrl, redisPrefix, logLevel, accessLog, adminPassword }
}

function metricsSettings(env: NodeJS.ProcessEnv, problems: string[]) {
  const metricsPublic = (env.APIOPS_METRICS_PUBLIC || 'admin').toLowerCase()
  if (metricsPublic !== 'admin' && metricsPublic !== 'off') {
    problems.push(`APIOPS_METRICS_PUBLIC must be admin or off (got "${env.APIOPS_METRICS_PUBLIC}")`)
  }
  return {
    metricsPort: integer(env, 'APIOPS_METRICS_PORT', 0, 0, 65535, problems),
    // Loopback: the unauthenticated listener is reached only from this machine unless moved.
    metricsHost: env.APIOPS_METRICS_HOST || '127.0.0.1',
    metricsPublic: (metricsPublic === 'off' ? 'off' : 'admin') as Config['metricsPublic'],
    trafficRetentionDays: integer(env, 'APIOPS_TRAFFIC_RETENTION_DAYS', 30, 1, 3650, problems),
  }
}

function specLimits(
  env: NodeJS.ProcessEnv,
  problems: string[],
  specFetchAllowlist: Config['specFetchAllowlist'],
) {
  return {
    specFetchTimeoutMs: integer(env, 'APIOPS_SPEC_FETCH_TIMEOUT_MS', 5000, 100, 60_000, problems),
    // 25 MiB admits the largest public specs (GitHub's is 13 MB of JSON).
    specMaxBytes: integer(
      env,
      'APIOPS_SPEC_MAX_BYTES',
      25 * 1024 * 1024,
      1024,
      50 * 1024 * 1024,
      problems,
    ),
    specFetchAllowlist,
    specParseTimeoutMs: integer(
      env,
      'APIOPS_SPEC_PARSE_TIMEOUT_MS',
      20_000,
      100,
      600_000,
      problems,
    ),
    specParseMemoryMb: integer(env, 'APIOPS_SPEC_PARSE_MEMORY_MB', 512, 16, 8192, problems),
    specParseConcurrency: integer(env, 'APIOPS_SPEC_PARSE_CONCURRENCY', 2, 1, 64, problems),
  }
}

/** Where reminders and alerts may be delivered, how long one may take, how often rounds run. */
function notificationSettings(env: NodeJS.ProcessEnv, problems: string[]) {
  const allowlist = parseAllowlist(
    env.APIOPS_NOTIFICATION_ALLOWLIST ?? '',
    'APIOPS_NOTIFICATION_ALLOWLIST',
  )
  problems.push(...allowlist.problems)
  return {
    notificationAllowlist: allowlist.allowlist,
    notificationTimeoutMs: integer(
      env,
      'APIOPS_NOTIFICATION_TIMEOUT_MS',
      10_000,
      100,
      120_000,
      problems,
    ),
    reminderIntervalSeconds: integer(
      env,
      'APIOPS_REMINDER_INTERVAL_SECONDS',
      900,
      5,
      86_400,
      problems,
    ),
  }
}

function loginLimits(env: NodeJS.ProcessEnv, problems: string[]) {
  const priority = (env.APIOPS_PASSWORD_CHECK_PRIORITY || 'idle').toLowerCase()
  if (!VERIFY_PRIORITIES.includes(priority as VerifyPriority)) {
    problems.push(
      `APIOPS_PASSWORD_CHECK_PRIORITY must be one of ${VERIFY_PRIORITIES.join(', ')} (got "${env.APIOPS_PASSWORD_CHECK_PRIORITY}")`,
    )
  }
  return {
    passwordCheckPriority: (VERIFY_PRIORITIES.includes(priority as VerifyPriority)
      ? priority
      : 'idle') as VerifyPriority,
    loginMaxFailures: integer(env, 'APIOPS_LOGIN_MAX_FAILURES', 5, 1, 1000, problems),
    loginIpMaxFailures: integer(env, 'APIOPS_LOGIN_IP_MAX_FAILURES', 20, 1, 1_000_000, problems),
    loginMaxLockoutSeconds: integer(
      env,
      'APIOPS_LOGIN_MAX_LOCKOUT_SECONDS',
      900,
      1,
      86_400,
      problems,
    ),
    loginFailureWindowSeconds: integer(
      env,
      'APIOPS_LOGIN_FAILURE_WINDOW_SECONDS',
      900,
      1,
      86_400,
      problems,
    ),
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const problems: string[] = []
  const { databaseUrl, redisUrl, redisPrefix, logLevel, accessLog, adminPassword } = stringSettings(
    env,
    problems,
  )
  const secretKey = env.APIOPS_SECRET_KEY
    ? secret('APIOPS_SECRET_KEY', env.APIOPS_SECRET_KEY, problems)
    : undefined
  const previousSecretKeys = (env.APIOPS_PREVIOUS_SECRET_KEYS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .flatMap((raw) => secret('APIOPS_PREVIOUS_SECRET_KEYS', raw, problems) ?? [])
  const specAllowlist = parseAllowlist(
    env.APIOPS_SPEC_FETCH_ALLOWLIST ?? '',
    'APIOPS_SPEC_FETCH_ALLOWLIST',
  )
  problems.push(...specAllowlist.problems)

  const config: Config = {
    port: integer(env, 'PORT', 8080, 0, 65535, problems),
    host: env.HOST || '0.0.0.0',
    dataDir: resolve(env.APIOPS_DATA_DIR || './data'),
    databaseUrl,
    redisUrl,
    redisPrefix,
    secretKey,
    previousSecretKeys,
    adminPassword,
    apiTokenTtl: integer(env, 'APIOPS_API_TOKEN_TTL', 3600, 60, 31_536_000, problems),
    trustProxy: trustProxy(env.APIOPS_TRUST_PROXY),
    logLevel,
    accessLog: accessLog !== 'off',
    tokenRetentionDays: integer(env, 'APIOPS_TOKEN_RETENTION_DAYS', 30, 1, 3650, problems),
    auditRetentionDays: integer(env, 'APIOPS_AUDIT_RETENTION_DAYS', 90, 1, 36_500, problems),
    auditFoldWindowSeconds: integer(
      env,
      'APIOPS_AUDIT_FOLD_WINDOW_SECONDS',
      60,
      1,
      86_400,
      problems,
    ),
    auditFoldFirst: integer(env, 'APIOPS_AUDIT_FOLD_FIRST', 5, 0, 1_000_000, problems),
    auditFoldMaxAddresses: integer(
      env,
      'APIOPS_AUDIT_FOLD_MAX_ADDRESSES',
      10_000,
      1,
      1_000_000,
      problems,
    ),
    issuer: 'apiops',
    sessionIdleMinutes: integer(env, 'APIOPS_SESSION_IDLE_MINUTES', 30, 1, 1440, problems),
    sessionMaxHours: integer(env, 'APIOPS_SESSION_MAX_HOURS', 12, 1, 720, problems),
    ...specLimits(env, problems, specAllowlist.allowlist),
    ...loginLimits(env, problems),
    ...notificationSettings(env, problems),
    tokenRateLimit: integer(env, 'APIOPS_TOKEN_RATE_LIMIT', 0, 0, 1_000_000, problems),
    // libuv reads it at its first use of the pool and caps it at 1024; 4 is its default.
    threadPoolSize: integer(env, 'UV_THREADPOOL_SIZE', 4, 1, 1024, problems),
    ...metricsSettings(env, problems),
    gatewayPort: integer(env, 'APIOPS_GATEWAY_PORT', 8081, 0, 65535, problems),
    gatewayEnvironment: env.APIOPS_GATEWAY_ENVIRONMENT || 'development',
    gatewayBufferMaxBytes: integer(
      env,
      'APIOPS_GATEWAY_BUFFER_MAX_BYTES',
      10 * 1024 * 1024,
      1024,
      1024 * 1024 * 1024,
      problems,
    ),
    deployConfirmMs: integer(env, 'APIOPS_DEPLOY_CONFIRM_MS', 2000, 0, 60_000, problems),
  }
  if (problems.length > 0) throw new ConfigError(problems)
  return Object.freeze(config)
}
