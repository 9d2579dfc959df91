import type { Command } from 'commander'
import * as projects from '../../resources/projects/projects.service.ts'
import { type CliContext, table } from '../context.ts'

export function registerProjectCommands(program: Command, ctx: CliContext): void {
  const project = program.command('project').description('manage projects and their members')
  projectLifecycle(project, ctx)
  projectMembers(project, ctx)
}

function projectLifecycle(project: Command, { withServices, print }: CliContext) {
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
}

function projectMembers(project: Command, { withServices, print }: CliContext) {
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
}
