import type { Command } from 'commander'
import { errors } from '../../errors.ts'
import { documentedBody } from '../../resources/connections/connections.legacy.ts'
import {
  type ConnectionInput,
  discriminatedBody,
  NAMED_BODIES,
  NamedConnectionBody,
} from '../../resources/connections/connections.schemas.ts'
import * as connections from '../../resources/connections/connections.service.ts'
import { CONNECTION_TYPES } from '../../resources/connections/types/index.ts'
import { type CliContext, table } from '../context.ts'
import { checkBody, compileOnUse, everyPage, lazily, OPERATOR, readJson } from '../input.ts'

/*
 * apiops connection list|get|create|delete: a project's connections in the documented
 * shape, through the same service and per-type body schema as the routes. Secrets are
 * answered as the mask, as by the API; the CLI has no way to read them back.
 */

const API = '/apiops/projects/{projectName}/connections'
/** One validator per connection type, as the create route's, each compiled when a body first uses it. */
const validate = lazily(() =>
  discriminatedBody(
    compileOnUse,
    NAMED_BODIES,
  )({
    schema: NamedConnectionBody,
    method: 'POST',
    url: API,
    httpPart: 'body',
  }),
)
const COLUMNS = ['name', 'type', 'enabled', 'deployToWorker', 'description']

export function registerConnectionCommands(program: Command, ctx: CliContext): void {
  const connection = program
    .command('connection')
    .description("a project's connections to external systems: list, get, create, delete")
  connectionReads(connection, ctx)
  connectionWrites(connection, ctx)
}

function connectionReads(connection: Command, { withServices, print }: CliContext) {
  connection
    .command('list <project>')
    .description(`list a project's connections, secrets masked (GET ${API}/)`)
    .option('--type <type>', `only this type: ${CONNECTION_TYPES.join(', ')}`)
    .action((projectName: string, opts: { type?: string }) =>
      withServices(async (s) => {
        if (opts.type !== undefined && !(CONNECTION_TYPES as readonly string[]).includes(opts.type))
          throw unknownType(opts.type)
        const list = await everyPage((q) =>
          connections.listConnections(s, OPERATOR, projectName, { ...q, type: opts.type }),
        )
        print(list, () => table(list as never, COLUMNS))
      })(),
    )
  connection
    .command('get <project> <name>')
    .description(`one connection with its fields, secrets masked (GET ${API}/{name}/)`)
    .action((projectName: string, name: string) =>
      withServices(async (s) => {
        const view = await connections.getConnection(s, OPERATOR, projectName, name)
        print(view, () => `${JSON.stringify(view, null, 2)}\n`)
      })(),
    )
}

/** The words the list route's query schema says for a type it does not know. */
const unknownType = (type: string) =>
  errors.validationFailed([
    {
      field: 'type',
      message: `is '${type}'; must be equal to one of the allowed values: ${CONNECTION_TYPES.join(', ')}`,
    },
  ])

function connectionWrites(connection: Command, { withServices, print, io }: CliContext) {
  connection
    .command('create <project> [file]')
    .description(`create a connection from its documented JSON body (POST ${API}/)`)
    .addHelpText(
      'after',
      '\n[file]: a JSON file with type, name and the fields of that type; "-" or none: standard input.',
    )
    .action((projectName: string, file?: string) =>
      withServices(async (s) => {
        const body = documentedBody(await readJson(io, file))
        const input = checkBody<ConnectionInput>(validate, body)
        const view = await connections.createConnection(s, OPERATOR, projectName, input)
        print(view, () => `created ${view.type} connection ${view.name}\n`)
      })(),
    )
  connection
    .command('delete <project> <name>')
    .description(`delete a connection (DELETE ${API}/{name}/)`)
    .action((projectName: string, name: string) =>
      withServices(async (s) => {
        await connections.deleteConnection(s, OPERATOR, projectName, name)
        print({ name, deleted: true }, () => `deleted connection ${name}\n`)
      })(),
    )
}
