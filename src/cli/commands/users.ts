import type { Command } from 'commander'
import { ApiError } from '../../errors.ts'
import { resetPassword } from '../../identity/credentials/password-change.service.ts'
import * as users from '../../identity/users/users.service.ts'
import { type CliContext, table } from '../context.ts'

const USER_COLUMNS = ['username', 'roles', 'enabled', 'email', 'createdAt']

export function registerUserCommands(program: Command, ctx: CliContext): void {
  const user = program.command('user').description('manage users')
  userCreate(user, ctx)
  userList(user, ctx)
  userSetPassword(user, ctx)
  userEnableDisable(user, ctx)
  userRoles(user, ctx)
  userEmail(user, ctx)
  userDelete(user, ctx)
}

function userCreate(user: Command, { passwordOptions, withServices, password, print }: CliContext) {
  passwordOptions(
    user
      .command('create <username>')
      .description('create a user')
      .option('--role <role...>', 'roles to grant (repeatable)', [])
      .option('--email <address>', 'where expiry reminders and canary alerts go'),
  ).action((username: string, opts) =>
    withServices(async (s) => {
      const created = await users.createUser(s, {
        username,
        password: await password(opts),
        roles: opts.role,
        email: opts.email,
      })
      print(
        created,
        () => `created user ${created.username} (${created.roles.join(', ') || 'no roles'})\n`,
      )
    })(),
  )
}

function userList(user: Command, { withServices, print }: CliContext) {
  user
    .command('list')
    .description('list users')
    .action(
      withServices(async (s) => {
        const list = await users.listUsers(s)
        print(list, () => table(list as never, USER_COLUMNS))
      }),
    )
}

function userSetPassword(user: Command, ctx: CliContext) {
  const { passwordOptions, withServices, password, print } = ctx
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
}

function userEnableDisable(user: Command, { withServices, print }: CliContext) {
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
}

function userRoles(user: Command, { withServices, print }: CliContext) {
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
}

function userEmail(user: Command, { withServices, print }: CliContext) {
  user
    .command('set-email <username> [address]')
    .description("set where a user's expiry reminders and canary alerts go")
    .option('--clear', 'remove the address')
    .action((username: string, address: string | undefined, opts: { clear?: boolean }) =>
      withServices(async (s) => {
        if ((address === undefined) === !opts.clear) {
          throw new ApiError('invalid_request', 'Give an address, or --clear to remove it.')
        }
        const u = await users.setEmail(s, username, opts.clear ? null : (address as string))
        print(u, () => `${username}: ${u.email ?? 'no email address'}\n`)
      })(),
    )
}

function userDelete(user: Command, { withServices, print }: CliContext) {
  user
    .command('delete <username>')
    .description('delete a user with their tokens and memberships')
    .action((username: string) =>
      withServices(async (s) => {
        await users.deleteUser(s, username)
        print({ username, deleted: true }, () => `deleted ${username}\n`)
      })(),
    )
}
