import type { FastifyBaseLogger, FastifyInstance, FastifyServerOptions } from 'fastify'

type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace'
type Parent = FastifyBaseLogger & { isLevelEnabled?(level: string): boolean }
type Bindings = Parameters<FastifyBaseLogger['child']>[0]
type ChildOptions = Parameters<FastifyBaseLogger['child']>[1]

/**
 * Fastify gives every request a child logger carrying its request id. A pino child
 * costs a bindings serialisation per request (measured by `npm run bench`) even when
 * the request logs nothing, which at the default level is most API calls once request
 * logging is off. This one makes the pino child on the first line that is written.
 */
class RequestLogger {
  private made: FastifyBaseLogger | undefined

  constructor(
    private readonly parent: Parent,
    private readonly bindings: Bindings,
    private readonly options: ChildOptions,
  ) {}

  private real(): FastifyBaseLogger {
    this.made ??= this.parent.child(this.bindings, this.options)
    return this.made
  }

  private write(level: Level, args: unknown[]): void {
    if (this.made === undefined && this.parent.isLevelEnabled?.(level) === false) return
    ;(this.real()[level] as (...a: unknown[]) => void)(...args)
  }

  get level(): string {
    return this.made?.level ?? this.parent.level
  }

  set level(level: string) {
    this.real().level = level
  }

  fatal(...args: unknown[]): void {
    this.write('fatal', args)
  }
  error(...args: unknown[]): void {
    this.write('error', args)
  }
  warn(...args: unknown[]): void {
    this.write('warn', args)
  }
  info(...args: unknown[]): void {
    this.write('info', args)
  }
  debug(...args: unknown[]): void {
    this.write('debug', args)
  }
  trace(...args: unknown[]): void {
    this.write('trace', args)
  }
  silent(): void {}

  child(bindings: Bindings, options?: ChildOptions): FastifyBaseLogger {
    return this.real().child(bindings, options)
  }
}

/** Lazy children, except where a route sets its own level (pino must judge that one). */
export const lazyChildLoggerFactory: NonNullable<FastifyServerOptions['childLoggerFactory']> = (
  logger,
  bindings,
  options,
) =>
  options.level === undefined
    ? (new RequestLogger(logger, bindings, options) as unknown as FastifyBaseLogger)
    : logger.child(bindings, options)

/**
 * The access log: one line per request, written by the root logger when the answer has
 * gone. Fastify's own request logging (turned off in app.ts) writes two lines, incoming
 * and completed, each through the request's child logger: at the default level that
 * cost about 45% of throughput (npm run bench -- --log-level info, before and after).
 */
export function installAccessLog(app: FastifyInstance): void {
  if (!(app.log as Parent).isLevelEnabled?.('info')) return
  app.addHook('onResponse', (request, reply, done) => {
    app.log.info(
      { reqId: request.id, req: request, res: reply, responseTime: reply.elapsedTime },
      'request completed',
    )
    done()
  })
}
