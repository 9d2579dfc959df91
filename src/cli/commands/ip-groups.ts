import type { Command } from 'commander'
import { IpGroupBody, IpListBody } from '../../resources/ip-groups/ip-groups.schemas.ts'
import * as groups from '../../resources/ip-groups/ip-groups.service.ts'
import { type CliContext, table } from '../context.ts'
import { checkBody, everyPage, OPERATOR, validatorOf } from '../input.ts'

/*
 * apiops ip-group list|get|create|add-ip|remove-ip|delete: a project's IP groups (the
 * address lists white/black IP policies name), through the same service and body
 * schemas as the documented routes; entries are checked and stored in canonical form.
 */

const API = '/apiops/projects/{projectName}/ipGroups'

export function registerIpGroupCommands(program: Command, ctx: CliContext): void {
  const group = program
    .command('ip-group')
    .description("a project's IP groups: list, get, create, add-ip, remove-ip, delete")
  ipGroupReads(group, ctx)
  ipGroupWrites(group, ctx)
  ipGroupEntries(group, ctx)
}

function ipGroupReads(group: Command, { withServices, print }: CliContext) {
  group
    .command('list <project>')
    .description(`list a project's IP groups with their entry counts (GET ${API}/)`)
    .action((projectName: string) =>
      withServices(async (s) => {
        const list = await everyPage((q) => groups.listGroups(s, OPERATOR, projectName, q))
        print(list, () => table(list as never, ['name', 'ipCount', 'description']))
      })(),
    )
  group
    .command('get <project> <name>')
    .description(`an IP group with its entries, one a line (GET ${API}/{ipGroupName}/)`)
    .action((projectName: string, name: string) =>
      withServices(async (s) => {
        const found = await groups.getGroup(s, OPERATOR, projectName, name)
        print(found, () => found.ipList.map((ip) => `${ip}\n`).join('') || '(none)\n')
      })(),
    )
}

function ipGroupWrites(group: Command, { withServices, print }: CliContext) {
  const validate = validatorOf(IpGroupBody)
  group
    .command('create <project> <name>')
    .description(`create an empty IP group; add entries with add-ip (POST ${API}/)`)
    .option('--description <text>', 'what the group is for')
    .action((projectName: string, name: string, o: { description?: string }) =>
      withServices(async (s) => {
        const body = checkBody<never>(validate, { name, description: o.description ?? null })
        await groups.createGroup(s, OPERATOR, projectName, body)
        print({ name, created: true }, () => `created IP group ${name}\n`)
      })(),
    )
  group
    .command('delete <project> <name>')
    .description(
      `delete an IP group; refused while a policy names it (DELETE ${API}/{ipGroupName}/)`,
    )
    .action((projectName: string, name: string) =>
      withServices(async (s) => {
        await groups.deleteGroup(s, OPERATOR, projectName, name)
        print({ name, deleted: true }, () => `deleted IP group ${name}\n`)
      })(),
    )
}

function ipGroupEntries(group: Command, { withServices, print }: CliContext) {
  const validate = validatorOf(IpListBody)
  for (const [verb, change, method] of [
    ['add-ip', 'add', 'POST'],
    ['remove-ip', 'remove', 'DELETE'],
  ] as const) {
    group
      .command(`${verb} <project> <name> <entries...>`)
      .description(
        `${change} IPv4/IPv6 addresses or CIDR ranges (${method} ${API}/{ipGroupName}/ips/)`,
      )
      .action((projectName: string, name: string, entries: string[]) =>
        withServices(async (s) => {
          const body = checkBody<{ ipList: string[] }>(validate, { ipList: entries })
          const r = await groups.changeEntries(s, OPERATOR, projectName, name, change, body.ipList)
          print(
            r,
            () =>
              `${name}: ${r.added ?? 0} added, ${r.removed ?? 0} removed, ${r.ipCount} entries\n`,
          )
        })(),
      )
  }
}
