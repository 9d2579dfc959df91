import type { Command } from 'commander'
import type { Services } from '../../composition.ts'
import { errors } from '../../errors.ts'
import * as variables from '../../resources/environment-variables/environment-variables.service.ts'
import { findProjectByName } from '../../resources/projects/projects.repository.ts'
import type { CliContext } from '../context.ts'

/*
 * apiops env-var list|set|delete: a project's environment variables, through the same
 * service as the API. Values are given as options (or on standard input), which the
 * audit log never records; a secret value is never printed.
 */

interface SetOptions {
  env?: string
  secret?: boolean
  description?: string
  value?: string
  valueStdin?: boolean
}

async function requireProject(s: Services, name: string) {
  const project = await findProjectByName(s.db, name)
  if (!project) throw errors.notFound(`Project '${name}'`)
  return project
}

function describeValues(v: variables.EnvironmentVariableView): string {
  const shown = (value: string | null, visible: boolean) => (visible ? value : '(secret)')
  if (v.global) return `(all) ${shown(v.globalValue, v.globalVisible)}`
  return (v.environmentValueList ?? [])
    .map((e) => `${e.environmentName}=${shown(e.value, e.visible)}`)
    .join(' ')
}

/**
 * The body a `set` stands for: the one slot it names changes, every other stored value
 * is sent as null, which keeps it. Switching between global and per environment would
 * drop values, so it is refused here (the API can do it with a whole body).
 */
function setBody(
  name: string,
  value: string,
  opts: SetOptions,
  existing: variables.EnvironmentVariableView | undefined,
) {
  const description = opts.description ?? existing?.description ?? ''
  if (existing && existing.global !== (opts.env === undefined)) {
    throw errors.conflict(
      existing.global
        ? `Environment variable '${name}' has one value for every environment: set it without --env, or delete it first.`
        : `Environment variable '${name}' has values per environment: set one with --env <environment>, or delete it first.`,
    )
  }
  if (opts.env === undefined) {
    return { name, description, global: true, globalValue: value, globalVisible: !opts.secret }
  }
  const others = (existing?.environmentValueList ?? [])
    .filter((e) => e.environmentName !== opts.env)
    .map((e) => ({ environmentName: e.environmentName, value: null, visible: e.visible }))
  return {
    name,
    description,
    global: false,
    environmentValueList: [...others, { environmentName: opts.env, value, visible: !opts.secret }],
  }
}

export function registerEnvVarCommands(
  program: Command,
  { withServices, print, io }: CliContext,
): void {
  const readStdin = io.readStdin
  const envVar = program.command('env-var').description(
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the literal ${NAME} syntax users write
    "manage a project's environment variables (${NAME} in routing addresses)",
  )
  envVar.command('list <project>').action((projectName: string) =>
    withServices(async (s) => {
      const list = await variables.listVariablesOf(s, await requireProject(s, projectName))
      print(list, () =>
        list.length === 0
          ? '(none)\n'
          : list.map((v) => `${v.name}  ${describeValues(v)}\n`).join(''),
      )
    })(),
  )
  envVar
    .command('set <project> <name>')
    .description('set the value for every environment, or with --env for one')
    .option('--env <environment>', 'the environment this value is for (default: all)')
    .option('--secret', 'seal the value at rest and never show it')
    .option('--description <text>', 'what the variable is for')
    .option('--value-stdin', 'read the value from the first line of standard input')
    .option('--value <value>', 'the value (visible in shell history: prefer --value-stdin)')
    .action((projectName: string, name: string, opts: SetOptions) =>
      withServices(async (s) => {
        const value = opts.valueStdin ? ((await readStdin()).split(/\r?\n/)[0] ?? '') : opts.value
        if (value === undefined) {
          throw errors.invalidRequest('Give the value with --value-stdin or --value.')
        }
        const project = await requireProject(s, projectName)
        const existing = (await variables.listVariablesOf(s, project)).find((v) => v.name === name)
        const body = setBody(name, value, opts, existing)
        const result = existing
          ? await variables.updateVariableIn(s, project, name, body)
          : await variables.createVariableIn(s, project, name, body)
        print({ name, deploymentResult: result }, () => `set ${name}: ${result.message}\n`)
      })(),
    )
  envVar.command('delete <project> <name>').action((projectName: string, name: string) =>
    withServices(async (s) => {
      await variables.deleteVariableIn(s, await requireProject(s, projectName), name)
      print({ name, deleted: true }, () => `deleted ${name}\n`)
    })(),
  )
}
