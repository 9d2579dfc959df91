import type { Command } from 'commander'
import { buildApp } from '../../app.ts'
import { ApiError } from '../../errors.ts'
import { permissionsOfTokenOwner } from '../../identity/bearer/token-permissions.ts'
import { type CanIAnswer, canI } from '../../identity/policy/can-i.ts'
import type { Principal } from '../../identity/policy/permissions.ts'
import { findTokenById } from '../../identity/tokens/tokens.repository.ts'
import { tokenStatus } from '../../identity/tokens/tokens.service.ts'
import { rolesOf } from '../../identity/users/users.repository.ts'
import { requireUser } from '../../identity/users/users.service.ts'
import { openRuntime } from '../../runtime.ts'
import { type CliContext, quietLog } from '../context.ts'

interface CanIOptions {
  user: string
  token?: string
  from?: string
}

/**
 * `apiops can-i`: GET /apiops/me/can-i for any user, or one of their tokens, judged on
 * the server's own database and route table (the app is built, never listened on).
 */
export function registerCanICommand(program: Command, { config, print }: CliContext): void {
  program
    .command('can-i <method> <path>')
    .description(
      'would this user (or this token of theirs) be allowed the request? says why, without doing it (GET /apiops/me/can-i)',
    )
    .requiredOption('--user <username>', 'whose permissions to judge')
    .option('--token <tokenId>', "judge as this token of the user's, with its limits")
    .option('--from <address>', "the client address for the token's allowFrom rule", '127.0.0.1')
    .action(async (method: string, path: string, opts: CanIOptions) => {
      const runtime = await openRuntime(config(), quietLog)
      // Built for its route table, never readied nor listened on: the routes are registered
      // by the time buildApp answers, and readying compiles every schema for nothing.
      const app = await buildApp(runtime)
      try {
        const principal = await principalOf(app.services, opts)
        const answer = await canI(app.services, principal, app.routeTable, {
          method: method.toUpperCase(),
          path,
          from: opts.from ?? '127.0.0.1',
        })
        print(answer, () => human(answer))
      } finally {
        await app.close()
        await runtime.close()
      }
    })
}

function human(answer: CanIAnswer): string {
  const route = answer.route ? ` (${answer.route})` : ''
  return `${answer.allowed ? 'yes' : 'no'}${route}: ${answer.reason}\n`
}

async function principalOf(
  deps: Parameters<typeof requireUser>[0] & { clock: { now(): Date } },
  opts: CanIOptions,
): Promise<Principal> {
  const user = await requireUser(deps, opts.user)
  const owner = {
    id: user.id,
    username: user.username,
    roles: new Set(await rolesOf(deps.db, user.id)),
  }
  if (opts.token === undefined) {
    return {
      userId: owner.id,
      username: owner.username,
      roles: owner.roles,
      tokenId: undefined,
      via: 'session',
    }
  }
  const row = await findTokenById(deps.db, opts.token)
  if (!row || row.user_id !== user.id) {
    throw new ApiError('not_found', `Token '${opts.token}' of ${user.username} was not found.`)
  }
  const status = tokenStatus(row, deps.clock.now())
  if (status !== 'active')
    throw new ApiError('invalid_token', `Token '${opts.token}' is ${status}.`)
  return permissionsOfTokenOwner(row, owner)
}
