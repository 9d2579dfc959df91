import { readFile, writeFile } from 'node:fs/promises'
import type { Command } from 'commander'
import { deploy, undeploy } from '../../resources/proxies/proxies.deployment.ts'
import { listProxies } from '../../resources/proxies/proxies.service.ts'
import { exportProxy, importProxy } from '../../resources/proxies/transfer/transfer.service.ts'
import { type CliContext, table } from '../context.ts'
import { OPERATOR } from '../input.ts'

/*
 * apiops proxy list|export|import|deploy|undeploy: a project's API proxies, moving one
 * between projects or servers as the export ZIP the API answers, and its deployments.
 * The CLI is the operator on the server's own database, so it acts with every role
 * (its audit actor is "cli").
 */

const API = '/apiops/projects/{projectName}/apiProxies'

interface ImportOptions {
  name?: string
  override?: boolean
}

export function registerProxyCommands(program: Command, { withServices, print }: CliContext): void {
  const proxy = program
    .command('proxy')
    .description("a project's API proxies: list, export, import, deploy, undeploy")
  proxy
    .command('list <project>')
    .description(`list a project's API proxies (GET ${API}/)`)
    .action((projectName: string) =>
      withServices(async (s) => {
        const page = await listProxies(s, OPERATOR, projectName, {})
        print(page.resultList, () =>
          table(page.resultList as never, ['name', 'creationType', 'relativePath', 'description']),
        )
      })(),
    )
  proxy
    .command('export <project> <name> <file>')
    .description(
      `write the proxy as an export ZIP, secrets never in it (GET ${API}/{apiProxyName}/export/)`,
    )
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
    .description(
      `create a proxy from an export ZIP; --override replaces one of the same name (POST ${API}/import/, with --override PUT ${API}/{apiProxyName}/import/)`,
    )
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
  registerDeployCommands(proxy, withServices, print)
}

function registerDeployCommands(
  proxy: Command,
  withServices: CliContext['withServices'],
  print: CliContext['print'],
): void {
  const path = `${API}/{apiProxyName}/environments/{environmentName}/`
  for (const [verb, run, method] of [
    ['deploy', deploy, 'POST'],
    ['undeploy', undeploy, 'DELETE'],
  ] as const) {
    proxy
      .command(`${verb} <project> <name> <environment>`)
      .description(
        verb === 'deploy'
          ? `deploy the proxy's latest revision to an environment, or redeploy it (${method} ${path})`
          : `remove the proxy from an environment; not deployed there is no error (${method} ${path})`,
      )
      .action((projectName: string, apiProxyName: string, environmentName: string) =>
        withServices(async (s) => {
          const result = await run(s, OPERATOR, { projectName, apiProxyName, environmentName })
          print(result, () =>
            result.deploymentResults.map((r) => `${r.environmentName}: ${r.message}\n`).join(''),
          )
        })(),
      )
  }
}
