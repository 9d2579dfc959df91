import type { Command } from 'commander'
import pino from 'pino'
import { loggerOptions } from '../../app.ts'
import type { Config } from '../../config.ts'
import { GatewayStartError, startGateway } from '../../gateway/node.ts'
import { gatewayTraffic } from '../../gateway/traffic-wiring.ts'
import { createMetricsRegistry, startMetricsListener } from '../../metrics.ts'
import { openRuntime, type Runtime } from '../../runtime.ts'
import type { CliContext } from '../context.ts'

interface GatewayFlags {
  environment: string
  port: string
  host: string
}

/** Refuses to start, saying why, and leaves with a non-zero status. */
function refuse(ctx: CliContext, message: string): never {
  ctx.io.err(`apiops gateway: ${message}\n`)
  process.exit(1)
}

async function runGateway(ctx: CliContext, config: Config, flags: GatewayFlags): Promise<void> {
  const port = Number(flags.port)
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    refuse(ctx, `--port must be 0-65535, not '${flags.port}'`)
  const log = pino(loggerOptions(config.logLevel) as pino.LoggerOptions)
  let runtime: Runtime
  try {
    runtime = await openRuntime(config, log)
  } catch (error) {
    refuse(
      ctx,
      `cannot start: the database is unreachable (${(error as Error).message}); a gateway node loads what is deployed from it at start`,
    )
  }
  const metrics = createMetricsRegistry({ processMetrics: true })
  const traffic = gatewayTraffic(runtime.store, runtime.clock, metrics, log, true)
  try {
    const node = await startGateway({
      store: runtime.store,
      events: runtime.events,
      atRestKeys: runtime.keys.atRestKeys,
      environment: flags.environment,
      port,
      host: flags.host,
      log,
      onCompleted: traffic.hook,
      onMirrored: traffic.mirrored(flags.environment),
      bufferLimit: config.gatewayBufferMaxBytes,
      onApplied: (version) =>
        traffic.metrics.configVersion.set({ environment: flags.environment }, version),
    })
    // The node's /metrics on a port of its own (APIOPS_METRICS_PORT), never the traffic port.
    const listener =
      config.metricsPort > 0
        ? await startMetricsListener(metrics, {
            port: config.metricsPort,
            host: config.metricsHost,
          })
        : undefined
    // One line a supervisor (or a test) can wait for, with the port actually bound.
    ctx.io.out(
      `gateway listening on ${flags.host}:${node.port} for environment '${flags.environment}' (version ${node.version})\n`,
    )
    const stop = async () => {
      await node.close()
      await listener?.close()
      await traffic.close()
      await runtime.close()
      process.exit(0)
    }
    process.once('SIGINT', () => void stop())
    process.once('SIGTERM', () => void stop())
  } catch (error) {
    await traffic.close().catch(() => {})
    await runtime.close().catch(() => {})
    if (error instanceof GatewayStartError) refuse(ctx, error.message)
    throw error
  }
}

export function registerGatewayCommands(program: Command, ctx: CliContext): void {
  program
    .command('gateway')
    .description('run a gateway node serving every API proxy deployed to one environment')
    .requiredOption('--environment <name>', 'the environment to serve')
    .option('--port <n>', 'port to listen on (0: any free port)', '8081')
    .option('--host <h>', 'address to listen on', '0.0.0.0')
    .action(async (flags: GatewayFlags) => runGateway(ctx, ctx.config(), flags))
}
