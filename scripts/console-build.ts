import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The console's sources and its build, for `ensureConsoleBuilt` (tests, screenshots). */
const root = fileURLToPath(new URL('..', import.meta.url))
export const CONSOLE_DIR = join(root, 'console')
export const CONSOLE_DIST = join(CONSOLE_DIR, 'dist')
const SOURCES = ['index.html', 'vite.config.ts', 'tsconfig.json', 'src', 'public']

function newestMtime(path: string): number {
  let stat: ReturnType<typeof statSync>
  try {
    stat = statSync(path)
  } catch {
    return 0
  }
  if (!stat.isDirectory()) return stat.mtimeMs
  let newest = stat.mtimeMs
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)))
  return newest
}

/** True when console/dist/index.html is missing or older than any console source. */
export function consoleBuildIsStale(): boolean {
  const built = newestMtime(join(CONSOLE_DIST, 'index.html'))
  if (built === 0) return true
  return SOURCES.some((s) => newestMtime(join(CONSOLE_DIR, s)) > built)
}

/** Build the console with Vite when the build is missing or stale; a no-op otherwise. */
export async function ensureConsoleBuilt(): Promise<boolean> {
  if (!consoleBuildIsStale()) return false
  const { build } = await import('vite')
  await build({ configFile: join(CONSOLE_DIR, 'vite.config.ts'), logLevel: 'warn' })
  return true
}
