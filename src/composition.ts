import type { FastifyBaseLogger } from 'fastify'
import type { Registry } from 'prom-client'
import { AuditRecorder, type AuditWarn } from './audit/audit.recorder.ts'
import type { Clock } from './clock.ts'
import type { EventBus } from './cluster/events.ts'
import type { Config } from './config.ts'
import type { DbHandle } from './db/create-db.ts'
import { errors } from './errors.ts'
import { AuthCache } from './identity/bearer/auth-cache.ts'
import type { BearerDeps } from './identity/bearer/bearer-check.ts'
import { UsageRecorder } from './identity/bearer/usage-recorder.ts'
import { setVerifyPriority } from './identity/credentials/passwords.ts'
import type { SessionsDeps } from './identity/sessions/sessions.service.ts'
import { CanaryAlerts } from './identity/tokens/canary-alerts.ts'
import { TokenCodec } from './identity/tokens/token-format.ts'
import type { TokensDeps } from './identity/tokens/tokens.service.ts'
import type { KeyRing } from './keys.ts'
import { createMetricsRegistry } from './metrics.ts'
import type { ChangeContext } from './notifications/notification-settings.ts'
import { createNotifier, type Notifier } from './notifications/notifier.ts'
import { type HostResolver, systemResolver } from './outbound-connect.ts'
import type { ConfirmSettings } from './resources/environments/gateway-nodes.ts'
import type { KeystorePool } from './resources/keystores/keystore-pool.ts'
import type { SpecImport } from './resources/proxies/spec-import.ts'
import { SpecParser } from './resources/proxies/spec-parser.ts'
import type { MmdbFacts, MmdbJob } from './settings/geolocation/mmdb.worker.ts'
import { RuntimeSettings } from './settings/settings.service.ts'
import { WorkerPool, workerModule } from './worker-pool.ts'

/*
 * The one place where the pieces are wired: which service gets which database handle,
 * clock, event bus, keys and settings. The server (app.ts), the CLI and the benchmarks
 * all build their services here, so the wiring cannot differ between them.
 */

export interface AppDeps {
  config: Config
  store: DbHandle
  clock: Clock
  events: EventBus
  keys: KeyRing
  /** The built console; defaults to console/dist. */
  consoleDir?: string
  /** A pino logger; none means silence (tests). */
  log?: FastifyBaseLogger
  /** How spec hosts are resolved; the system resolver unless given (tests name fake hosts). */
  resolveHost?: HostResolver
  /**
   * The process's Prometheus registry (the server's has Node's process metrics); a bare
   * one unless given, so apps built side by side (tests) do not share counters.
   */
  metrics?: Registry
}

/** Everything services need, built once per app and handed down as arguments. */
export type Services = TokensDeps &
  BearerDeps &
  SessionsDeps & {
    /** AES-256-GCM key for secrets at rest (see sealed.ts). */
    atRestKey: Buffer
    /** atRestKey, then the keys of former master secrets: for opening, never sealing. */
    atRestKeys: readonly Buffer[]
    specImport: SpecImport
    /** Checks uploaded MaxMind databases off the event loop. */
    mmdb: WorkerPool<MmdbJob, MmdbFacts>
    /** Opens uploaded keystores (PKCS#12, JKS) off the event loop. */
    keystores: KeystorePool
    audit: AuditRecorder
    settings: RuntimeSettings
    /** What GET /apiops/metrics and the metrics listener serve. */
    metrics: Registry
    /** How a deploy's answer waits for the gateway nodes to apply it. */
    gatewayConfirm: ConfirmSettings
    /** Sealing and address rules for the notification settings an administrator changes. */
    notify: ChangeContext
    /** Reminders and alerts, through the channels those settings configure. */
    notifier: Notifier
    canaryAlerts: CanaryAlerts
  }

