import { Command } from 'commander'
import type { Config } from '../config.ts'
import { ApiError } from '../errors.ts'
import { registerCanICommand } from './commands/can-i.ts'
import { registerConnectionCommands } from './commands/connections.ts'
import { registerCredentialCommands } from './commands/credentials.ts'
import { registerEnvVarCommands } from './commands/env-vars.ts'
import { registerGatewayCommands } from './commands/gateway.ts'
import { registerIpGroupCommands } from './commands/ip-groups.ts'
import { registerKeyMaterialCommands } from './commands/key-material.ts'
import { registerPolicyCommands } from './commands/policies.ts'
import { registerProjectCommands } from './commands/projects.ts'
import { registerProxyCommands } from './commands/proxies.ts'
import { registerRlclCommands } from './commands/rlcl.ts'
import { registerServerCommands } from './commands/server.ts'
import { registerStoreCommands } from './commands/stores.ts'
import { registerTokenCommands } from './commands/tokens.ts'
import { registerUserCommands } from './commands/users.ts'
import { type CliIo, createContext } from './context.ts'

export type { CliIo } from './context.ts'

const processIo: CliIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  readStdin: async () => {
    const chunks: Buffer[] = []
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
    return Buffer.concat(chunks).toString('utf8')
  },
}

/**
 * The CLI works on the same database as the server, through the same services, so
 * every rule (password policy, last-admin guard, events to running nodes) holds here too.
 * Each command group registers itself from commands/; this only parses and maps errors.
 */
export async function runCli(
  argv: string[],
  config: () => Config,
  io: CliIo = processIo,
): Promise<number> {
  const program = new Command('apiops')
    .description(
      'apiops: management API server, and the administration of its users, tokens, projects and their resources',
    )
    .option('--json', 'print machine-readable JSON')
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
  const ctx = createContext(program, config, io)
  registerServerCommands(program, ctx)
  registerUserCommands(program, ctx)
  registerTokenCommands(program, ctx)
  registerProjectCommands(program, ctx)
  registerEnvVarCommands(program, ctx)
  registerProxyCommands(program, ctx)
  registerPolicyCommands(program, ctx)
  registerConnectionCommands(program, ctx)
  registerCredentialCommands(program, ctx)
  registerIpGroupCommands(program, ctx)
  registerRlclCommands(program, ctx)
  registerKeyMaterialCommands(program, ctx)
  registerStoreCommands(program, ctx)
  registerGatewayCommands(program, ctx)
  registerCanICommand(program, ctx)

  try {
    await program.parseAsync(argv, { from: 'user' })
    return 0
  } catch (error) {
    const e = error as { code?: string; exitCode?: number }
    if (e.code?.startsWith('commander.')) {
      return e.code === 'commander.helpDisplayed' || e.code === 'commander.version'
        ? 0
        : (e.exitCode ?? 1)
    }
    if (error instanceof ApiError) {
      io.err(`apiops: ${error.description}\n`)
      return 1
    }
    throw error
  }
}
