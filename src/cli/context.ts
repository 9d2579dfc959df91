import { userInfo } from 'node:os'
import type { Command } from 'commander'
import { closeServices, createServices, type Services } from '../composition.ts'
import type { Config } from '../config.ts'
import { ApiError } from '../errors.ts'
import { openRuntime } from '../runtime.ts'

export interface CliIo {
  out: (text: string) => void
  err: (text: string) => void
  /** The whole of standard input, for --password-stdin. */
  readStdin: () => Promise<string>
}

/** What every command shares: output, the store with the services, the password options. */
export interface CliContext {
  config: () => Config
  io: CliIo
  /** JSON with --json, else the human text. */
  print: (data: unknown, human: () => string) => void
  /**
   * Opens the store, runs one command with the services, records it in the audit log
   * (every command but the reads, list and get, as the server records every write),
   * closes the store.
   */
  withServices: (fn: (s: Services) => Promise<void>) => () => Promise<void>
  password: (opts: { password?: string; passwordStdin?: boolean }) => Promise<string>
  passwordOptions: (cmd: Command) => Command
}

export const quietLog = { warn: () => {}, info: () => {} }

/** Who ran the command, as the operating system knows them (for the audit log). */
function osUser(): string | undefined {
  try {
    return userInfo().username
  } catch {
    return undefined
  }
}

export function table(rows: Record<string, unknown>[], columns: string[]): string {
  if (rows.length === 0) return '(none)\n'
  const cell = (v: unknown) =>
    v === null || v === undefined ? '-' : Array.isArray(v) ? v.join(',') : String(v)
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)))
  const line = (values: string[]) =>
    `${values
      .map((v, i) => v.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd()}\n`
  return line(columns) + rows.map((r) => line(columns.map((c) => cell(r[c])))).join('')
}

/** The command about to run, for the audit log: its path and its operands (never options). */
interface Running {
  command: string
  args: string[]
}

function trackRunningCommand(program: Command): () => Running | undefined {
  let running: Running | undefined
  program.hook('preAction', (_program, actionCommand) => {
    const names: string[] = []
    for (let c: Command | null = actionCommand; c && c !== program; c = c.parent) {
      names.unshift(c.name())
    }
    running = { command: names.join('.'), args: [...actionCommand.args] }
  })
  return () => running
}

function servicesRunner(
  config: () => Config,
  io: CliIo,
  running: () => Running | undefined,
): CliContext['withServices'] {
  return (fn) => async () => {
    const runtime = await openRuntime(config(), quietLog)
    const services = createServices(
      runtime,
      () => {},
      ({ err: _err, ...detail }, message) =>
        io.err(`apiops: warning: ${message} ${JSON.stringify(detail)}\n`),
    )
    // Administrators' runtime settings (token lifetime policy) bind the CLI too.
    await services.settings.reload()
    // The services record their own audit events; from here, as actor "cli".
    const user = osUser()
    services.audit.setOrigin({
      actor: { userId: null, username: 'cli' },
      clientIp: 'local',
      userAgent: user ? `apiops-cli (os user ${user})` : 'apiops-cli',
    })
    try {
      await fn(services)
    } catch (error) {
      // A command that would change something and failed changed nothing: said here.
      const command = running()
      if (command && !/\.(list|get)$/.test(command.command)) {
        services.audit.record(
          'cli.failed',
          { command: command.command, args: command.args.join(' ') },
          { outcome: 'failure', status: error instanceof ApiError ? error.status : 500 },
        )
      }
      throw error
    } finally {
      await closeServices(services)
      await runtime.close()
    }
  }
}

export function createContext(program: Command, config: () => Config, io: CliIo): CliContext {
  return {
    config,
    io,
    print: (data, human) => {
      io.out(program.opts().json ? `${JSON.stringify(data, null, 2)}\n` : human())
    },
    withServices: servicesRunner(config, io, trackRunningCommand(program)),
    password: async (opts) => {
      if (opts.passwordStdin) return (await io.readStdin()).split(/\r?\n/)[0] ?? ''
      if (opts.password !== undefined) return opts.password
      throw new ApiError(
        'invalid_request',
        'Give the password with --password-stdin (recommended) or --password.',
      )
    },
    passwordOptions: (cmd) =>
      cmd
        .option('--password-stdin', 'read the password from the first line of standard input')
        .option(
          '--password <password>',
          'the password (visible in shell history: prefer --password-stdin)',
        ),
  }
}