export function createServices(
  deps: AppDeps,
  onError: (error: unknown) => void,
  warn: AuditWarn = (detail, message) => onError(Object.assign(new Error(message), detail)),
): Services {
  const cache = new AuthCache(deps.clock, deps.events, { dataVersion: deps.store.dataVersion })
  const audit = new AuditRecorder(deps.store.db, deps.clock, warn, {
    usernameKey: deps.keys.auditUsername,
    fold: {
      windowMs: deps.config.auditFoldWindowSeconds * 1000,
      first: deps.config.auditFoldFirst,
      maxAddresses: deps.config.auditFoldMaxAddresses,
    },
  })
  const settings = new RuntimeSettings(deps.store.db, {
    tokenRateLimit: deps.config.tokenRateLimit,
  })
  const notifier = notifierOf(deps, settings)
  setVerifyPriority(deps.config.passwordCheckPriority, (message) => deps.log?.warn(message))
  return {
    db: deps.store.db,
    clock: deps.clock,
    events: deps.events,
    cache,
    codec: new TokenCodec(deps.keys, deps.config.issuer),
    usage: usageRecorder(deps, audit, onError),
    audit,
    metrics: deps.metrics ?? createMetricsRegistry(),
    settings,
    lifetimePolicy: () => settings.tokenLifetime,
    notify: { key: deps.keys.atRest, allowlist: deps.config.notificationAllowlist },
    notifier,
    canaryAlerts: new CanaryAlerts({ db: deps.store.db, clock: deps.clock, audit, notifier }),
    atRestKey: deps.keys.atRest,
    atRestKeys: deps.keys.atRestKeys,
    gatewayConfirm: { waitMs: deps.config.deployConfirmMs, pollMs: 20 },
    specImport: {
      fetch: {
        timeoutMs: deps.config.specFetchTimeoutMs,
        maxBytes: deps.config.specMaxBytes,
        allowlist: deps.config.specFetchAllowlist,
        resolve: deps.resolveHost ?? systemResolver,
      },
      parser: new SpecParser({
        timeoutMs: deps.config.specParseTimeoutMs,
        memoryMb: deps.config.specParseMemoryMb,
        concurrency: deps.config.specParseConcurrency,
      }),
    },
    // Uploads are rare (an administrator's, a file a month): one at a time.
    mmdb: new WorkerPool<MmdbJob, MmdbFacts>({
      url: workerModule(import.meta.url, 'settings/geolocation/mmdb.worker'),
      name: 'mmdb',
      busy: () => errors.serviceUnavailable('Checking another MaxMind database'),
      advice: 'upload a smaller database',
      timeoutMs: 60_000,
      memoryMb: 512,
      concurrency: 1,
    }),
    // A keystore is a few KiB; a forged one must not stall the server or fill its memory.
    keystores: new WorkerPool({
      url: workerModule(import.meta.url, 'resources/keystores/keystore.worker'),
      name: 'keystore',
      busy: () => errors.serviceUnavailable('Opening other keystores'),
      advice: 'upload a smaller keystore',
      timeoutMs: 10_000,
      memoryMb: 128,
      concurrency: 2,
    }),
    sessionPolicy: {
      idleMs: deps.config.sessionIdleMinutes * 60_000,
      absoluteMs: deps.config.sessionMaxHours * 3_600_000,
      csrfKey: deps.keys.csrf,
    },
  }
}

/** Reminders and alerts through the channels in `settings`, to allowed addresses only. */
function notifierOf(deps: AppDeps, settings: RuntimeSettings): Notifier {
  return createNotifier({
    clock: deps.clock,
    settings: () => settings.notifications,
    keys: deps.keys.atRestKeys,
    net: {
      allowlist: deps.config.notificationAllowlist,
      resolve: deps.resolveHost ?? systemResolver,
      timeoutMs: deps.config.notificationTimeoutMs,
    },
  })
}

/**
 * Ends what the services hold, in the order that loses nothing: pending token usage and
 * audit events (folding windows included) are written while the store is still open.
 * Call before closing the store, from every place that made the services.
 */
export async function closeServices(services: Services): Promise<void> {
  await services.usage.flush()
  await services.audit.close()
  services.cache.close()
  await services.specImport.parser.close()
  await services.mmdb.close()
  await services.keystores.close()
}

/** Last-use writes, and the audit event for a token seen from a new address. */
function usageRecorder(
  deps: AppDeps,
  audit: AuditRecorder,
  onError: (error: unknown) => void,
): UsageRecorder {
  return new UsageRecorder(deps.store.db, onError, undefined, (use) =>
    audit.record(
      'token.usedFromNewAddress',
      { tokenId: use.tokenId, previous: use.previousIp ?? '(first use)' },
      {
        actor: { userId: use.userId, username: use.username, tokenId: use.tokenId },
        clientIp: use.ip,
        at: use.at,
      },
    ),
  )
}
