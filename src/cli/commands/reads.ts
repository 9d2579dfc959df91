import type { Command } from 'commander'
import type { Services } from '../../composition.ts'
import type { ListQueryInput } from '../../http/lists.ts'
import { type CliContext, table } from '../context.ts'
import { everyPage, OPERATOR } from '../input.ts'

/*
 * The list, get and delete every named project resource has, one shape for all: the
 * list as a table (the whole list, page after page), one item as its JSON (secrets
 * are the mask there, as the API answers them), a delete with what the server said.
 */

type Page = { resultList: unknown[]; nextCursor?: string | null }
type Run<T> = (s: Services, principal: typeof OPERATOR, project: string, name: string) => Promise<T>

export interface ReadSpec {
  /** What one is called in messages: "JWK", "key". */
  noun: string
  /** The documented collection path, for --help. */
  api: string
  /** The path parameter naming one, for --help. */
  param: string
  columns: string[]
  list: (
    s: Services,
    principal: typeof OPERATOR,
    project: string,
    query: ListQueryInput,
  ) => Promise<Page>
  get: Run<unknown>
  remove: Run<unknown>
}

export function listGetDelete(group: Command, { withServices, print }: CliContext, r: ReadSpec) {
  group
    .command('list <project>')
    .description(`list a project's ${r.noun}s, no private material (GET ${r.api}/)`)
    .action((projectName: string) =>
      withServices(async (s) => {
        const all = await everyPage((q) => r.list(s, OPERATOR, projectName, q))
        print(all, () => table(all as never, r.columns))
      })(),
    )
  group
    .command('get <project> <name>')
    .description(`one ${r.noun} as JSON, secrets masked (GET ${r.api}/{${r.param}}/)`)
    .action((projectName: string, name: string) =>
      withServices(async (s) => {
        const found = await r.get(s, OPERATOR, projectName, name)
        print(found, () => `${JSON.stringify(found, null, 2)}\n`)
      })(),
    )
  group
    .command('delete <project> <name>')
    .description(`delete a ${r.noun} (DELETE ${r.api}/{${r.param}}/)`)
    .action((projectName: string, name: string) =>
      withServices(async (s) => {
        const answer = await r.remove(s, OPERATOR, projectName, name)
        print({ name, deleted: true, answer }, () => `deleted ${r.noun} ${name}\n`)
      })(),
    )
}
