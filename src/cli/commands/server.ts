import type { Command } from 'commander'
import { openRuntime } from '../../runtime.ts'
import { type CliContext, quietLog } from '../context.ts'
import { serve } from '../serve.ts'

export function registerServerCommands(program: Command, ctx: CliContext): void {
  program
    .command('serve', { isDefault: true })
    .description('run the HTTP server (the default command)')
    .action(async () => serve(ctx.config()))

  program
    .command('migrate')
    .description('create or upgrade the database schema, then exit')
    .action(async () => {
      const runtime = await openRuntime(ctx.config(), quietLog)
      await runtime.close()
      ctx.print({ applied: runtime.appliedMigrations }, () =>
        runtime.appliedMigrations.length
          ? `applied: ${runtime.appliedMigrations.join(', ')}\n`
          : 'schema is up to date\n',
      )
    })
}
