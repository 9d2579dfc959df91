import { readFile, writeFile } from 'node:fs/promises'
import type { Command } from 'commander'
import type { Principal } from '../../identity/policy/permissions.ts'
import { listProxies } from '../../resources/proxies/proxies.service.ts'
import { exportProxy, importProxy } from '../../resources/proxies/transfer/transfer.service.ts'
import { type CliContext, table } from '../context.ts'

/*
 * apiops proxy list|export|import: a project's API proxies, and moving one between
 * projects or servers as the export ZIP the API answers. The CLI is the operator on
 * the server's own database, so it acts with every role (its audit actor is "cli").
 */

const OPERATOR: Principal = {
  userId: 'cli',
  username: 'cli',
  roles: new Set(['ROLE_ADMIN']),
  tokenId: undefined,
  via: 'token',
}

interface ImportOptions {
  name?: string
  override?: boolean
}

export function registerProxyCommands(program: Command, { withServices, print }: CliContext): void {
  const proxy = program
    .command('proxy')
    .description("a project's API proxies: list, export, import")
  proxy.command('list <project>').action((projectName: string) =>
    withServices(async (s) => {
      const page = await listProxies(s, OPERATOR, projectName, {})
      print(page.resultList, () =>
        table(page.resultList as never, ['name', 'creationType', 'relativePath', 'description']),
      )
    })(),
  )
  proxy
    .command('export <project> <name> <file>')
    .description('write the proxy as an export ZIP (secrets are never written)')
    .action((projectName: string, name: string, file: string) =>
      withServices(async (s) => {
        const zip = await exportProxy(s, OPERATOR, projectName, name)
        await writeFile(file, zip, { mode: 0o600 })
        print(
          { file, bytes: zip.byteLength },
          () => `exported ${name} to ${file} (${zip.byteLength} bytes)\n`,
        )
      })(),
    )
  proxy
    .command('import <project> <file>')
    .description('create a proxy from an export ZIP; --override replaces one of the same name')
    .option('--name <name>', 'import under this name instead of the exported one')
    .option('--override', 'replace a proxy of that name (its deployments then need a redeploy)')
    .action((projectName: string, file: string, opts: ImportOptions) =>
      withServices(async (s) => {
        const bytes = new Uint8Array(await readFile(file))
        const result = await importProxy(s, OPERATOR, projectName, {
          bytes,
          name: opts.name,
          override: opts.override === true,
          metadata: {},
        })
        const again = result.secretsToSetAgain
        print({ name: result.apiProxy.name, secretsToSetAgain: again }, () =>
          [
            `imported ${result.apiProxy.name} (revision ${result.apiProxy.revision})\n`,
            ...again.map((secret) => `set again: ${secret}\n`),
          ].join(''),
        )
      })(),
    )
}
