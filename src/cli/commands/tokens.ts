import { type Command, Option } from 'commander'
import { ApiError } from '../../errors.ts'
import { rotateToken } from '../../identity/tokens/token-rotation.ts'
import { parseBefore, revokeTokensIssuedBefore } from '../../identity/tokens/tokens.revocation.ts'
import { MAX_GRACE_SECONDS, TOKEN_SOURCES } from '../../identity/tokens/tokens.schemas.ts'
import * as tokens from '../../identity/tokens/tokens.service.ts'
import * as users from '../../identity/users/users.service.ts'
import { type CliContext, table } from '../context.ts'
import { OPERATOR } from '../input.ts'

const TOKEN_COLUMNS = [
  'id',
  'name',
  'source',
  'status',
  'createdAt',
  'expiresAt',
  'lastUsedAt',
  'limits',
]

/** A token's limits in one table cell: "-" when it has everything its owner has. */
const limitsCell = ({ roles, projects, readOnly, allowFrom }: tokens.TokenView['limits']) =>
  [
    roles && `roles=${roles.join('+') || 'none'}`,
    projects && `projects=${projects.join('+')}`,
    readOnly && 'read-only',
    allowFrom && `from=${allowFrom.join('+')}`,
  ]
    .filter(Boolean)
    .join(' ') || null

export function registerTokenCommands(program: Command, ctx: CliContext): void {
  const token = program.command('token').description("manage users' personal API access tokens")
  tokenCreate(token, ctx)
  tokenList(token, ctx)
  tokenRevoke(token, ctx)
  tokenRotate(token, ctx)
  tokenRevokeBefore(token, ctx)
}

interface CreateOptions {
  name: string
  expires?: string
  neverExpires?: boolean
  role?: string[]
  project?: string[]
  readOnly?: boolean
  allowFrom?: string[]
}

function tokenCreate(token: Command, { withServices, print }: CliContext) {
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
    .option('--role <role...>', "only these of the owner's roles (repeatable)")
    .option('--project <project...>', 'only these projects, by name or id (repeatable)')
    .option('--read-only', 'GET and HEAD only')
    .option('--allow-from <cidr...>', 'only from these addresses or CIDR ranges (repeatable)')
    .action((username: string, opts: CreateOptions) =>
      withServices(async (s) => {
        if (Boolean(opts.expires) === Boolean(opts.neverExpires)) {
          throw new ApiError(
            'invalid_request',
            'Choose exactly one of --expires <date> and --never-expires.',
          )
        }
        const owner = await users.requireUser(s, username)
        const issued = await tokens.createToken(s, owner, {
          name: opts.name,
          source: 'cli',
          expiresAt: tokens.parseExpiry(opts.expires ?? null, s.clock.now()),
          limits: {
            roles: opts.role,
            projects: opts.project,
            readOnly: opts.readOnly,
            allowFrom: opts.allowFrom,
          },
        })
        print({ ...issued.view, token: issued.token }, () =>
          revealed(
            `created token ${issued.view.id} "${issued.view.name}" for ${username}, expires ${issued.view.expiresAt ?? 'never'}`,
            issued.token,
          ),
        )
      })(),
    )
}

/** A new token's one showing, for people (JSON output carries it as `token`). */
function revealed(headline: string, token: string): string {
  return [headline, '', token, '', 'Copy it now: it will not be shown again.', ''].join('\n')
}

function tokenList(token: Command, { withServices, print }: CliContext) {
  token
    .command('list <username>')
    .description(
      "list a user's tokens (never their secrets); the token endpoint's short-lived ones only with --source api",
    )
    .addOption(
      new Option('--source <source>', 'only tokens made this way').choices([...TOKEN_SOURCES]),
    )
    .action((username: string, options: { source?: (typeof TOKEN_SOURCES)[number] }) =>
      withServices(async (s) => {
        const owner = await users.requireUser(s, username)
        const list = await tokens.listTokens(s, owner.id, options.source)
        const rows = list.map((t) => ({ ...t, limits: limitsCell(t.limits) }))
        print(list, () => table(rows as never, TOKEN_COLUMNS))
      })(),
    )
}

function tokenRevoke(token: Command, { withServices, print }: CliContext) {
  token
    .command('revoke <username> <tokenId>')
    .description('revoke one token')
    .action((username: string, tokenId: string) =>
      withServices(async (s) => {
        const owner = await users.requireUser(s, username)
        const view = await tokens.revokeToken(s, owner, tokenId, owner.id)
        print(view, () => `revoked ${view.id} "${view.name}"\n`)
      })(),
    )
  token
    .command('revoke-all <username>')
    .description('revoke every live token of a user')
    .action((username: string) =>
      withServices(async (s) => {
        const owner = await users.requireUser(s, username)
        const count = await tokens.revokeAllTokens(s, owner, owner.id)
        print({ username, revokedCount: count }, () => `revoked ${count} token(s) of ${username}\n`)
      })(),
    )
}

function graceSeconds(value: string): number {
  const n = Number(value)
  if (!/^\d+$/.test(value) || n > MAX_GRACE_SECONDS) {
    throw new ApiError(
      'invalid_request',
      `--grace-seconds must be a whole number from 0 to ${MAX_GRACE_SECONDS}.`,
    )
  }
  return n
}

function tokenRotate(token: Command, { withServices, print }: CliContext) {
  token
    .command('rotate <username> <tokenId>')
    .description(
      'replace a token by a new one with the same name and expiry; the new one is printed once',
    )
    .option('--grace-seconds <n>', 'how long the old token keeps working (0 to 86400)', '0')
    .action((username: string, tokenId: string, opts: { graceSeconds: string }) =>
      withServices(async (s) => {
        const grace = graceSeconds(opts.graceSeconds)
        const owner = await users.requireUser(s, username)
        const issued = await rotateToken(s, owner, {
          tokenId,
          rotatedBy: owner.id,
          graceSeconds: grace,
          presentedTokenId: undefined,
        })
        print({ ...issued.view, token: issued.token, previousTokenId: tokenId }, () =>
          revealed(
            `rotated ${tokenId} into ${issued.view.id} "${issued.view.name}"; the old token ${grace > 0 ? `works for ${grace} more seconds` : 'is revoked'}`,
            issued.token,
          ),
        )
      })(),
    )
}

function tokenRevokeBefore(token: Command, { withServices, print }: CliContext) {
  token
    .command('revoke-before')
    .description(
      'revoke every live token issued before an instant (POST /apiops/tokens/revoke-before/, or .../users/{u}/tokens/revoke-before/ with --user)',
    )
    .option('--user <username>', "only this user's tokens (default: everyone's)")
    .option('--before <date-time>', 'an ISO 8601 date-time with a time zone (default: now)')
    .action((opts: { user?: string; before?: string }) =>
      withServices(async (s) => {
        const before = parseBefore(opts.before, s.clock.now())
        const owner = opts.user === undefined ? undefined : await users.requireUser(s, opts.user)
        const count = await revokeTokensIssuedBefore(s, owner, before, OPERATOR.userId)
        const whose = opts.user === undefined ? 'all users' : opts.user
        print(
          { username: opts.user ?? null, before: before.toISOString(), revokedCount: count },
          () => `revoked ${count} token(s) of ${whose} issued before ${before.toISOString()}\n`,
        )
      })(),
    )
}
