import { randomUUID } from 'node:crypto'
import { hostname } from 'node:os'
import pino from 'pino'
import { buildApp, loggerOptions } from '../app.ts'
import { purgeAuditEvents } from '../audit/audit.service.ts'
import type { Config } from '../config.ts'
import { startEmbeddedGateway } from '../gateway/embedded.ts'
import type { GatewayNode } from '../gateway/node.ts'
import { type GatewayTraffic, gatewayTraffic } from '../gateway/traffic-wiring.ts'
import { purgeExpiredSessions } from '../identity/sessions/sessions.service.ts'
import { scheduleReminders } from '../identity/tokens/expiry-reminders.ts'
import { scheduleInactivitySweep } from '../identity/tokens/inactivity.ts'
import { purgeExpiredTokens } from '../identity/tokens/tokens.service.ts'
import { ensureInitialAdmin } from '../identity/users/users.service.ts'
import { createMetricsRegistry, startMetricsListener } from '../metrics.ts'
import { openRuntime, type Runtime } from '../runtime.ts'
import { scheduleTrafficRetention } from '../traffic/traffic.retention.ts'

const PURGE_EVERY_MS = 6 * 60 * 60 * 1000
/** Traffic grows fastest: purged hourly, so a day's worth is never deleted at once. */
const TRAFFIC_PURGE_EVERY_MS = 60 * 60 * 1000
/** The inactivity limit counts days: an hour late at most is well within it. */
const INACTIVITY_SWEEP_EVERY_MS = 60 * 60 * 1000

export async function serve(config: Config): Promise<void> {
  const log = pino(loggerOptions(config.logLevel) as pino.LoggerOptions)
  const runtime = await openRuntime(config, log)
  if (runtime.createdKeyFile) {
    log.warn(
      { keyFile: runtime.createdKeyFile },
      'created a new master secret key file (mode 0600). Back it up: tokens cannot be verified without it. A cluster must set APIOPS_SECRET_KEY instead.',
    )
  } else if (config.databaseUrl && !config.secretKey) {
    log.warn(
      'DATABASE_URL is set but APIOPS_SECRET_KEY is not: every node of a cluster needs the same secret',
    )
  }
  if (runtime.appliedMigrations.length > 0)
    log.info({ migrations: runtime.appliedMigrations }, 'database migrated')

  const metrics = createMetricsRegistry({ processMetrics: true })
  const app = await buildApp({ ...runtime, log, metrics })
  const admin = await ensureInitialAdmin(app.services, config.adminPassword)
  if (admin.generatedPassword) {
    // Printed once, to the console only (not the JSON log), and never again.
    process.stdout.write(
      `\n  Created user "admin" with password: ${admin.generatedPassword}\n  Store it now; it will not be shown again. Set APIOPS_ADMIN_PASSWORD to choose it yourself.\n\n`,
    )
  } else if (admin.created) {
    log.info('created user "admin" with the password from APIOPS_ADMIN_PASSWORD')
  }

  const stopHousekeeping = await startHousekeeping(app.services, config, log)
  const metricsListener =
    config.metricsPort > 0
      ? await startMetricsListener(metrics, { port: config.metricsPort, host: config.metricsHost })
      : undefined
  if (metricsListener)
    log.info({ host: config.metricsHost, port: metricsListener.port }, 'metrics listener started')

  let gateway: GatewayNode | undefined
  let traffic: GatewayTraffic | undefined
  const shutdown = async (signal: string) => {
    log.info({ signal }, 'shutting down')
    stopHousekeeping()
    await gateway?.close()
    await traffic?.close()
    await metricsListener?.close()
    await app.close()
    await runtime.close()
    process.exit(0)
  }
  process.once('SIGINT', () => void shutdown('SIGINT'))
  process.once('SIGTERM', () => void shutdown('SIGTERM'))

  await app.listen({ port: config.port, host: config.host })
  if (config.gatewayPort !== 0) {
    traffic = gatewayTraffic(runtime.store, runtime.clock, metrics, log)
    gateway = await embeddedGateway(config, runtime, log, traffic)
  }
}

