import type { Command } from 'commander'
import { RlclBody } from '../../resources/rlcl/rlcl.schemas.ts'
import * as rlcl from '../../resources/rlcl/rlcl.service.ts'
import { type CliContext, table } from '../context.ts'
import { checkBody, everyPage, OPERATOR, readJson, validatorOf } from '../input.ts'

/*
 * apiops rlcl list|get|create|delete: a project's rate limit control lists, through
 * the same service and body schema as the documented routes. Create takes the
 * documented body (name, settings) from a file or standard input.
 */

const API = '/apiops/projects/{projectName}/rlcl'

export function registerRlclCommands(program: Command, { withServices, print, io }: CliContext) {
  const list = program
    .command('rlcl')
    .description("a project's rate limit control lists: list, get, create, delete")
  list
    .command('list <project>')
    .description(`list a project's RLCLs (GET ${API}/)`)
    .action((projectName: string) =>
      withServices(async (s) => {
        const all = await everyPage((q) => rlcl.listRlcls(s, OPERATOR, projectName, q))
        print(all, () => table(all as never, ['name', 'enabled', 'executionOrder', 'description']))
      })(),
    )
  list
    .command('get <project> <name>')
    .description(`an RLCL with its condition, credentials and rate limits (GET ${API}/{rlclName}/)`)
    .action((projectName: string, name: string) =>
      withServices(async (s) => {
        const found = await rlcl.getRlcl(s, OPERATOR, projectName, name)
        print(found, () => `${JSON.stringify(found, null, 2)}\n`)
      })(),
    )
  const validate = validatorOf(RlclBody)
  list
    .command('create <project> [file]')
    .description(`create an RLCL from its documented JSON body (POST ${API}/)`)
    .addHelpText(
      'after',
      '\n[file]: a JSON file with name and settings; "-" or none: standard input.',
    )
    .action((projectName: string, file?: string) =>
      withServices(async (s) => {
        const body = checkBody<{ name: string }>(validate, await readJson(io, file))
        await rlcl.createRlcl(s, OPERATOR, projectName, body as never)
        print({ name: body.name, created: true }, () => `created RLCL ${body.name}\n`)
      })(),
    )
  list
    .command('delete <project> <name>')
    .description(`delete an RLCL with its members and condition (DELETE ${API}/{rlclName}/)`)
    .action((projectName: string, name: string) =>
      withServices(async (s) => {
        await rlcl.deleteRlcl(s, OPERATOR, projectName, name)
        print({ name, deleted: true }, () => `deleted RLCL ${name}\n`)
      })(),
    )
}
