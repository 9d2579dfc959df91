// The build: the server and CLI compiled by tsc into dist/, the console by Vite into
// dist/console. Plain JavaScript on purpose: `npm start` runs it (prestart) before
// anything is compiled, and a production install has neither tsx nor TypeScript.
//
//   node scripts/ensure-build.js           build what is missing or older than its sources
//   node scripts/ensure-build.js --force   build everything (npm run build)
//
// Tests that start real `bin/apiops.js` processes call ensureServerBuilt() first; test
// files run in parallel, so a build holds a lock directory and the others wait for it.
import { spawnSync } from 'node:child_process'
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
export const DIST = join(ROOT, 'dist')
export const SERVER_ENTRY = join(DIST, 'main.js')
export const CONSOLE_DIST = join(DIST, 'console')
const CONSOLE_DIR = join(ROOT, 'console')
const SERVER_SOURCES = ['src', 'tsconfig.json', 'tsconfig.build.json'].map((p) => join(ROOT, p))
const CONSOLE_SOURCES = [
  ...['index.html', 'vite.config.ts', 'tsconfig.json', 'src', 'public'].map((p) =>
    join(CONSOLE_DIR, p),
  ),
  // The audit catalogue: the console imports it for its labels.
  join(ROOT, 'src', 'audit', 'events.ts'),
]
const LOCK = join(ROOT, '.build-lock')
/** A lock this old belongs to a build that died; take it over. */
const LOCK_STALE_MS = 5 * 60_000
const require = createRequire(import.meta.url)

/** @param {string} path @returns {number} newest mtime under path, 0 when it does not exist */
function newestMtime(path) {
  let stat
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

/** @param {string} output @param {string[]} sources */
function isStale(output, sources) {
  const built = newestMtime(output)
  return built === 0 || sources.some((s) => newestMtime(s) > built)
}

export const serverIsStale = () => isStale(SERVER_ENTRY, SERVER_SOURCES)
export const consoleIsStale = () => isStale(join(CONSOLE_DIST, 'index.html'), CONSOLE_SOURCES)

/** @param {string} name @returns {string | null} the file, or null when not installed */
function resolveDevTool(name) {
  try {
    return require.resolve(name)
  } catch {
    return null
  }
}

/** tsc into dist/, after removing the old output so deleted sources leave nothing behind. */
export function buildServer() {
  const tsc = resolveDevTool('typescript/bin/tsc')
  if (!tsc) throw new Error('TypeScript is not installed (npm install without --omit=dev)')
  for (const entry of safeReaddir(DIST)) {
    if (entry !== 'console') rmSync(join(DIST, entry), { recursive: true, force: true })
  }
  const run = spawnSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json')], {
    stdio: 'inherit',
  })
  if (run.status !== 0) throw new Error(`tsc -p tsconfig.build.json failed (${run.status})`)
}

export async function buildConsole() {
  if (!resolveDevTool('vite'))
    throw new Error('Vite is not installed (npm install without --omit=dev)')
  const { build } = await import('vite')
  await build({ configFile: join(CONSOLE_DIR, 'vite.config.ts'), logLevel: 'warn' })
}

/** @param {string} dir */
function safeReaddir(dir) {
  try {
    return readdirSync(dir)
  } catch {
    return []
  }
}

/**
 * Runs fn holding the build lock. Another process's build may finish the work first,
 * so fn re-checks staleness after the wait.
 * @template T @param {() => Promise<T>} fn @returns {Promise<T>}
 */
async function withLock(fn) {
  for (;;) {
    try {
      mkdirSync(LOCK)
      break
    } catch (error) {
      if (/** @type {NodeJS.ErrnoException} */ (error).code !== 'EEXIST') throw error
      if (Date.now() - newestMtime(LOCK) > LOCK_STALE_MS)
        rmSync(LOCK, { recursive: true, force: true })
      else await new Promise((r) => setTimeout(r, 200))
    }
  }
  try {
    return await fn()
  } finally {
    rmSync(LOCK, { recursive: true, force: true })
  }
}

/** Compiles the server when dist/main.js is missing or stale; true when it built. */
export function ensureServerBuilt({ force = false } = {}) {
  return withLock(async () => {
    if (!force && !serverIsStale()) return false
    buildServer()
    return true
  })
}

/** Builds the console when dist/console is missing or stale; true when it built. */
export function ensureConsoleBuilt({ force = false } = {}) {
  return withLock(async () => {
    if (!force && !consoleIsStale()) return false
    await buildConsole()
    return true
  })
}

/**
 * What `npm start` runs first. Without the dev tools (a production install) an existing
 * build is used as it is: its sources may not even be there. Without either, it fails.
 */
async function main() {
  const force = process.argv.includes('--force')
  const devTools = resolveDevTool('typescript/bin/tsc') !== null
  if (!devTools && !force) {
    if (newestMtime(SERVER_ENTRY) > 0) return
    throw new Error(
      'dist/main.js is missing and TypeScript is not installed: run `npm install` (with dev dependencies) and `npm run build`',
    )
  }
  if (await ensureServerBuilt({ force }))
    process.stdout.write('apiops: built the server into dist/\n')
  if (await ensureConsoleBuilt({ force }))
    process.stdout.write('apiops: built the console into dist/console\n')
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error) => {
    process.stderr.write(`apiops: ${error instanceof Error ? error.message : error}\n`)
    process.exit(1)
  })
}