/** The gateway `npm start` runs next to the management API (APIOPS_GATEWAY_PORT=0: none). */
async function embeddedGateway(
  config: Config,
  runtime: Runtime,
  log: pino.Logger,
  traffic: GatewayTraffic,
): Promise<GatewayNode> {
  const gateway = await startEmbeddedGateway({
    store: runtime.store,
    events: runtime.events,
    atRestKeys: runtime.keys.atRestKeys,
    port: config.gatewayPort,
    host: config.host,
    environment: config.gatewayEnvironment,
    now: () => runtime.clock.now(),
    log,
    onCompleted: traffic.hook,
    onMirrored: traffic.mirrored(config.gatewayEnvironment),
    onApplied: (version) =>
      traffic.metrics.configVersion.set({ environment: config.gatewayEnvironment }, version),
    bufferLimit: config.gatewayBufferMaxBytes,
  }).catch((error: Error) => {
    log.error(
      { err: error.message, port: config.gatewayPort },
      'the embedded gateway cannot start; set APIOPS_GATEWAY_PORT to a free port, or 0 to run without it',
    )
    throw error
  })
  log.info(
    { port: gateway.port, environment: config.gatewayEnvironment },
    'embedded gateway listening (APIOPS_GATEWAY_PORT=0 turns it off)',
  )
  return gateway
}

/** Retention jobs: expired tokens and sessions, old audit events, old traffic records. */
async function startHousekeeping(
  services: Parameters<typeof purgeExpiredTokens>[0] &
    Parameters<typeof purgeAuditEvents>[0] &
    Parameters<typeof scheduleTrafficRetention>[0] &
    Parameters<typeof scheduleInactivitySweep>[0] &
    Parameters<typeof scheduleReminders>[0],
  config: Config,
  log: pino.Logger,
): Promise<() => void> {
  const purge = async () => {
    try {
      const n = await purgeExpiredTokens(services, config.tokenRetentionDays)
      if (n > 0) log.info({ purged: n }, 'purged expired and revoked tokens past retention')
      await purgeExpiredSessions(services)
    } catch (error) {
      log.warn({ err: error }, 'token purge failed; will retry')
    }
    try {
      const n = await purgeAuditEvents(services, config.auditRetentionDays)
      if (n > 0) log.info({ purged: n }, 'purged audit events past retention')
    } catch (error) {
      log.warn({ err: error }, 'audit purge failed; will retry')
    }
  }
  await purge()
  const timer = setInterval(purge, PURGE_EVERY_MS)
  timer.unref()
  const stopTrafficRetention = scheduleTrafficRetention(services, {
    retentionDays: () => config.trafficRetentionDays,
    everyMs: TRAFFIC_PURGE_EVERY_MS,
    onPurged: (rows) => log.info({ purged: rows }, 'purged traffic records past retention'),
    onError: (error) => log.warn({ err: error }, 'traffic purge failed; will retry'),
  })
  const stopInactivitySweep = scheduleInactivitySweep(services, {
    everyMs: INACTIVITY_SWEEP_EVERY_MS,
    onRevoked: (count) => log.info({ revoked: count }, 'revoked tokens past the inactivity limit'),
    onError: (error) => log.warn({ err: error }, 'inactivity sweep failed; will retry'),
  })
  const stopReminders = scheduleReminders(services, {
    holder: `${hostname()}:${process.pid}:${randomUUID()}`,
    everyMs: config.reminderIntervalSeconds * 1000,
    onRound: (result) => log.info(result, 'sent token expiry reminders'),
    onError: (error) => log.warn({ err: error }, 'expiry reminders failed; will retry'),
  })
  return () => {
    clearInterval(timer)
    stopTrafficRetention()
    stopInactivitySweep()
    stopReminders()
  }
}
