import { runCli } from './cli/index.ts'
import { ConfigError, loadConfig } from './config.ts'
import { SchemaTooNewError } from './db/migrator.ts'

/** Process entry: `apiops serve` (the default) or any CLI command. */
try {
  process.exitCode = await runCli(process.argv.slice(2), () => loadConfig())
} catch (error) {
  if (error instanceof ConfigError || error instanceof SchemaTooNewError) {
    process.stderr.write(`apiops: ${error.message}\n`)
    process.exit(2)
  }
  throw error
}
