import { userInfo } from 'node:os'
import { Command, Option } from 'commander'
import { cliEvent } from '../audit/audit.service.ts'
import { createServices, type Services } from '../composition.ts'
import type { Config } from '../config.ts'
import { ApiError } from '../errors.ts'
import { resetPassword } from '../identity/credentials/password-change.service.ts'
import * as tokens from '../identity/tokens/tokens.service.ts'
import * as users from '../identity/users/users.service.ts'
import * as projects from '../resources/projects/projects.service.ts'
import { openRuntime } from '../runtime.ts'
import { envVarCommands } from './env-var.ts'
import { serve } from './serve.ts'

export interface CliIo {
  out: (text: string) => void
  err: (text: string) => void
  /** The whole of standard input, for --password-stdin. */
  readStdin: () => Promise<string>
}

const processIo: CliIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  readStdin: async () => {
    const chunks: Buffer[] = []
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
    return Buffer.concat(chunks).toString('utf8')
  },
}

const quietLog = { warn: () => {}, info: () => {} }

/** Who ran the command, as the operating system knows them (for the audit log). */
function osUser(): string | undefined {
  try {
    return userInfo().username
  } catch {
    return undefined
  }
}

function table(rows: Record<string, unknown>[], columns: string[]): string {
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

/**
 * The CLI works on the same database as the server, through the same services, so
 * every rule (password policy, last-admin guard, events to running nodes) holds here too.
 */
export async function runCli(
  argv: string[],
  config: () => Config,
  io: CliIo = processIo,
): Promise<number> {
  let exitCode = 0
  const program = new Command('apiops')
    .description(
      'apiops: management API server, and the administration of its users, tokens and projects',
    )
    .option('--json', 'print machine-readable JSON')
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })

  const print = (data: unknown, human: () => string) => {
    io.out(program.opts().json ? `${JSON.stringify(data, null, 2)}\n` : human())
  }

  /** The command about to run, for the audit log: its path and its operands (never options). */
  let running: { command: string; args: string[] } | undefined
  program.hook('preAction', (_program, actionCommand) => {
    const names: string[] = []
    for (let c: Command | null = actionCommand; c && c !== program; c = c.parent) {
      names.unshift(c.name())
    }
    running = { command: names.join('.'), args: [...actionCommand.args] }
  })

  /**
   * Opens the store, runs one command with the services, records it in the audit log
   * (every command but the lists, as the server records every write), closes the store.
   */
  const withServices = (fn: (s: Services) => Promise<void>) => async () => {
    const runtime = await openRuntime(config(), quietLog)
    const services = createServices(
      runtime,
      () => {},
      ({ err: _err, ...detail }, message) =>
        io.err(`apiops: warning: ${message} ${JSON.stringify(detail)}\n`),
    )
    let status = 500
    try {
      await fn(services)
      status = 200
    } catch (error) {
      if (error instanceof ApiError) status = error.status
      throw error
    } finally {
      if (running && !running.command.endsWith('.list')) {
        services.audit.record(
          cliEvent({
            ...running,
            osUser: osUser(),
            outcome: status < 400 ? 'success' : 'failure',
            status,
          }),
        )
      }
      await services.audit.close()
      await services.usage.flush()
      await runtime.close()
    }
  }

  const password = async (opts: {
    password?: string
    passwordStdin?: boolean
  }): Promise<string> => {
    if (opts.passwordStdin) return (await io.readStdin()).split(/\r?\n/)[0] ?? ''
    if (opts.password !== undefined) return opts.password
    throw new ApiError(
      'invalid_request',
      'Give the password with --password-stdin (recommended) or --password.',
    )
  }
  const passwordOptions = (cmd: Command) =>
    cmd
      .option('--password-stdin', 'read the password from the first line of standard input')
      .option(
        '--password <password>',
        'the password (visible in shell history: prefer --password-stdin)',
      )

  program
    .command('serve', { isDefault: true })
    .description('run the HTTP server (the default command)')
    .action(async () => serve(config()))

  program
    .command('migrate')
    .description('create or upgrade the database schema, then exit')
    .action(async () => {
      const runtime = await openRuntime(config(), quietLog)
      await runtime.close()
      print({ applied: runtime.appliedMigrations }, () =>
        runtime.appliedMigrations.length
          ? `applied: ${runtime.appliedMigrations.join(', ')}\n`
          : 'schema is up to date\n',
      )
    })

  const user = program.command('user').description('manage users')
  const userColumns = ['username', 'roles', 'enabled', 'createdAt']
  passwordOptions(
    user
      .command('create <username>')
      .description('create a user')
      .option('--role <role...>', 'roles to grant (repeatable)', []),
  ).action((username: string, opts) =>
    withServices(async (s) => {
      const created = await users.createUser(s, {
        username,
        password: await password(opts),
        roles: opts.role,
      })
      print(
        created,
        () => `created user ${created.username} (${created.roles.join(', ') || 'no roles'})\n`,
      )
    })(),
  )
  user
    .command('list')
    .description('list users')
    .action(
      withServices(async (s) => {
        const list = await users.listUsers(s)
        print(list, () => table(list as never, userColumns))
      }),
    )
  passwordOptions(
    user
      .command('set-password <username>')
      .description(
        "set a user's password, revoking all of their API tokens and ending their console sessions",
      )
      .option('--keep-tokens', "keep the user's API tokens and console sessions"),
  ).action((username: string, opts) =>
    withServices(async (s) => {
      const change = await resetPassword(s, username, await password(opts), {
        revokeTokens: !opts.keepTokens,
      })
      print({ username, passwordChanged: true, ...change }, () =>
        opts.keepTokens
          ? `password of ${username} changed; API tokens and console sessions kept\n`
          : `password of ${username} changed; revoked ${change.revokedTokenCount} token(s) and ended ${change.endedSessionCount} console session(s)\n`,
      )
    })(),
  )
  for (const [name, enabled] of [
    ['enable', true],
    ['disable', false],
  ] as const) {
    user
      .command(`${name} <username>`)
      .description(enabled ? 'enable a user' : 'disable a user (all their tokens stop working)')
      .action((username: string) =>
        withServices(async (s) => {
          const u = await users.setEnabled(s, username, enabled)
          print(u, () => `${username} is ${u.enabled ? 'enabled' : 'disabled'}\n`)
        })(),
      )
  }
  user
    .command('grant <username> <roles...>')
    .description('grant roles')
    .action((username: string, roles: string[]) =>
      withServices(async (s) => {
        const u = await users.grantRoles(s, username, roles)
        print(u, () => `${username} has ${u.roles.join(', ') || 'no roles'}\n`)
      })(),
    )
  user
    .command('revoke <username> <roles...>')
    .description('take roles away')
    .action((username: string, roles: string[]) =>
      withServices(async (s) => {
        const u = await users.revokeRoles(s, username, roles)
        print(u, () => `${username} has ${u.roles.join(', ') || 'no roles'}\n`)
      })(),
    )
  user
    .command('delete <username>')
    .description('delete a user with their tokens and memberships')
    .action((username: string) =>
      withServices(async (s) => {
        await users.deleteUser(s, username)
        print({ username, deleted: true }, () => `deleted ${username}\n`)
      })(),
    )

  const token = program.command('token').description("manage users' personal API access tokens")
  token
    .command('create <username>')
    .description('create a token for a user; it is printed once')
    .requiredOption('--name <name>', 'a descriptive name')
    .addOption(
      new Option(
        '--expires <date>',
        'YYYY-MM-DD (valid through that day, UTC) or an ISO date-time',
      ),
    )
    .option('--never-expires', 'the token never expires')
    .action((username: string, opts: { name: string; expires?: string; neverExpires?: boolean }) =>
      withServices(async (s) => {
        if (Boolean(opts.expires) === Boolean(opts.neverExpires)) {
          throw new ApiError(
            'invalid_request',
            'Choose exactly one of --expires <date> and --never-expires.',
          )
        }
        const owner = await users.requireUser(s, username)
        const issued = await tokens.issueToken(s, {
          userId: owner.id,
          name: opts.name,
          source: 'cli',
          expiresAt: tokens.parseExpiry(opts.expires ?? null, s.clock.now()),
        })
        print({ ...issued.view, token: issued.token }, () =>
          [
            `created token ${issued.view.id} "${issued.view.name}" for ${username}, expires ${issued.view.expiresAt ?? 'never'}`,
            '',
            issued.token,
            '',
            'Copy it now: it will not be shown again.',
            '',
          ].join('\n'),
        )
      })(),
    )
  token
    .command('list <username>')
    .description("list a user's tokens (never their secrets)")
    .action((username: string) =>
      withServices(async (s) => {
        const list = await tokens.listTokens(s, (await users.requireUser(s, username)).id)
        print(list, () =>
          table(list as never, [
            'id',
            'name',
            'source',
            'status',
            'createdAt',
            'expiresAt',
            'lastUsedAt',
          ]),
        )
      })(),
    )
  token
    .command('revoke <username> <tokenId>')
    .description('revoke one token')
    .action((username: string, tokenId: string) =>
      withServices(async (s) => {
        const owner = await users.requireUser(s, username)
        const view = await tokens.revokeToken(s, owner.id, tokenId, owner.id)
        print(view, () => `revoked ${view.id} "${view.name}"\n`)
      })(),
    )
  token
    .command('revoke-all <username>')
    .description('revoke every live token of a user')
    .action((username: string) =>
      withServices(async (s) => {
        const owner = await users.requireUser(s, username)
        const count = await tokens.revokeAllTokens(s, owner.id, owner.id)
        print({ username, revokedCount: count }, () => `revoked ${count} token(s) of ${username}\n`)
      })(),
    )

  const project = program.command('project').description('manage projects and their members')
  project
    .command('create <name>')
    .option('--description <text>', 'what the project is for', '')
    .action((name: string, opts: { description: string }) =>
      withServices(async (s) => {
        const p = await projects.createProject(s, { name, description: opts.description })
        print(p, () => `created project ${p.name}\n`)
      })(),
    )
  project.command('list').action(
    withServices(async (s) => {
      const list = await projects.listAllProjects(s)
      print(list, () => table(list as never, ['name', 'description', 'createdAt']))
    }),
  )
  project.command('delete <name>').action((name: string) =>
    withServices(async (s) => {
      await projects.deleteProject(s, name)
      print({ name, deleted: true }, () => `deleted project ${name}\n`)
    })(),
  )
  project.command('add-member <name> <username>').action((name: string, username: string) =>
    withServices(async (s) => {
      print(
        await projects.addMember(s, name, username),
        () => `${username} is a member of ${name}\n`,
      )
    })(),
  )
  project.command('remove-member <name> <username>').action((name: string, username: string) =>
    withServices(async (s) => {
      await projects.removeMember(s, name, username)
      print(
        { name, username, removed: true },
        () => `${username} is no longer a member of ${name}\n`,
      )
    })(),
  )

  envVarCommands(program, withServices, print, io.readStdin)

  try {
    await program.parseAsync(argv, { from: 'user' })
  } catch (error) {
    const e = error as { code?: string; exitCode?: number }
    if (e.code?.startsWith('commander.')) {
      exitCode =
        e.code === 'commander.helpDisplayed' || e.code === 'commander.version'
          ? 0
          : (e.exitCode ?? 1)
    } else if (error instanceof ApiError) {
      io.err(`apiops: ${error.description}\n`)
      exitCode = 1
    } else {
      throw error
    }
  }
  return exitCode
}
