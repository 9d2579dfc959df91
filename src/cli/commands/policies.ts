import type { Command } from 'commander'
import * as s from '../../resources/proxies/policies/policies.schemas.ts'
import * as policies from '../../resources/proxies/policies/policies.service.ts'
import { type CliContext, table } from '../context.ts'
import { checkBody, compileOnUse, lazily, OPERATOR, readJson, validatorOf } from '../input.ts'

/*
 * apiops policy list|add|update|delete: the policies of an API proxy, through the same
 * service and the same body schema (one per policy.type) as the documented routes.
 * A body is the documented {operationMetadata, policy}, read from a file or stdin.
 */

const API = '/apiops/projects/{projectName}/apiProxies/{apiProxyName}/policies'
/** One validator per policy type, as the add route's, each compiled when a body first uses it. */
const validate = lazily(() =>
  s.policyBodyValidator(compileOnUse)({
    schema: s.PolicyBody,
    method: 'POST',
    url: API,
    httpPart: 'body',
  }),
)
const validateDelete = validatorOf(s.DeletePolicyBody)
const FILE = 'a JSON file with {operationMetadata, policy}; "-" or none: standard input'

interface DeleteOptions {
  pipeline: string
  endpoint?: string
  method?: string
  deployTo?: string[]
}

type Lists = Record<'requestPolicyList' | 'responsePolicyList' | 'errorPolicyList', unknown[]>
type Listed = Awaited<ReturnType<typeof policies.listPolicies>>['resultList'][number]

/** One row per policy, in pipeline order: the proxy's own, then each endpoint's. */
function policyRows(proxy: Listed) {
  const rows: Record<string, unknown>[] = []
  const add = (scope: string, lists: Lists) => {
    for (const [pipeline, key] of [
      ['REQUEST', 'requestPolicyList'],
      ['RESPONSE', 'responsePolicyList'],
      ['ERROR', 'errorPolicyList'],
    ] as const) {
      lists[key].forEach((p, i) => {
        rows.push({ scope, pipeline, order: i + 1, ...(p as object) })
      })
    }
  }
  add('ALL', proxy)
  for (const e of proxy.endpointList) add(`${e.httpMethod} ${e.endpoint}`, e)
  return rows
}

function written(verb: string, name: string, answer: object) {
  const result = (answer as { deploymentResult?: unknown }).deploymentResult as
    | { deploymentResults: { environmentName: string; message: string }[] }
    | undefined
  return () =>
    [
      `${verb} policy ${name}\n`,
      ...(result?.deploymentResults ?? []).map((r) => `${r.environmentName}: ${r.message}\n`),
    ].join('')
}

export function registerPolicyCommands(program: Command, ctx: CliContext): void {
  const policy = program
    .command('policy')
    .description("an API proxy's policies: list, add, update, delete")
  policyList(policy, ctx)
  policyWrite(policy, ctx)
  policyDelete(policy, ctx)
}

function policyList(policy: Command, { withServices, print }: CliContext) {
  policy
    .command('list <project> <proxy>')
    .description(`list the proxy's policies in pipeline order (GET ${API}/)`)
    .action((projectName: string, apiProxyName: string) =>
      withServices(async (svc) => {
        const answer = await policies.listPolicies(svc, OPERATOR, { projectName, apiProxyName })
        const proxy = answer.resultList[0] as Listed
        print(proxy, () =>
          table(policyRows(proxy), ['scope', 'pipeline', 'order', 'name', 'type', 'active']),
        )
      })(),
    )
}

function policyWrite(policy: Command, { withServices, print, io }: CliContext) {
  for (const [verb, method, run] of [
    ['add', 'POST', policies.addPolicy],
    ['update', 'PUT', policies.updatePolicy],
  ] as const) {
    policy
      .command(`${verb} <project> <proxy> <policyName> [file]`)
      .description(
        verb === 'add'
          ? `add a policy, unique by name in the proxy (${method} ${API}/{policyName}/)`
          : `replace a policy of the same type, maybe moving it (${method} ${API}/{policyName}/)`,
      )
      .addHelpText('after', `\n[file]: ${FILE}.`)
      .action((projectName: string, apiProxyName: string, policyName: string, file?: string) =>
        withServices(async (svc) => {
          const body = checkBody<s.PolicyBodyInput>(validate, await readJson(io, file))
          const ref = { projectName, apiProxyName, policyName }
          const answer = await run(svc, OPERATOR, ref, body)
          print(answer, written(verb === 'add' ? 'added' : 'updated', policyName, answer))
        })(),
      )
  }
}

function policyDelete(policy: Command, { withServices, print }: CliContext) {
  policy
    .command('delete <project> <proxy> <policyName>')
    .description(`delete a policy from the list the options name (DELETE ${API}/{policyName}/)`)
    .option('--pipeline <pipeline>', 'REQUEST, RESPONSE or ERROR', 'REQUEST')
    .option('--endpoint <path>', "an endpoint's policy (with --method); default: the proxy's")
    .option('--method <method>', 'the HTTP method of --endpoint')
    .option('--deploy-to <environment...>', 'redeploy to these environments afterwards')
    .action((projectName: string, apiProxyName: string, policyName: string, o: DeleteOptions) =>
      withServices(async (svc) => {
        const where = {
          targetScope: o.endpoint === undefined ? 'ALL' : 'ENDPOINT',
          targetPipeline: o.pipeline,
          ...(o.endpoint === undefined ? {} : { targetEndpoint: o.endpoint }),
          ...(o.method === undefined ? {} : { targetEndpointHTTPMethod: o.method.toUpperCase() }),
          ...(o.deployTo ? { deployTargetEnvironmentNameList: o.deployTo } : {}),
        }
        const body = checkBody<{ operationMetadata: never }>(validateDelete, {
          operationMetadata: where,
        })
        const ref = { projectName, apiProxyName, policyName }
        const answer = await policies.deletePolicy(svc, OPERATOR, ref, body)
        print(answer, written('deleted', policyName, answer))
      })(),
    )
}
