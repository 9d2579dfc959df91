import { execFile } from 'node:child_process'
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import ts from 'typescript'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DIST, ensureServerBuilt } from '../scripts/ensure-build.js'
import { ApiopsNode } from './nodes.ts'

/**
 * What ships is dist/: `npm start` and the `apiops` command run it, and a production
 * install (`npm ci --omit=dev`) has only the "dependencies" of package.json to run it with.
 */
const ROOT = new URL('..', import.meta.url).pathname
const BIN = join(ROOT, 'bin/apiops.js')
const run = promisify(execFile)

function jsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    // The console is browser code Vite bundled; Node never loads it.
    if (entry.isDirectory()) return path === join(DIST, 'console') ? [] : jsFiles(path)
    return entry.name.endsWith('.js') ? [path] : []
  })
}

/** The package a bare specifier names: `@scope/name/x` -> `@scope/name`, `name/x` -> `name`. */
function packageOf(specifier: string): string | null {
  if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('node:'))
    return null
  const parts = specifier.split('/')
  return (specifier.startsWith('@') ? parts.slice(0, 2) : parts.slice(0, 1)).join('/')
}

/** Every package dist/ imports (static, re-exports and literal dynamic imports), with a file. */
function importedPackages(): Map<string, string> {
  const found = new Map<string, string>()
  for (const file of jsFiles(DIST)) {
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true)
    for (const { fileName } of importedFiles) {
      const name = packageOf(fileName)
      if (name && !found.has(name)) found.set(name, file.slice(ROOT.length))
    }
  }
  return found
}

beforeAll(() => ensureServerBuilt(), 120_000)

describe('the build in dist/', () => {
  it('imports nothing but Node builtins and the runtime dependencies of package.json', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'))
    const allowed = new Set([...Object.keys(pkg.dependencies), ...builtinModules])
    const packages = importedPackages()
    expect(packages.has('fastify'), 'the scan finds bare imports at all').toBe(true)
    const devOnly = [...packages].filter(([name]) => !allowed.has(name))
    expect(devOnly.map(([name, file]) => `${name} (in ${file})`)).toEqual([])
  })

  it('is what bin/apiops.js runs: the compiled entry, with no TypeScript loader', () => {
    const bin = readFileSync(BIN, 'utf8')
    expect(bin).not.toMatch(/tsx|\.ts['"]/)
    expect(bin).toContain("'../dist/main.js'")
  })

  it('is asked for by name when it is missing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'apiops-nobuild-'))
    try {
      mkdirSync(join(dir, 'bin'))
      for (const file of ['apiops.js', 'v8-tuning.js'])
        copyFileSync(join(ROOT, 'bin', file), join(dir, 'bin', file))
      const failed = await run(process.execPath, [join(dir, 'bin/apiops.js'), '--help']).catch(
        (error) => error,
      )
      expect(failed.code).toBe(1)
      expect(failed.stderr).toContain('run `npm run build`')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('node bin/apiops.js serve, compiled', () => {
  let dir: string
  let node: ApiopsNode
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'apiops-build-'))
    node = await ApiopsNode.start({
      databaseUrl: '',
      secret: Buffer.alloc(32, 9).toString('base64'),
      adminPassword: 'admin password 1',
      env: { APIOPS_DATA_DIR: dir },
    })
  }, 60_000)
  afterAll(async () => {
    await node?.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  it('answers the health check and issues tokens', async () => {
    const health = await fetch(`${node.base}/apiops/test/healthcheck`)
    expect(health.status).toBe(200)
    const token = await node.token('admin', 'admin password 1')
    expect(await node.status(token)).toBe(200)
  })

  it('serves the console from dist/console (the global setup built it)', async () => {
    const page = await fetch(`${node.base}/`, { headers: { accept: 'text/html' } })
    expect(page.status, node.log).toBe(200)
    const html = await page.text()
    const script = html.match(/src="(\/assets\/[^"]+\.js)"/)?.[1]
    expect(script).toBeDefined()
    expect((await fetch(`${node.base}${script}`)).status).toBe(200)
  })
})
