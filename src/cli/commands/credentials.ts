import type { Command } from 'commander'
import { errors } from '../../errors.ts'
import { AccessBody } from '../../resources/credentials/credentials.access.routes.ts'
import * as access from '../../resources/credentials/credentials.access.ts'
import {
  ChangePasswordBody,
  CreateCredentialBody,
} from '../../resources/credentials/credentials.schemas.ts'
import * as credentials from '../../resources/credentials/credentials.service.ts'
import { type CliContext, table } from '../context.ts'
import { checkBody, everyPage, OPERATOR, readJson, validatorOf } from '../input.ts'

/*
 * apiops credential list|create|set-password|delete, and credential access
 * list|grant|revoke: a project's API consumers and which proxies and groups each may
 * call, through the same services and body schemas as the documented routes. The
 * password is given as for users (--password-stdin) and never printed.
 */

const API = '/apiops/projects/{projectName}/credentials'
const COLUMNS = ['username', 'fullName', 'email', 'enabled', 'expired', 'roleNameList', 'ipList']

interface CreateOptions {
  from?: string
  email?: string
  fullName?: string
  role?: string[]
  ip?: string[]
  expires?: string
  disabled?: boolean
  password?: string
  passwordStdin?: boolean
}

interface AccessOptions {
  proxy?: string[]
  proxyGroup?: string[]
}

export function registerCredentialCommands(program: Command, ctx: CliContext): void {
  const credential = program
    .command('credential')
    .description("a project's API consumer credentials and their access to proxies")
  credentialReads(credential, ctx)
  credentialCreate(credential, ctx)
  credentialChanges(credential, ctx)
  credentialAccess(credential.command('access').description("a credential's access"), ctx)
}

function credentialReads(credential: Command, { withServices, print }: CliContext) {
  credential
    .command('list <project>')
    .description(`list a project's credentials, never their passwords (GET ${API}/)`)
    .action((projectName: string) =>
      withServices(async (s) => {
        const list = await everyPage((q) =>
          credentials.listCredentials(s, OPERATOR, projectName, q),
        )
        print(list, () => table(list as never, COLUMNS))
      })(),
    )
}

/** The documented create body: a --from file's fields, then the options over them. */
async function createBody(ctx: CliContext, username: string, o: CreateOptions) {
  const base = o.from === undefined ? {} : await readJson(ctx.io, o.from)
  return {
    ...(base as object),
    username,
    ...(o.email === undefined ? {} : { email: o.email }),
    ...(o.fullName === undefined ? {} : { fullName: o.fullName }),
    ...(o.role ? { roleNameList: o.role } : {}),
    ...(o.ip ? { ipList: o.ip } : {}),
    ...(o.expires === undefined ? {} : { expireDate: o.expires }),
    ...(o.disabled ? { enabled: false } : {}),
    password: await ctx.password(o),
  }
}

function credentialCreate(credential: Command, ctx: CliContext) {
  const validate = validatorOf(CreateCredentialBody)
  ctx
    .passwordOptions(
      credential
        .command('create <project> <username>')
        .description(`create a credential, in effect in every environment (POST ${API}/)`)
        .option('--from <file>', 'a JSON file with the documented body; options override it')
        .option('--email <email>', 'its e-mail address (required, here or in --from)')
        .option('--full-name <name>', 'its full name (required, here or in --from)')
        .option('--role <name...>', 'gateway roles it carries (roleNameList)')
        .option('--ip <entry...>', 'addresses or CIDR ranges it may call from (ipList)')
        .option('--expires <date-time>', 'ISO 8601 date-time after which it stops working')
        .option('--disabled', 'create it disabled'),
    )
    .action((projectName: string, username: string, o: CreateOptions) =>
      ctx.withServices(async (s) => {
        const body = checkBody<never>(validate, await createBody(ctx, username, o))
        const written = await credentials.createCredential(s, OPERATOR, projectName, body)
        ctx.print(written, () => `created credential ${written.credential.username}\n`)
      })(),
    )
}

function credentialChanges(credential: Command, ctx: CliContext) {
  const { withServices, print, password, passwordOptions } = ctx
  const validate = validatorOf(ChangePasswordBody)
  passwordOptions(
    credential
      .command('set-password <project> <username>')
      .description(`set a credential's password (PATCH ${API}/{username}/)`),
  ).action((projectName: string, username: string, o: CreateOptions) =>
    withServices(async (s) => {
      const body = checkBody<{ password: string }>(validate, { password: await password(o) })
      const written = await credentials.changeCredentialPassword(
        s,
        OPERATOR,
        projectName,
        username,
        body.password,
      )
      print(written, () => `password of credential ${username} changed\n`)
    })(),
  )
  credential
    .command('delete <project> <username>')
    .description(`delete a credential with its access (DELETE ${API}/{username}/)`)
    .action((projectName: string, username: string) =>
      withServices(async (s) => {
        const deploymentResult = await credentials.deleteCredential(
          s,
          OPERATOR,
          projectName,
          username,
        )
        print(
          { username, deleted: true, deploymentResult },
          () => `deleted credential ${username}\n`,
        )
      })(),
    )
}

function accessItems(o: AccessOptions) {
  return [
    ...(o.proxy ?? []).map((name) => ({ name, type: 'API_PROXY' as const })),
    ...(o.proxyGroup ?? []).map((name) => ({ name, type: 'API_PROXY_GROUP' as const })),
  ]
}

function credentialAccess(group: Command, { withServices, print }: CliContext) {
  group
    .command('list <project> <username>')
    .description(`the proxies and groups a credential may call (GET ${API}/{username}/access/)`)
    .action((projectName: string, username: string) =>
      withServices(async (s) => {
        const list = await access.listAccess(s, OPERATOR, projectName, username)
        print(list, () => table(list as never, ['type', 'name']))
      })(),
    )
  const validate = validatorOf(AccessBody)
  for (const [verb, method, run] of [
    ['grant', 'PUT', access.grantAccess],
    ['revoke', 'DELETE', access.revokeAccess],
  ] as const) {
    group
      .command(`${verb} <project> <username>`)
      .description(
        `${verb === 'grant' ? 'let a credential call' : 'stop a credential calling'} proxies and groups, all or nothing (${method} ${API}/{username}/access/)`,
      )
      .option('--proxy <name...>', 'API proxies')
      .option('--proxy-group <name...>', 'API proxy groups')
      .action((projectName: string, username: string, o: AccessOptions) =>
        withServices(async (s) => {
          const wanted = accessItems(o)
          if (wanted.length === 0) {
            throw errors.invalidRequest('Name at least one --proxy or --proxy-group.')
          }
          const body = checkBody<{ credentialAccessList: access.AccessItem[] }>(validate, {
            credentialAccessList: wanted,
          })
          const items = body.credentialAccessList
          const deploymentResult = await run(s, OPERATOR, projectName, username, items)
          const done = verb === 'grant' ? 'granted' : 'revoked'
          print({ username, [done]: items, deploymentResult }, () =>
            items.map((i) => `${done} ${i.type} ${i.name}\n`).join(''),
          )
        })(),
      )
  }
}
